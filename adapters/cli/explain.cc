// kezek explain: every change of an application's place with its causes (projections::ReadModels::
// Explain), from a data directory's read models: the stored ones (DIR/projections) brought up to
// the journal's end, or, when there are none usable, read models built from the journal.
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/projection_store.h"
#include "adapters/embedded/runtime.h"
#include "adapters/embedded/segment_log.h"
#include "engine/sha256.h"
#include "events/codec.h"
#include "projections/read_models.h"
#include "views_generated.h"

namespace kezek::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExplainUsage = R"(usage: kezek explain APPLICATION --data DIR [--audit] [--lang ru|kk] [--json]
                     [--as-of WHEN | --as-of-sequence N]

Every change of the application's place in its queue, oldest first, and what caused it: who
entered ahead (a priority category, the general line, a return from the stop-list with its
original filing time) and who ahead left and why (a voucher issued, a withdrawal, school age), or
a change of the priority policy. The causes of each change add up to the change (docs/audit.md,
"Explain"). For the family the causes are anonymised:
  2025-03-05T06:00:00Z  Место в очереди: 12 → 9 (−3): −2 выданных ваучера, −1 отзыв

options:
  --data DIR     a data directory or backup (read-only; works beside a running server)
  --audit        also every event behind a change: the other application's number and the
                 journal record (sequence) — for auditors, not for families
  --lang L       ru (default) or kk: the language of the texts
  --json         the explanation as JSON (schemas/views.fbs, table Explanation)
  --as-of WHEN   as it stood then: a date YYYY-MM-DD (through its end, Kazakhstan time) or an
                 instant YYYY-MM-DDTHH:MM:SSZ, from the newest checkpoint before it
                 ('kezek replay checkpoint') and the records after it (docs/audit.md, "As of")
  --as-of-sequence N   as it stood after the journal's first N records
  --help         this text
)";

int Fail(const adapters::Status& s) { return fmt::print(stderr, "kezek explain: {}\n", s.ToString()), 1; }

// The read models of `data` as of its journal's end: the stored ones when they match the journal,
// else built from it. Only the journal is opened (the stored state is not needed).
adapters::Status Models(adapters::SegmentLog& journal, const std::string& data, projections::ReadModels* models) {
  std::unique_ptr<adapters::ProjectionStore> store;
  Sha256 head{};
  bool loaded = false;
  if (adapters::ProjectionStore::OpenReadOnly((fs::path(data) / "projections").string(), &store).ok() &&
      store->Load(models, &head).ok() && models->next_sequence() <= journal.end()) {
    loaded = models->next_sequence() == 0;
    if (!loaded) {  // the store's head must be the journal's record at its sequence
      std::vector<uint8_t> record;
      loaded = journal.ReadRecord(models->next_sequence() - 1, &record).ok() && Sha256Hasher().Of(record) == head;
    }
  }
  if (!loaded) *models = projections::ReadModels();
  return adapters::ReadChained(journal, models->next_sequence(), [&](uint64_t, std::span<const uint8_t> record) {
    models->Apply(record);
    return true;
  });
}

std::string Iso(int64_t ms) { return IsoUtc(InstantMs{ms}); }

}  // namespace

int Explain(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data", "--lang", "--as-of", "--as-of-sequence"}, {"--audit", "--json"});
  if (!args) return fmt::print(stderr, "{}", kExplainUsage), 2;
  if (args->help) return fmt::print("{}", kExplainUsage), 0;
  if (args->positional.size() != 1 || !args->options.contains("--data")) {
    return fmt::print(stderr, "kezek explain: one APPLICATION number and --data DIR\n{}", kExplainUsage), 2;
  }
  const std::string& number = args->positional[0];
  // 0..2^64-1, as over HTTP (a number no application has is said by the answer).
  const bool digits = !number.empty() && number.size() <= 20 && number.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || (number.size() == 20 && number > "18446744073709551615")) {
    return fmt::print(stderr, "kezek explain: the application number is a whole number 0..18446744073709551615, not '{}'\n",
                      adapters::Printable(number)), 2;
  }
  const uint64_t application = std::stoull(number);
  const std::string lang = args->options.contains("--lang") ? args->options.at("--lang") : "ru";
  if (lang != "ru" && lang != "kk") return fmt::print(stderr, "kezek explain: --lang is ru or kk\n"), 2;
  const std::string data = args->options.at("--data");
  std::optional<adapters::AsOfTarget> target;
  if (!AsOfFrom(*args, "explain", &target)) return 2;
  projections::ReadModels models;
  if (target) {  // the logs alone (the stored read models are today's), from the checkpoint before the point
    adapters::AsOfPoint point;
    const adapters::Status s = adapters::OpenAsOf(data, *target, &point, nullptr, &models);
    for (const std::string& note : point.notes) fmt::print(stderr, "kezek explain: {}\n", note);
    if (!s.ok()) return Fail(s);
    fmt::print(stderr, "kezek explain: {}\n", AsOfText(point));
  } else {
    // The state's meta is read too (not the state): the opening checks the journal against it.
    LogsOfDir logs;
    if (const int code = OpenJournalOf("explain", data, &logs); code != 0) return code;
    if (const auto s = Models(logs.journal_log(), data, &models); !s.ok()) return Fail(s);
  }
  const bool audit = args->options.contains("--audit");
  const auto view = models.Explain(application, audit);
  if (!view) {
    return fmt::print(stderr, "kezek explain: application {} does not exist{}\n", application, target ? " (then)" : ""), 1;
  }
  if (args->options.contains("--json")) {
    events::Codec codec;
    fmt::print("{}\n", codec.ViewToJson("Explanation", *view));
    return 0;
  }
  const fb::Explanation* e = flatbuffers::GetRoot<fb::Explanation>(view->data());
  fmt::print("application {}: {}{}\n", application, fb::EnumNameApplicationStatus(e->status()),
             e->position() ? fmt::format(", place {} {}", *e->position(), target ? "then" : "now") : "");
  for (const fb::ExplainedChange* c : *e->changes()) {
    const auto* text = lang == "ru" ? c->text_ru() : c->text_kk();
    fmt::print("{}  {}\n", Iso(c->engine_time_ms()), text != nullptr ? text->str() : "");
    if (audit && c->events() != nullptr) {
      for (const fb::CauseEvent* ev : *c->events()) {
        fmt::print("    {:+d}  {:<21} application {:<10} record {}\n", ev->delta(), fb::EnumNamePositionCause(ev->cause()),
                   ev->application(), ev->sequence());
      }
    }
  }
  return 0;
}

}  // namespace kezek::cli
