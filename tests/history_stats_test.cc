// kezek stats' figures against counts taken from the engine itself: applications waiting per
// locality and queue as the engine's state holds them (at the end, and as of an input half-way,
// by sequence and by instant), archivals by reason, and the monthly series against as-of questions.
#include <map>

#include "engine/engine.h"
#include "events/codec.h"
#include "projections/history_stats.h"
#include "workload/simulation.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

using projections::HistoryStats;

struct Folded {
  std::vector<std::vector<uint8_t>> records;
  std::map<HistoryStats::Key, uint64_t> waiting_half, waiting_end;  // from the engine's state
  std::map<HistoryStats::Key, uint64_t> enrolled_end;
  uint64_t half_sequence = 0;
  int64_t half_time_ms = 0;
};

std::map<HistoryStats::Key, uint64_t> Waiting(const State& s, bool enrolled = false) {
  std::map<HistoryStats::Key, uint64_t> out;
  for (size_t i = 1; i < s.applications.size(); ++i) {
    const Application& a = s.applications[i];
    const bool counted = enrolled ? a.status == fb::ApplicationStatus::Archived && a.archive_reason == fb::ArchiveReason::Enrolled
                                  : a.status == fb::ApplicationStatus::InQueue;
    if (!counted) continue;
    const uint8_t special = a.type == fb::QueueType::Special ? 1 : 0;
    ++out[HistoryStats::Key{a.locality.value, special}];
    ++out[HistoryStats::Key{0, special}];
  }
  return out;
}

Folded Fold() {
  workload::SimulationOptions options;
  options.seed = 8;
  options.applications = 1500;
  options.months = 24;
  options.country = true;
  const auto log = SimulatedLog(options);
  Folded f;
  auto engine = std::make_unique<Engine>();
  for (size_t i = 0; i < log.size(); ++i) {
    if (i == log.size() / 2) {
      f.waiting_half = Waiting(engine->state());
      f.half_sequence = engine->state().next_sequence;
    }
    const ApplyResult r = engine->Apply(log[i], i);
    for (const auto record : r.records) f.records.emplace_back(record.begin(), record.end());
  }
  f.half_time_ms = fb::GetJournalRecord(f.records[f.half_sequence].data())->engine_time_ms();
  f.waiting_end = Waiting(engine->state());
  f.enrolled_end = Waiting(engine->state(), /*enrolled=*/true);
  return f;
}

HistoryStats StatsOf(const Folded& f, HistoryStats::Bound bound = {}) {
  HistoryStats stats(bound);
  for (const auto& r : f.records) {
    if (!stats.Apply(r)) break;
  }
  return stats;
}

std::map<HistoryStats::Key, uint64_t> WaitingOf(const HistoryStats& stats) {
  std::map<HistoryStats::Key, uint64_t> out;
  for (const auto& [key, flows] : stats.FlowsByKey()) {
    if (flows.waiting > 0) out[key] = flows.waiting;
  }
  return out;
}

}  // namespace

TEST_CASE("stats: the waiting and the enrolled per locality and queue are the engine's, at the end and as of half-way") {
  const Folded f = Fold();
  REQUIRE(f.waiting_end.size() > 4);  // several localities, both queues somewhere
  const HistoryStats all = StatsOf(f);
  CHECK(all.records() == f.records.size());
  CHECK(WaitingOf(all) == f.waiting_end);
  std::map<HistoryStats::Key, uint64_t> enrolled;
  for (const auto& [key, flows] : all.FlowsByKey()) {
    if (flows.archived_enrolled > 0) enrolled[key] = flows.archived_enrolled;
    CHECK(flows.vouchers_used == flows.wait_to_enrollment_minutes.size());
    CHECK(flows.wait_to_voucher_minutes.size() <= flows.vouchers_issued);
    CHECK(flows.waiting <= flows.queued + flows.returned_to_queue);
  }
  CHECK(enrolled == f.enrolled_end);

  // As of half-way: by sequence, and by the instant of the first record left out.
  const HistoryStats by_sequence = StatsOf(f, {.before_ms = std::nullopt, .before_sequence = f.half_sequence});
  CHECK(by_sequence.records() == f.half_sequence);
  CHECK(WaitingOf(by_sequence) == f.waiting_half);
  const HistoryStats by_time = StatsOf(f, {.before_ms = f.half_time_ms, .before_sequence = std::nullopt});
  CHECK(by_time.records() <= f.half_sequence);
  if (by_time.records() == f.half_sequence) CHECK(WaitingOf(by_time) == f.waiting_half);

  // The monthly series: the end of every month equals the question "as of the month's end".
  const auto monthly = all.monthly();
  REQUIRE(monthly.size() > 20);
  uint64_t checked = 0;
  for (const int32_t month : {202403, 202412, 202506}) {
    const int32_t next = month % 100 == 12 ? (month / 100 + 1) * 100 + 1 : month + 1;
    const int64_t first_ms = int64_t{civil::FromYmd({next / 100, static_cast<unsigned>(next % 100), 1}).value} * kMsPerDay -
                             5 * kHourMs;  // 00:00 UTC+5 of the next month
    const HistoryStats as_of = StatsOf(f, {.before_ms = first_ms, .before_sequence = std::nullopt});
    for (const auto& [key, waiting] : as_of.FlowsByKey()) {
      const auto it = monthly.find({month, key});
      REQUIRE(it != monthly.end());
      CHECK(it->second == waiting.waiting);
      ++checked;
    }
  }
  CHECK(checked > 10);
  // Reports are deterministic and name the country's rows.
  CHECK(all.Json() == StatsOf(f).Json());
  CHECK(all.Csv("flows").find("0,Казахстан,general,") != std::string::npos);
  CHECK(all.Csv("queue").rfind("month,locality,locality_name,queue,waiting\n", 0) == 0);
}

}  // namespace kezek::test
