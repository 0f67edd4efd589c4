// The fold's throughput and memory on a generated city history, beside baselines in the same run:
// the Verifier alone (the floor any fold pays), the fold from JSON lines, and position reads
// against a naive count over the queue. Prints a table and JSON; asserts nothing about time.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "benchmarks/machine.h"

#include "engine/engine.h"
#include "engine/rules.h"
#include "events/codec.h"
#include "workload/simulation.h"

namespace kezek {
namespace {

using bench::Clock;
using bench::CpuModel;
using bench::ResidentBytes;
using bench::Seconds;




struct Row {
  std::string name;
  double value;
  std::string unit;
  std::string baseline_name;
  double baseline;
};

}  // namespace
}  // namespace kezek

int main(int argc, char** argv) {
  using namespace kezek;
  workload::SimulationOptions options;
  int repeats = 3;
  int only_fold = 0;
  for (int i = 1; i < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--country") {  // a flag: no value
      options.country = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) return fmt::print(stderr, "fold_bench: {} needs a value\n", arg), 2;
    if (arg == "--applications") options.applications = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    else if (arg == "--months") options.months = std::stoi(argv[i + 1]);
    else if (arg == "--repeats") repeats = std::stoi(argv[i + 1]);
    else if (arg == "--seed") options.seed = std::stoull(argv[i + 1]);
    else if (arg == "--fold-repeats-only") only_fold = std::stoi(argv[i + 1]);  // for profilers
    else return fmt::print(stderr, "usage: fold_bench [--applications N] [--months N] [--repeats N] [--seed N] [--country]\n"), 2;
  }
  std::vector<std::vector<uint8_t>> log;
  workload::SimulationSummary generated;
  std::string error;
  if (!workload::Simulate(options, [&](std::span<const uint8_t> b) { log.emplace_back(b.begin(), b.end()); }, &generated, &error)) {
    return fmt::print(stderr, "fold_bench: {}\n", error), 1;
  }
  const double n = static_cast<double>(log.size());
  for (int r = 0; r < only_fold; ++r) {
    Engine engine;
    engine.TrackChanges(false);
    for (size_t i = 0; i < log.size(); ++i) (void)engine.Apply(log[i], i);
  }
  if (only_fold > 0) return 0;
  events::Codec codec;
  std::vector<std::string> json;
  json.reserve(log.size());
  for (const auto& bytes : log) json.push_back(codec.ActionToJson(bytes));

  // Baseline: the Verifier alone.
  double verify_best = 1e99;
  for (int r = 0; r < repeats; ++r) {
    const auto t = Clock::now();
    uint64_t ok = 0;
    for (const auto& bytes : log) {
      flatbuffers::Verifier v(bytes.data(), bytes.size(), 16, 4096);
      ok += fb::VerifyActionBuffer(v) ? 1 : 0;
    }
    verify_best = std::min(verify_best, Seconds(t));
    if (ok != log.size()) return fmt::print(stderr, "fold_bench: a generated action fails the Verifier\n"), 1;
  }

  // The fold, binary input; the last engine is kept for the position reads.
  double fold_best = 1e99;
  uint64_t state_bytes = 0;
  std::unique_ptr<Engine> engine;
  for (int r = 0; r < repeats; ++r) {
    engine.reset();
    const uint64_t before = ResidentBytes();
    engine = std::make_unique<Engine>();
    engine->TrackChanges(false);  // no store
    const auto t = Clock::now();
    for (size_t i = 0; i < log.size(); ++i) (void)engine->Apply(log[i], i);
    fold_best = std::min(fold_best, Seconds(t));
    state_bytes = ResidentBytes() - before;
    if (engine->StateHash() != generated.state_sha256) return fmt::print(stderr, "fold_bench: state hash differs\n"), 1;
  }

  // The fold from JSON lines (parse, canonicalize, apply).
  double json_best = 1e99;
  for (int r = 0; r < std::max(1, repeats - 1); ++r) {
    Engine json_engine;
    std::vector<uint8_t> bytes;
    const auto t = Clock::now();
    for (size_t i = 0; i < json.size(); ++i) {
      if (codec.ParseAction(json[i], &bytes).code != fb::RejectionCode::None) return fmt::print(stderr, "fold_bench: JSON\n"), 1;
      (void)json_engine.Apply(bytes, i);
    }
    json_best = std::min(json_best, Seconds(t));
  }

  // Position reads: every waiting application, O(log n), against a naive count of those ahead.
  std::vector<ApplicationId> waiting;
  for (const Queue& q : engine->state().queues) q.ForEach([&](const QueueEntry& e, Line) { waiting.push_back(e.application); });
  uint64_t checksum = 0;
  auto t = Clock::now();
  const int read_rounds = 20;
  for (int r = 0; r < read_rounds; ++r) for (const ApplicationId id : waiting) checksum += *engine->PositionOf(id);
  const double read_ns = Seconds(t) * 1e9 / static_cast<double>(waiting.size() * read_rounds);
  t = Clock::now();
  uint64_t naive_checksum = 0;
  const State& s = engine->state();
  for (const ApplicationId id : waiting) {
    const Application& a = s.app(id);
    const QueueEntry mine{a.place.tier, a.filed_at, a.id};
    uint64_t ahead = 0;
    s.queues[a.queue].ForEach([&](const QueueEntry& e, Line line) {
      ahead += (line == Line::Priority && a.place.line == Line::General) || (line == a.place.line && e < mine);
    });
    naive_checksum += ahead + 1;
  }
  const double naive_ns = Seconds(t) * 1e9 / static_cast<double>(waiting.size());

  const std::vector<Row> rows = {
      {"fold, binary actions", n / fold_best, "actions/s", "Verifier alone", n / verify_best},
      {"fold, JSON lines", n / json_best, "actions/s", "fold, binary actions", n / fold_best},
      {"position read", read_ns, "ns/read", "naive count over the queue", naive_ns},
      {"state memory (RSS growth)", static_cast<double>(state_bytes) / 1048576.0, "MiB", "", 0},
  };
  fmt::print("Kezek fold benchmark — {} applications, {} months, seed {}: {} actions, {} waiting\n",
             options.applications, options.months, options.seed, log.size(), waiting.size());
  fmt::print("machine: {} ({} cores online), one core used; best of {}\n\n", CpuModel(), sysconf(_SC_NPROCESSORS_ONLN), repeats);
  fmt::print("| {:<28} | {:>14} | {:<9} | {:<28} | {:>14} | {:>8} |\n", "measure", "value", "unit", "baseline", "baseline value", "ratio");
  fmt::print("|{:-<30}|{:->16}|{:-<11}|{:-<30}|{:->16}|{:->10}|\n", "", "", "", "", "", "");
  for (const Row& r : rows) {
    const bool lower_better = r.unit == "ns/read";
    const double ratio = r.baseline == 0 ? 0 : lower_better ? r.baseline / r.value : r.value / r.baseline;
    fmt::print("| {:<28} | {:>14.1f} | {:<9} | {:<28} | {:>14.1f} | {:>7.2f}x |\n", r.name, r.value, r.unit,
               r.baseline_name, r.baseline, ratio);
  }
  fmt::print("\n{{\"benchmark\":\"fold\",\"applications\":{},\"months\":{},\"seed\":{},\"actions\":{},\"machine\":\"{}\",\"cores\":{},"
             "\"fold_actions_per_s\":{:.0f},\"verify_actions_per_s\":{:.0f},\"json_fold_actions_per_s\":{:.0f},"
             "\"position_read_ns\":{:.1f},\"naive_position_read_ns\":{:.1f},\"state_rss_bytes\":{},\"checksums_equal\":{}}}\n",
             options.applications, options.months, options.seed, log.size(), CpuModel(), sysconf(_SC_NPROCESSORS_ONLN),
             n / fold_best, n / verify_best, n / json_best, read_ns, naive_ns, state_bytes,
             checksum / read_rounds == naive_checksum ? "true" : "false");
  return checksum / read_rounds == naive_checksum ? 0 : 1;
}
