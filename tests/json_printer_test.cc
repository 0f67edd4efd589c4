// events/json_printer.h: the JSON of actions, journal records and answers, written by Kezek's
// printer, is FlatBuffers' GenerateText's byte for byte (through the codec's repairs and the
// person-facing record form): on every input, record and answer of generated histories, and on
// the records of mutated and hostile lines (refused inputs keep their raw bytes, control
// characters, invalid UTF-8).
#include <algorithm>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "engine/engine.h"
#include "events/answer.h"
#include "events/codec.h"
#include "events/input.h"
#include "projections/read_models.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

struct Printers {
  events::Codec fast;
  events::Codec flatbuffers;
  size_t compared = 0;
  size_t differing = 0;
  Printers() { flatbuffers.PrintByFlatBuffers(true); }

  void Same(const std::string& what, const std::string& a, const std::string& b) {
    ++compared;
    if (a != b && ++differing <= 3) {
      const auto at = static_cast<size_t>(std::mismatch(a.begin(), a.begin() + static_cast<ptrdiff_t>(std::min(a.size(), b.size())),
                                                        b.begin()).first - a.begin());
      MESSAGE(fmt::format("{} differs at byte {}:\n  kezek:       {}\n  flatbuffers: {}", what, at,
                          a.substr(at > 80 ? at - 80 : 0, 200), b.substr(at > 80 ? at - 80 : 0, 200)));
    }
  }
  // Folds `payload` (an actions-log input) and compares the action's, every record's and the answer's JSON.
  void Fold(Engine& engine, std::span<const uint8_t> payload, uint64_t input) {
    if (payload[0] == events::kInputAction) {
      const std::vector<uint8_t> action(payload.begin() + 1, payload.end());  // aligned, as read in place
      if (events::Codec::VerifiedAction(action)) {
        Same("action", fast.ActionToJson(action), flatbuffers.ActionToJson(action));
      }
    }
    ApplyResult result;
    std::string error;
    REQUIRE(events::FoldInput(engine, payload, input, &result, &error));
    for (const auto& record : result.records) Same("record", fast.RecordToJson(record), flatbuffers.RecordToJson(record));
    const std::vector<uint8_t> answer = events::AnswerOf(input, result.records, {});
    const std::string text = fast.AnswerToJson(answer);
    Same("answer", text, flatbuffers.AnswerToJson(answer));
    CHECK(text.ends_with(",\"partition\": null}"));  // embedded: no partition
    // A Kafka deployment's answer names its partition (an optional scalar, present).
    const auto partition = static_cast<int32_t>(input % 3);
    const std::vector<uint8_t> in_partition = events::AnswerOf(input, result.records, {}, nullptr, partition);
    const std::string partition_text = fast.AnswerToJson(in_partition);
    Same("answer in a partition", partition_text, flatbuffers.AnswerToJson(in_partition));
    CHECK(partition_text.ends_with(fmt::format(",\"partition\": {}}}", partition)));
  }
};

TEST_CASE("json printer: every action, record and answer of generated histories prints as FlatBuffers prints it") {
  for (const bool country : {false, true}) {
    workload::SimulationOptions options;
    options.seed = 31;
    options.applications = country ? 3000 : 1500;
    options.months = 14;
    options.country = country;
    Printers printers;
    Engine engine;
    uint64_t input = 0;
    for (const std::vector<uint8_t>& action : SimulatedLog(options)) {
      printers.Fold(engine, events::EncodeAction(action), input++);
    }
    CHECK(printers.differing == 0);
    CHECK(printers.compared >= 3 * input);  // an action, a record at least, an answer
    MESSAGE(fmt::format("{} ({}): {} texts compared", country ? "country" : "city", input, printers.compared));
  }
}

TEST_CASE("json printer: the read models' views (what kezek serve answers) print alike") {
  workload::SimulationOptions options;
  options.seed = 17;
  options.applications = 1500;
  options.months = 14;
  Printers printers;
  Engine engine;
  projections::ReadModels models;
  uint64_t input = 0;
  for (const std::vector<uint8_t>& action : SimulatedLog(options)) {
    ApplyResult result;
    std::string error;
    REQUIRE(events::FoldInput(engine, events::EncodeAction(action), input++, &result, &error));
    for (const auto& record : result.records) models.Apply(record);
  }
  const auto same = [&](std::string_view table, const std::vector<uint8_t>& view) {
    printers.Same(std::string(table), printers.fast.ViewToJson(table, view), printers.flatbuffers.ViewToJson(table, view));
  };
  size_t applications = 0;
  for (const ApplicationId id : engine.state().ApplicationNumbers()) {
    if (applications++ % 7 != 0) continue;
    const std::string applicant = FormatIin(engine.state().app(id).applicant);
    if (const auto card = models.Card(id.value)) same("ApplicationCard", *card);
    if (const auto position = models.Position(id.value)) same("PositionView", *position);
    for (const bool audit : {true, false}) {
      if (const auto explained = models.Explain(id.value, audit)) same("Explanation", *explained);
    }
    same("Inbox", models.Inbox(applicant, 0, projections::kPageLimitMax));
    same("ApplicationList", models.Applications(applicant));
  }
  same("Catalogue", models.Catalogue({}));
  same("QueueStatistics", models.Statistics());
  CHECK(printers.differing == 0);
  CHECK(printers.compared > applications / 7 * 3);
  MESSAGE(fmt::format("{} views compared", printers.compared));
}

TEST_CASE("json printer: records of the crash corpus and of mutated lines (refused inputs' raw bytes too) print alike") {
  Printers printers;
  std::vector<std::string> seeds;
  {
    workload::SimulationOptions options;
    options.seed = 7;
    options.applications = 400;
    options.months = 6;
    for (const auto& action : SimulatedLog(options)) seeds.push_back(printers.fast.ActionToJson(action));
  }
  std::ifstream corpus(std::string(KEZEK_SOURCE_DIR) + "/tests/corpus/crashes.jsonl");
  REQUIRE(corpus);
  for (std::string line; std::getline(corpus, line);) seeds.push_back(line);
  const std::vector<std::string> tokens = {"\\u0001", "\\u001f", "\xff", "\xc3", "\xe2\x82", "\x01", "\x7f", "\\\"",
                                           "\\\\", "\xd0\x90", "\xf0\x9f\x98\x80", "\\ud800", "\t", "null", "1e400"};
  std::mt19937_64 random(5);
  const auto below = [&](size_t n) { return static_cast<size_t>(random() % n); };
  Engine engine;
  uint64_t input = 0;
  for (size_t i = 0; i < seeds.size() + 6000; ++i) {
    std::string line = seeds[i < seeds.size() ? i : below(seeds.size())];
    if (i >= seeds.size()) {
      for (size_t edits = 1 + below(3); edits > 0 && !line.empty(); --edits) {
        const size_t at = below(line.size());
        if (below(2) == 0) {
          line.insert(at, tokens[below(tokens.size())]);
        } else {
          line[at] = static_cast<char>(random());
        }
      }
    }
    events::InputLine input_line;
    input_line.bytes = line.size();
    input_line.text = std::move(line);
    printers.Fold(engine, events::EncodeInput(printers.fast, input_line), input++);
  }
  CHECK(printers.differing == 0);
  MESSAGE(fmt::format("{} inputs: {} texts compared", input, printers.compared));
}

}  // namespace
}  // namespace kezek::test
