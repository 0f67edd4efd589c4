// The summary the country suite compares Kezek and the PostgreSQL baseline by
// (benchmarks/decision_words.h): equal histories give equal words, and a change anywhere shows.
#include <doctest/doctest.h>

#include "benchmarks/decision_words.h"
#include "engine/engine.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

std::vector<bench::Words> WordsOf(const std::vector<std::vector<uint8_t>>& log) {
  Engine engine;
  std::vector<bench::Words> all;
  std::vector<uint64_t> input_of_sequence;
  for (size_t i = 0; i < log.size(); ++i) {
    const ApplyResult result = engine.Apply(log[i], i);
    all.emplace_back();
    for (const auto record : result.records) {
      bench::RecordWords(*fb::GetJournalRecord(record.data()), &all.back(), &input_of_sequence);
    }
  }
  return all;
}

bench::DecisionTally TallyOf(const std::vector<bench::Words>& words) {
  bench::DecisionTally tally;
  for (const auto& w : words) tally.Add(w);
  return tally;
}

TEST_CASE("decision words: the same log gives the same words; a dropped action changes them from there on") {
  workload::SimulationOptions options;
  options.applications = 300;
  options.months = 6;
  const auto log = SimulatedLog(options);
  const auto first = WordsOf(log);
  const auto second = WordsOf(log);
  CHECK(first == second);
  CHECK(TallyOf(first) == TallyOf(second));

  const bench::DecisionTally tally = TallyOf(first);
  CHECK(tally.inputs == log.size());
  CHECK(tally.outcomes[0] + tally.outcomes[1] + tally.outcomes[2] == log.size());
  CHECK(tally.decisions[static_cast<size_t>(fb::DecisionBody::VoucherIssued)] > 0);
  CHECK(tally.decisions[static_cast<size_t>(fb::DecisionBody::EnteredQueue)] > 0);

  // Drop the first filing: every later application number shifts, so the words differ at once.
  auto changed = log;
  size_t dropped = 0;
  for (size_t i = 0; i < changed.size(); ++i) {
    if (fb::GetAction(changed[i].data())->body_type() == fb::ActionBody::FileApplication) {
      dropped = i;
      break;
    }
  }
  REQUIRE(dropped > 0);
  changed.erase(changed.begin() + static_cast<std::ptrdiff_t>(dropped));
  const auto third = WordsOf(changed);
  size_t first_difference = 0;
  while (first_difference < third.size() && third[first_difference] == first[first_difference]) ++first_difference;
  CHECK(first_difference == dropped);
  CHECK_FALSE(TallyOf(third) == tally);
}

TEST_CASE("decision words: described with the decision names, field counts kept") {
  const bench::Words words = {0, 0, 0, static_cast<uint64_t>(fb::DecisionBody::EnteredQueue), 2, 17, 3,
                              static_cast<uint64_t>(fb::DecisionBody::Notification), 2, 17, 0};
  CHECK(bench::DescribeWords(words) == "outcome 0 code 0 duplicate_of 0; EnteredQueue 17 3; Notification 17 0");
  bench::DecisionTally tally;
  tally.Add(words);
  CHECK(tally.decisions[static_cast<size_t>(fb::DecisionBody::EnteredQueue)] == 1);
  CHECK(tally.decisions[static_cast<size_t>(fb::DecisionBody::Notification)] == 1);
  CHECK(tally.outcomes[0] == 1);
}

}  // namespace
}  // namespace kezek::test
