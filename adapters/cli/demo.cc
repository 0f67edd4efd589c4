// kezek demo: a generated city history folded in memory (and, with --store, through the durable runtime).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/runtime.h"
#include "engine/civil_time.h"
#include "engine/engine.h"
#include "engine/messages.h"
#include "engine/numbers.h"
#include "events/codec.h"
#include "projections/summary.h"
#include "workload/simulation.h"

namespace kezek::cli {
namespace {

constexpr const char* kDemoUsage = R"(usage: kezek demo [options]

The main job on the embedded default: generates a city's history from the seed (see 'kezek sample
--help'), folds it in memory, and prints what was decided, a family's notifications, the fold's
throughput, and the state hash; the fold is checked against the generator's own engine.

With --store DIR (a new directory), the same history then goes through the embedded durable
runtime: logged with fsync'd group commit, folded, journaled and kept in RocksDB in DIR, which
'kezek status/run/backup --data DIR' then work on; its state hash is checked against the fold's.

options: --seed N, --applications N, --births, --months N, --first-year Y, --data DIR (shared/data,
as for sample), --country, --store DIR, --help
)";

}  // namespace

int Demo(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--seed", "--applications", "--months", "--first-year", "--data", "--store"},
                          {"--country", "--births"});
  if (!args) return 2;
  if (!NoArguments(*args, "demo")) return 2;
  if (args->help) return fmt::print("{}", kDemoUsage), 0;
  const std::string store = args->options.contains("--store") ? args->options.at("--store") : "";
  if (!store.empty() && std::filesystem::exists(store) && !std::filesystem::is_empty(store)) {
    return fmt::print(stderr, "kezek demo: {} exists and is not empty; --store takes a new directory\n", store), 2;
  }
  if (!store.empty() && RefusedNewDataDirInside("demo", "--store", store)) return 2;
  const auto options = SimulationFrom(*args);
  if (!options) return 2;
  uint64_t applications = options->applications;
  std::string error;
  if (options->births_sized && !workload::BirthsSizedApplications(*options, &applications, &error)) {
    return fmt::print(stderr, "kezek demo: {}\n", error), 1;
  }
  fmt::print("Kezek demo: {} applications{} in {} over {} months from {}-01-01, seed {}\n", applications,
             options->births_sized ? " (sized by births)" : "", options->country ? "Kazakhstan's 20 regions and cities" : "г. Алматы", options->months,
             options->first_year, options->seed);
  std::vector<std::vector<uint8_t>> log;
  workload::SimulationSummary generated;
  auto t0 = std::chrono::steady_clock::now();
  if (!workload::Simulate(*options, [&](std::span<const uint8_t> b) { log.emplace_back(b.begin(), b.end()); }, &generated, &error)) {
    return fmt::print(stderr, "kezek demo: {}\n", error), 1;
  }
  const double generate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("generated {} actions in {:.2f} s ({} portal retries, {} mistyped IINs among them)\n\n", log.size(),
             generate_s, generated.duplicates_sent, generated.invalid_sent);

  Engine engine;
  engine.TrackChanges(false);  // no store
  projections::Summary summary;
  std::map<uint64_t, std::vector<std::string>> feed;  // one family's notifications
  messages::TemplateBook templates;                    // the ones the history posted
  // The family followed: the one of the (1 + seed % 50)th application accepted (numbers are
  // country-wide, engine/numbers.h: its locality's code and a serial).
  const uint64_t followed_nth = 1 + options->seed % 50;
  uint64_t accepted = 0, followed = 0;
  t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < log.size(); ++i) {
    const ApplyResult result = engine.Apply(log[i], i);
    for (const std::span<const uint8_t> bytes : result.records) {
      const fb::JournalRecord* record = fb::GetJournalRecord(bytes.data());
      summary.Add(*record);
      if (record->decisions() == nullptr) continue;
      for (const fb::Decision* d : *record->decisions()) {
        if (d->body_type() == fb::DecisionBody::MessageTemplatesSet) {
          templates.Post(*record->action_nested_root()->body_as_SetMessageTemplates());
        }
        if (const auto* a = d->body_as_ApplicationAccepted(); a != nullptr && ++accepted == followed_nth) {
          followed = a->application();
        }
        const auto* n = d->body_as_Notification();
        if (n != nullptr && followed != 0 && n->application() == followed) {
          const LocalityId locality = LocalityOfNumber(followed).value_or(LocalityId{0});
          const LocalDate day = engine.state().offsets.LocalDateOf(locality, InstantMs{record->engine_time_ms()});
          const messages::Text text = templates.TextOf(*n);  // written out, or worded from the journal's templates
          feed[followed].push_back(fmt::format("  {}  {}\n  {}  {}", civil::FormatDotted(day), text.ru,
                                               std::string(10, ' '), text.kk));
        }
      }
    }
  }
  const double fold_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("{}", summary.Render(engine));
  fmt::print("\nnotifications of application #{} (ru / kk):\n", followed);
  for (const auto& line : feed[followed]) fmt::print("{}\n", line);
  fmt::print("\nfirst five in the longest queue:\n");
  const Queue* longest = nullptr;
  for (const Queue& q : engine.state().queues) if (longest == nullptr || q.size() > longest->size()) longest = &q;
  if (longest != nullptr && longest->size() > 0) {
    std::vector<std::pair<uint64_t, uint64_t>> ranked;
    longest->ForEach([&](const QueueEntry& e, Line) {
      ranked.emplace_back(*engine.PositionOf(e.application), e.application.value);
    });
    std::sort(ranked.begin(), ranked.end());
    fmt::print("  queue: born {}, {} language, {} applications waiting\n", longest->key().birth_year,
               fb::EnumNameLanguage(longest->key().language), longest->size());
    for (size_t i = 0; i < std::min<size_t>(5, ranked.size()); ++i) {
      const Application& a = engine.state().app(ApplicationId{ranked[i].second});
      fmt::print("  {:>3}. #{:<7} {:<18} category {:<22} filed {}\n", ranked[i].first, a.id.value, a.child_name,
                 engine.state().categories[a.category],
                 civil::FormatDotted(engine.state().offsets.LocalDateOf(a.locality, a.filed_at)));
    }
  }
  const bool same = engine.StateHash() == generated.state_sha256;
  fmt::print("\nfolded {} actions in {:.3f} s: {:.0f} actions/s on one core\n", log.size(), fold_s,
             static_cast<double>(log.size()) / fold_s);
  fmt::print("replay check: the fold's state hash {} the generator's engine\n", same ? "equals" : "DIFFERS FROM");
  if (!same || store.empty()) return same ? 0 : 1;

  // The embedded default: the same history through the durable runtime.
  adapters::Runtime::Options options_durable;
  options_durable.create = true;
  options_durable.batch_max = 4096;
  options_durable.say = [](const std::string& message) { fmt::print(stderr, "kezek: {}\n", message); };
  std::unique_ptr<adapters::Runtime> runtime;
  if (const auto s = adapters::Runtime::Open(store, options_durable, &runtime); !s.ok()) {
    return fmt::print(stderr, "kezek demo: {}\n", s.ToString()), 1;
  }
  events::Codec codec;
  std::vector<std::string> lines;
  lines.reserve(log.size());
  for (const auto& bytes : log) lines.push_back(codec.ActionToJson(bytes));
  t0 = std::chrono::steady_clock::now();
  if (const auto s = runtime->Append(lines, {}); !s.ok()) return fmt::print(stderr, "kezek demo: {}\n", s.ToString()), 1;
  const double durable_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool durable_same = runtime->engine().StateHash() == engine.StateHash();
  fmt::print("\nembedded durable runtime: {} inputs as JSON lines logged, folded, journaled and stored in {:.2f} s "
             "({:.0f}/s, fsync'd group commit of 4096)\n{}", lines.size(), durable_s,
             static_cast<double>(lines.size()) / durable_s, StatusText(*runtime));
  fmt::print("durable check: the stored state's hash {} the in-memory fold's\n", durable_same ? "equals" : "DIFFERS FROM");
  return durable_same ? 0 : 1;
}

}  // namespace kezek::cli
