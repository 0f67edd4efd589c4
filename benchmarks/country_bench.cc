// The country suite: one generated history of the whole country, measured on Kezek and on the
// PostgreSQL baseline (benchmarks/pg_baseline.h) side by side, with the check that both decide
// the same. Prints a table and writes JSON; asserts nothing about time, but exits 1 when the
// decisions (or the positions read) differ, or the durable replay's state differs from the fold's.
//
//   country_bench [--births | --applications N] [--seed N] [--pg CONNINFO] [--pg-seconds S]
//                 [--durable-seconds S] [--reads N] [--work DIR] [--json FILE] [--data DIR]
//                 [--months N] [--first-year Y]
//
// The history is the country's births over the months (kezek sample --country --births; the
// default: 24 months from 2024, about 660 k families plus the queue waiting on the first day),
// or --applications N families.
//
// Measures (each for Kezek and the baseline, with the ratio):
//   fold     the rules applied to every input, state in memory (Kezek) / in PostgreSQL with
//            synchronous_commit off (the baseline's fastest honest setting)
//   ingest   durable: Kezek's runtime (JSON in, fsync'd group commit of actions, journal and
//            RocksDB state) / the baseline with synchronous_commit on, one transaction an action
//   replay   the full history rebuilt from the durable log (Kezek; the hash chain on the second
//            core, events/chain_hasher.h), and the baseline's time for
//            the same history at its measured fold rate (run in full when it fits the budget)
//   reads    position of a waiting application: Kezek's ranked sets in-process / the
//            baseline's ranking query over loopback; p50, p99 and reads per second
//   memory   peak RSS of the Kezek process during the fold and the state's growth / the
//            PostgreSQL server processes' RSS and the database size
// The baseline runs on the history's first inputs: the catalogue, then --pg-seconds more (and --durable-seconds
// durable); the decision check covers exactly the inputs it ran, and the reads compare positions
// with a Kezek engine stopped at the same input.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <rocksdb/version.h>

#include "adapters/embedded/runtime.h"
#include "adapters/limits.h"
#include "benchmarks/decision_words.h"
#include "benchmarks/machine.h"
#include "benchmarks/pg_baseline.h"
#include "engine/engine.h"
#include "events/chain_hasher.h"
#include "events/codec.h"
#include "events/input.h"
#include "workload/simulation.h"

namespace kezek {
namespace {

namespace fs = std::filesystem;
using bench::Clock;
using bench::CpuModel;
using bench::Seconds;

struct Options {
  bool births = true;  // sized by births; false: `applications` families
  uint64_t applications = 0;
  uint64_t seed = 2025;
  std::string pg = "host=127.0.0.1 port=54329 user=postgres dbname=postgres";
  double pg_seconds = 150;
  double durable_seconds = 45;
  uint64_t reads = 20'000;
  std::string work = "out/country";
  std::string json = "out/country/country.json";
  std::string data;
  int first_year = 2024;
  int months = 24;
};

uint64_t StatusKb(const char* field, const std::string& path = "/proc/self/status") {
  std::ifstream status(path);
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(std::string(field).size()));
  }
  return 0;
}
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }


// RSS of every process named "postgres" (the server and its backends; shared buffers are
// counted in each process that touched them, so this overstates rather than flatters).
uint64_t PostgresRssKb() {
  uint64_t total = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string command;
    std::getline(comm, command);
    if (command == "postgres") total += StatusKb("VmRSS:", entry.path() / "status");
  }
  return total;
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

struct Latency {
  double p50_us = 0, p99_us = 0, per_second = 0;
  uint64_t count = 0;
};
Latency Summarize(std::vector<double>& nanos, double total_seconds) {
  Latency l;
  if (nanos.empty()) return l;
  std::sort(nanos.begin(), nanos.end());
  l.count = nanos.size();
  l.p50_us = nanos[nanos.size() / 2] / 1000;
  l.p99_us = nanos[std::min(nanos.size() - 1, nanos.size() * 99 / 100)] / 1000;
  l.per_second = static_cast<double>(nanos.size()) / total_seconds;
  return l;
}

std::string TallyJson(const bench::DecisionTally& t) {
  std::string decisions;
  for (size_t i = 1; i < t.decisions.size(); ++i) {
    if (t.decisions[i] == 0) continue;
    decisions += fmt::format("{}\"{}\": {}", decisions.empty() ? "" : ", ",
                             fb::EnumNameDecisionBody(static_cast<fb::DecisionBody>(i)), t.decisions[i]);
  }
  return fmt::format(R"({{"inputs": {}, "applied": {}, "rejected": {}, "duplicate": {}, "decisions": {{{}}}}})",
                     t.inputs, t.outcomes[0], t.outcomes[1], t.outcomes[2], decisions);
}

// Progress lines reach a log file as they happen.
template <typename... Args>
void Say(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(format, std::forward<Args>(args)...);
  std::fflush(stdout);
}

int Run(const Options& o) {
  fs::create_directories(o.work);
  std::string error;
  Say("country suite: {} ({} months from {}, seed {}), baseline budget {} s + {} s durable\n",
      o.births ? std::string("the country's births") : fmt::format("{} applications", o.applications), o.months,
      o.first_year, o.seed, o.pg_seconds, o.durable_seconds);

  // --- the workload -------------------------------------------------------------------------
  std::vector<std::vector<uint8_t>> actions;
  workload::SimulationOptions sim;
  sim.seed = o.seed;
  sim.applications = static_cast<uint32_t>(o.applications);
  sim.births_sized = o.births;
  sim.country = true;
  sim.data_dir = o.data;
  sim.first_year = o.first_year;
  sim.months = o.months;
  workload::SimulationSummary summary;
  auto started = Clock::now();
  if (!workload::Simulate(sim, [&](std::span<const uint8_t> a) { actions.emplace_back(a.begin(), a.end()); },
                        &summary, &error)) {
    fmt::print(stderr, "country_bench: {}\n", error);
    return 2;
  }
  const double generate_s = Seconds(started);
  const uint64_t n = actions.size();
  Say("generated {} actions ({} applications filed, {} of them the queue waiting on the first day) in {:.1f} s\n", n,
      summary.filed, summary.backlog, generate_s);

  // --- Kezek: fold in memory ----------------------------------------------------------------
  auto engine = std::make_unique<Engine>();
  engine->TrackChanges(false);  // no store: each input's changes are forgotten
  engine->Expect(n);
  ResetPeakRss();
  const uint64_t rss_before_kb = StatusKb("VmRSS:");
  started = Clock::now();
  for (uint64_t i = 0; i < n; ++i) engine->Apply(actions[i], i);
  const double kezek_fold_s = Seconds(started);
  const uint64_t kezek_peak_kb = StatusKb("VmHWM:");
  const uint64_t kezek_state_kb = StatusKb("VmRSS:") - rss_before_kb;
  const auto kezek_hash = engine->StateHash();
  if (kezek_hash != summary.state_sha256) {
    fmt::print(stderr, "country_bench: the fold's state hash differs from the generator's engine\n");
    return 1;
  }
  Say("kezek fold: {:.2f} s, {:.0f} actions/s\n", kezek_fold_s, static_cast<double>(n) / kezek_fold_s);

  // --- Kezek: position reads ----------------------------------------------------------------
  std::vector<uint64_t> waiting;
  for (const ApplicationId id : engine->state().ApplicationNumbers()) {
    if (engine->state().app(id).status == fb::ApplicationStatus::InQueue) waiting.push_back(id.value);
  }
  workload::Random random(o.seed ^ 0x5EAD);
  std::vector<double> nanos;
  uint64_t checksum = 0;
  started = Clock::now();
  for (uint64_t r = 0; r < o.reads && !waiting.empty(); ++r) {
    const ApplicationId id{waiting[random.Below(waiting.size())]};
    const auto t0 = Clock::now();
    checksum += engine->PositionOf(id).value_or(0);
    nanos.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  const Latency kezek_reads = Summarize(nanos, Seconds(started));
  const uint64_t kezek_waiting = waiting.size();
  engine.reset();

  // --- Kezek: durable ingest and replay from the durable log ---------------------------------
  const fs::path data = fs::path(o.work) / "kezek-data";
  fs::remove_all(data);
  double ingest_s = 0;
  Sha256 durable_hash{};
  {
    events::Codec codec;
    adapters::Runtime::Options ro;
    ro.create = true;
    ro.write_behind = true;  // as kezek append: a batch's state write beside the next batch's fold
    std::unique_ptr<adapters::Runtime> runtime;
    if (auto s = adapters::Runtime::Open(data, ro, &runtime); !s.ok()) {
      fmt::print(stderr, "country_bench: {}\n", s.ToString());
      return 2;
    }
    std::vector<events::InputLine> lines;
    for (uint64_t i = 0; i < n;) {
      lines.clear();
      // As `kezek append` hands them over: lines as read (events::InputLine), several batches at a
      // time (each logged while the one before it folds).
      for (; i < n && lines.size() < limits::kAppendLinesHeld; ++i) {
        lines.push_back(events::LineOf(codec.ActionToJson(actions[i])));
      }
      const auto t0 = Clock::now();  // the portal's JSON is made and read before; Kezek's work is timed
      // No answers wanted (the decisions are the journal's): as `kezek append --quiet`.
      if (auto s = runtime->Append(lines, nullptr); !s.ok()) {
        fmt::print(stderr, "country_bench: {}\n", s.ToString());
        return 2;
      }
      ingest_s += Seconds(t0);
    }
    const auto t0 = Clock::now();
    if (auto s = runtime->Settle(); !s.ok()) {  // the last batch's state written: timed too
      fmt::print(stderr, "country_bench: {}\n", s.ToString());
      return 2;
    }
    ingest_s += Seconds(t0);
    durable_hash = runtime->engine().StateHash();
  }
  const uint64_t kezek_disk = DirBytes(data);
  Say("kezek durable ingest: {:.2f} s, {:.0f} actions/s\n", ingest_s, static_cast<double>(n) / ingest_s);
  double replay_s = 0;
  {
    started = Clock::now();
    std::unique_ptr<adapters::SegmentLog> log;
    adapters::SegmentLog::Recovery recovery;
    Engine replayed;
    replayed.HashRecords(false);  // the chain on the second core (events/chain_hasher.h)
    replayed.TrackChanges(false);
    auto s = adapters::SegmentLog::Open((data / "actions").string(), {}, &log, &recovery);
    uint64_t count = 0;
    {
      events::ChainHasher chain;
      ApplyResult result;
      std::string damaged;
      events::PrefetchQueue queue;  // each input prefetched two ahead of its fold
      events::PrefetchQueue::Ready ready;
      const auto fold = [&] {
        if (!events::FoldInput(replayed, ready.payload, ready.index, &result, &damaged)) return false;
        chain.Add(result.records);
        ++count;
        return true;
      };
      if (s.ok()) {
        replayed.Expect(log->end());
        s = log->Read(0, [&](uint64_t index, std::span<const uint8_t> payload) {
          return !queue.Push(replayed, index, payload, &ready) || fold();
        });
      }
      while (s.ok() && damaged.empty() && queue.Pop(&ready)) (void)fold();
      replayed.SetHead(chain.Head());
    }
    replay_s = Seconds(started);
    if (!s.ok() || count != n || replayed.StateHash() != durable_hash || durable_hash != kezek_hash) {
      fmt::print(stderr, "country_bench: the replay of the durable log differs ({}; {} of {} inputs)\n",
                 s.ToString(), count, n);
      return 1;
    }
  }
  Say("kezek replay of the durable log: {:.2f} s\n", replay_s);

  // --- the baseline: fold (synchronous_commit off) -------------------------------------------
  bench::PgBaseline pg;
  if (!pg.Open(o.pg, /*synchronous_commit=*/false, &error)) {
    fmt::print(stderr, "country_bench: {}\n", error);
    return 2;
  }
  const std::string pg_version = pg.ServerVersion();
  std::vector<uint64_t> pg_words_at;  // offsets of each input's words
  bench::Words pg_words;
  // The budget counts from the first filing: the catalogue before it (every kindergarten and
  // group, one action each) must not use it up, or a large history's check would see no family.
  started = Clock::now();
  auto budget_from = started;
  double pg_catalogue_s = 0;
  uint64_t pg_catalogue_n = 0;
  uint64_t pg_n = 0;
  for (; pg_n < n; ++pg_n) {
    if (pg_catalogue_n == 0 &&
        fb::GetAction(actions[pg_n].data())->body_type() == fb::ActionBody::FileApplication) {
      pg_catalogue_n = pg_n;
      pg_catalogue_s = Seconds(started);
      budget_from = Clock::now();
      Say("baseline catalogue and calendar: {} inputs in {:.1f} s\n", pg_n, pg_catalogue_s);
    }
    if (pg_n % 256 == 0 && pg_catalogue_n > 0 && Seconds(budget_from) > o.pg_seconds) break;
    pg_words_at.push_back(pg_words.size());
    if (!pg.Apply(actions[pg_n], &pg_words, &error)) {
      fmt::print(stderr, "country_bench: baseline input {}: {}\n", pg_n, error);
      return 2;
    }
  }
  const double pg_fold_s = Seconds(started);
  const double pg_statements_per_input = static_cast<double>(pg.Statements()) / static_cast<double>(std::max<uint64_t>(pg_n, 1));
  pg_words_at.push_back(pg_words.size());
  const uint64_t pg_rss_kb = PostgresRssKb();
  const uint64_t pg_disk = pg.DatabaseBytes();
  Say("baseline fold: {} inputs in {:.1f} s, {:.0f} actions/s, {:.1f} statements an input\n", pg_n, pg_fold_s,
      static_cast<double>(pg_n) / pg_fold_s, pg_statements_per_input);

  // Kezek again over the same inputs, for the decision check and positions at the same point.
  Engine same_point;
  bench::Words kezek_words;
  std::vector<uint64_t> input_of_sequence;
  bench::DecisionTally kezek_tally, pg_tally;
  uint64_t mismatches = 0;
  for (uint64_t i = 0; i < pg_n; ++i) {
    kezek_words.clear();
    const ApplyResult result = same_point.Apply(actions[i], i);
    for (const std::span<const uint8_t> record : result.records) {
      bench::RecordWords(*fb::GetJournalRecord(record.data()), &kezek_words, &input_of_sequence);
    }
    const std::span<const uint64_t> theirs(pg_words.data() + pg_words_at[i], pg_words_at[i + 1] - pg_words_at[i]);
    kezek_tally.Add(kezek_words);
    pg_tally.Add(theirs);
    if (!std::equal(kezek_words.begin(), kezek_words.end(), theirs.begin(), theirs.end()) && mismatches++ < 3) {
      fmt::print(stderr, "decision mismatch at input {}:\n  kezek:    {}\n  baseline: {}\n", i,
                 bench::DescribeWords(kezek_words), bench::DescribeWords(theirs));
    }
  }

  // --- the baseline: position reads, compared with Kezek at the same input ----------------------
  const std::vector<uint64_t> pg_waiting = pg.WaitingApplications(&error);
  nanos.clear();
  uint64_t position_mismatches = 0;
  started = Clock::now();
  const uint64_t pg_reads = pg_waiting.empty() ? 0 : o.reads;
  for (uint64_t r = 0; r < pg_reads; ++r) {
    const uint64_t id = pg_waiting[random.Below(pg_waiting.size())];
    const auto t0 = Clock::now();
    const auto position = pg.PositionOf(id, &error);
    nanos.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    if (position != same_point.PositionOf(ApplicationId{id})) ++position_mismatches;
  }
  const Latency pg_read = Summarize(nanos, Seconds(started));
  // The same ranking query without a round trip per read: 500 applications a statement.
  double pg_batched_us = 0;
  if (!pg_waiting.empty()) {
    std::vector<uint64_t> batch;
    uint64_t batched = 0;
    started = Clock::now();
    for (uint64_t r = 0; r < pg_reads; r += 500) {
      batch.clear();
      for (uint64_t k = 0; k < 500; ++k) batch.push_back(pg_waiting[random.Below(pg_waiting.size())]);
      checksum += pg.RanksOf(batch, &error);
      batched += batch.size();
    }
    pg_batched_us = Seconds(started) * 1e6 / static_cast<double>(std::max<uint64_t>(batched, 1));
  }

  // --- the baseline: durable ingest (synchronous_commit on) -----------------------------------
  bench::PgBaseline durable;
  if (!durable.Open(o.pg, /*synchronous_commit=*/true, &error)) {
    fmt::print(stderr, "country_bench: {}\n", error);
    return 2;
  }
  events::Codec codec;
  bench::Words durable_words;
  std::vector<uint8_t> parsed;
  uint64_t durable_n = 0, durable_mismatches = 0;
  double durable_s = 0;
  for (; durable_n < pg_n && durable_s < o.durable_seconds; ++durable_n) {
    const std::string json = codec.ActionToJson(actions[durable_n]);
    durable_words.clear();
    const auto t0 = Clock::now();  // JSON in, as for Kezek's runtime
    if (codec.ParseAction(json, &parsed).code != fb::RejectionCode::None ||
        !durable.Apply(parsed, &durable_words, &error)) {
      fmt::print(stderr, "country_bench: durable baseline input {}: {}\n", durable_n, error);
      return 2;
    }
    durable_s += Seconds(t0);
    const std::span<const uint64_t> expected(pg_words.data() + pg_words_at[durable_n],
                                             pg_words_at[durable_n + 1] - pg_words_at[durable_n]);
    if (!std::equal(durable_words.begin(), durable_words.end(), expected.begin(), expected.end())) ++durable_mismatches;
  }

  // --- report -------------------------------------------------------------------------------
  const double kezek_fold_rate = static_cast<double>(n) / kezek_fold_s;
  const double pg_fold_rate = static_cast<double>(pg_n) / pg_fold_s;
  const double kezek_ingest_rate = static_cast<double>(n) / ingest_s;
  const double pg_ingest_rate = static_cast<double>(durable_n) / durable_s;
  const double pg_replay_s = static_cast<double>(n) / pg_fold_rate;
  const bool pg_full = pg_n == n;
  const bool equal = mismatches == 0 && durable_mismatches == 0 && kezek_tally == pg_tally && position_mismatches == 0;

  fmt::print("\n{:<34} {:>16} {:>16} {:>10}\n", "measure", "kezek", "postgresql", "ratio");
  const auto row = [](std::string_view name, double k, double p, std::string_view unit, bool higher_better) {
    fmt::print("{:<34} {:>16} {:>16} {:>9.1f}x\n", name, fmt::format("{:.1f} {}", k, unit),
               fmt::format("{:.1f} {}", p, unit), higher_better ? k / p : p / k);
  };
  row("fold (actions/s)", kezek_fold_rate, pg_fold_rate, "", true);
  row("durable ingest (actions/s)", kezek_ingest_rate, pg_ingest_rate, "", true);
  row(pg_full ? "replay, full history (s)" : "replay, full history (s; pg est.)", replay_s, pg_replay_s, "", false);
  row("position read p50 (us)", kezek_reads.p50_us, pg_read.p50_us, "", false);
  row("position read p99 (us)", kezek_reads.p99_us, pg_read.p99_us, "", false);
  row("position reads (per s)", kezek_reads.per_second, pg_read.per_second, "", true);
  row("  ranking query alone, batched (us)", kezek_reads.p50_us, pg_batched_us, "", false);
  fmt::print("{:<34} {:>16} {:>16}\n", "peak memory (MiB)", fmt::format("{:.0f}", kezek_peak_kb / 1024.0),
             fmt::format("{:.0f}", pg_rss_kb / 1024.0));
  fmt::print("{:<34} {:>16} {:>16}\n", "state in memory / on disk (MiB)", fmt::format("{:.0f}", kezek_state_kb / 1024.0),
             fmt::format("{:.0f}", pg_disk / 1048576.0));
  fmt::print("{:<34} {:>16}\n", "kezek data directory (MiB)", fmt::format("{:.0f}", kezek_disk / 1048576.0));
  fmt::print("\nbaseline ran {} of {} inputs ({:.1f}%) in its fold budget, {} durably; waiting applications: "
             "kezek {} at the end, baseline {} at its last input\n",
             pg_n, n, 100.0 * static_cast<double>(pg_n) / static_cast<double>(n), durable_n, kezek_waiting,
             pg_waiting.size());
  fmt::print("decision check over {} inputs: {} ({} mismatching inputs, {} in the durable run, {} positions differ)\n",
             pg_n, equal ? "EQUAL" : "DIFFERENT", mismatches, durable_mismatches, position_mismatches);
  fmt::print("  kezek:    {}\n  baseline: {}\n", TallyJson(kezek_tally), TallyJson(pg_tally));
  fmt::print("machine: {}, {} cores, {:.0f} GiB; postgresql {}, rocksdb {}.{}.{}, {}\n", CpuModel(),
             sysconf(_SC_NPROCESSORS_ONLN),
             static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE)) / (1 << 30),
             pg_version, ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH, "gcc " __VERSION__);

  std::ofstream json(o.json);
  json << fmt::format(
      R"({{"sized_by": "{}", "months": {}, "first_year": {}, "applications": {}, "backlog": {}, "actions": {}, "seed": {}, "generate_s": {:.2f},
 "kezek": {{"fold_actions_per_s": {:.0f}, "ingest_actions_per_s": {:.0f}, "replay_s": {:.2f},
   "read_p50_us": {:.3f}, "read_p99_us": {:.3f}, "reads_per_s": {:.0f}, "peak_rss_mib": {:.0f},
   "state_mib": {:.0f}, "data_dir_mib": {:.0f}, "waiting": {}}},
 "postgresql": {{"inputs_folded": {}, "fold_actions_per_s": {:.0f}, "inputs_durable": {}, "ingest_actions_per_s": {:.0f},
   "statements_per_input": {:.1f}, "catalogue_inputs": {}, "catalogue_s": {:.2f}, "replay_s": {:.2f}, "replay_estimated": {}, "read_p50_us": {:.3f}, "read_p99_us": {:.3f}, "reads_per_s": {:.0f},
   "rank_query_batched_us": {:.3f}, "server_rss_mib": {:.0f}, "database_mib": {:.0f}, "waiting": {}}},
 "ratio": {{"fold": {:.1f}, "ingest": {:.1f}, "replay": {:.1f}, "read_p50": {:.1f}, "read_p99": {:.1f}, "reads_per_s": {:.1f}}},
 "decisions_equal": {}, "mismatching_inputs": {}, "durable_mismatching_inputs": {}, "position_mismatches": {},
 "kezek_decisions": {}, "baseline_decisions": {},
 "machine": {{"cpu": "{}", "cores": {}}}, "versions": {{"postgresql": "{}", "rocksdb": "{}.{}.{}", "compiler": "gcc {}"}}}}
)",
      o.births ? "births" : "applications", o.months, o.first_year, summary.filed, summary.backlog, n, o.seed, generate_s, kezek_fold_rate, kezek_ingest_rate, replay_s, kezek_reads.p50_us,
      kezek_reads.p99_us, kezek_reads.per_second, kezek_peak_kb / 1024.0, kezek_state_kb / 1024.0,
      kezek_disk / 1048576.0, kezek_waiting, pg_n, pg_fold_rate, durable_n, pg_ingest_rate, pg_statements_per_input, pg_catalogue_n, pg_catalogue_s, pg_replay_s,
      pg_full ? "false" : "true", pg_read.p50_us, pg_read.p99_us, pg_read.per_second, pg_batched_us, pg_rss_kb / 1024.0,
      pg_disk / 1048576.0, pg_waiting.size(), kezek_fold_rate / pg_fold_rate, kezek_ingest_rate / pg_ingest_rate,
      pg_replay_s / replay_s, pg_read.p50_us / kezek_reads.p50_us, pg_read.p99_us / kezek_reads.p99_us,
      kezek_reads.per_second / pg_read.per_second, equal ? "true" : "false", mismatches, durable_mismatches,
      position_mismatches, TallyJson(kezek_tally), TallyJson(pg_tally), CpuModel(),
      sysconf(_SC_NPROCESSORS_ONLN), pg_version, ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH, __VERSION__);
  json.close();
  fmt::print("JSON: {}\n", o.json);
  (void)checksum;
  return equal ? 0 : 1;
}

}  // namespace
}  // namespace kezek

int main(int argc, char** argv) {
  constexpr const char* kUsage =
      "usage: country_bench [--births | --applications N] [--seed N] [--pg CONNINFO] [--pg-seconds S] "
      "[--durable-seconds S] [--reads N] [--work DIR] [--json FILE] [--data DIR] [--months N] [--first-year Y]\n";
  kezek::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--births") {
      o.births = true;
      continue;
    }
    if (i + 1 >= argc) return fmt::print(stderr, "country_bench: {} needs a value\n{}", arg, kUsage), 2;
    const std::string value = argv[++i];
    try {
      size_t used = 0;
      const auto number = [&]() { const uint64_t v = std::stoull(value, &used); return used == value.size() ? v : throw std::invalid_argument(value); };
      const auto seconds = [&]() { const double v = std::stod(value, &used); return used == value.size() && v >= 0 ? v : throw std::invalid_argument(value); };
      if (arg == "--applications") o.applications = number(), o.births = false;
      else if (arg == "--seed") o.seed = number();
      else if (arg == "--pg") o.pg = value;
      else if (arg == "--pg-seconds") o.pg_seconds = seconds();
      else if (arg == "--durable-seconds") o.durable_seconds = seconds();
      else if (arg == "--reads") o.reads = number();
      else if (arg == "--work") o.work = value;
      else if (arg == "--json") o.json = value;
      else if (arg == "--data") o.data = value;
      else if (arg == "--months") o.months = static_cast<int>(number());
      else if (arg == "--first-year") o.first_year = static_cast<int>(number());
      else return fmt::print(stderr, "country_bench: unknown option {}\n{}", arg, kUsage), 2;
    } catch (const std::exception&) {
      return fmt::print(stderr, "country_bench: {} takes a number, not '{}'\n{}", arg, value, kUsage), 2;
    }
  }
  if ((!o.births && (o.applications == 0 || o.applications > 20'000'000)) || o.months < 1 || o.months > 84 || o.first_year < 2020 ||
      o.first_year > 2026) {
    return fmt::print(stderr, "country_bench: --applications 1..20000000, --months 1..84, --first-year 2020..2026\n"), 2;
  }
  return kezek::Run(o);
}
