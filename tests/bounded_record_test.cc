// A journal record has a bound (DESIGN §5; engine/limits.h; docs/domain.md "One input, several
// records"): the decisions of one input that pass it are split in order across consecutive
// records, each under the bound, chained, and saying which input it belongs to and whether more
// follow; together they hold what one unbounded record would have held.
#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "engine/limits.h"
#include "events/answer.h"
#include "events/journal_chain.h"
#include "replay/verify.h"
#include "answers_generated.h"
#include "tests/engine_testing.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

constexpr uint32_t kChildren = 5'000;

struct Played {
  std::unique_ptr<World> world = std::make_unique<World>();
  Crowd crowd;
};

// The crowd's history, with the record's bound (or, `unbounded`, with it raised past any input).
Played Play(bool unbounded) {
  Played played;
  if (unbounded) EngineTesting::SetRecordBound(played.world->engine, EngineTesting::Unbounded());
  played.crowd = PlayCrowd(*played.world, kChildren);
  return played;
}

const Played& Bounded() {
  static const Played played = Play(false);
  return played;
}

const Played& Unbounded() {
  static const Played played = Play(true);
  return played;
}

// Every decision of the records, each packed alone: equal content, equal bytes, whatever record
// (and builder) it was written in.
std::vector<std::vector<uint8_t>> DecisionsOf(const std::vector<std::vector<uint8_t>>& records) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& bytes : records) {
    const auto* decisions = fb::GetJournalRecord(bytes.data())->decisions();
    if (decisions == nullptr) continue;
    for (const fb::Decision* decision : *decisions) {
      fb::DecisionT unpacked;
      decision->UnPackTo(&unpacked);
      flatbuffers::FlatBufferBuilder builder;
      builder.Finish(fb::Decision::Pack(builder, &unpacked));
      out.emplace_back(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
    }
  }
  return out;
}

// The parts of one input: each under the bound, in order, chained, with the input's envelope.
void CheckParts(const std::vector<std::vector<uint8_t>>& parts) {
  REQUIRE(parts.size() > 1);
  const fb::JournalRecord* first = fb::GetJournalRecord(parts.front().data());
  for (size_t i = 0; i < parts.size(); ++i) {
    CAPTURE(i);
    const fb::JournalRecord* record = fb::GetJournalRecord(parts[i].data());
    CHECK(parts[i].size() <= limits::kRecordBytesMax);
    REQUIRE(record->decisions() != nullptr);
    CHECK(record->decisions()->size() > 0);
    CHECK(record->decisions()->size() <= limits::kDecisionsPerRecordMax);
    CHECK(record->part() == i);
    CHECK(record->continued() == (i + 1 < parts.size()));
    CHECK(record->sequence() == first->sequence() + i);
    CHECK(record->input_offset() == first->input_offset());
    CHECK(record->engine_time_ms() == first->engine_time_ms());
    CHECK(record->outcome() == first->outcome());
    REQUIRE(record->action() != nullptr);  // every part repeats the action
    CHECK(std::equal(record->action()->begin(), record->action()->end(), first->action()->begin(),
                     first->action()->end()));
  }
}

TEST_CASE("record bound: the limits keep a record well under Kafka's default message of 1 MiB") {
  static_assert(limits::kRecordDecisionBytesMax + limits::kDecisionBytesMax + limits::kActionBytesMax + 4 * 1024 <=
                limits::kRecordBytesMax);
  static_assert(limits::kJsonLineBytesMax + 4 * 1024 <= limits::kRecordBytesMax);
  static_assert(limits::kRecordBytesMax <= 1024 * 1024 / 2);
}

TEST_CASE("record bound: an allocation of 5,000 vouchers is split into parts, each under the bound") {
  const Played& bounded = Bounded();
  const auto parts = InputRecords(bounded.crowd.allocation);
  CheckParts(parts);
  CHECK(bounded.crowd.allocation.All<fb::VoucherIssued>().size() == kChildren);

  SUBCASE("record bound: the parts' decisions are, in order, those of one unbounded record") {
    const auto whole = InputRecords(Unbounded().crowd.allocation);
    REQUIRE(whole.size() == 1);
    CHECK(whole.front().size() > limits::kRecordBytesMax);  // what the bound prevents
    CHECK(DecisionsOf(parts) == DecisionsOf(whole));
  }
}

TEST_CASE("record bound: a tick firing 5,000 expiries fires them all in its input, split into parts") {
  const Played& bounded = Bounded();
  const auto parts = InputRecords(bounded.crowd.expiry);
  CheckParts(parts);
  CHECK(bounded.crowd.expiry.All<fb::VoucherAnnulled>().size() == kChildren);
  const auto whole = InputRecords(Unbounded().crowd.expiry);
  REQUIRE(whole.size() == 1);
  CHECK(DecisionsOf(parts) == DecisionsOf(whole));
  // Nothing waits for a later input.
  CHECK(bounded.world->engine.state().now == Unbounded().world->engine.state().now);
}

TEST_CASE("record bound: replay verify folds a split journal afresh in its first pass; one cut inside an input is named") {
  const Played& bounded = Bounded();
  const World& world = *bounded.world;
  REQUIRE(world.inputs_whole);
  REQUIRE(world.inputs.size() == world.next_offset);
  std::vector<std::vector<uint8_t>> records = world.journal;
  const auto verify = [&](bool exact) {
    replay::VerifySource source;
    source.inputs = world.inputs.size();
    source.records = records.size();
    source.input = [&](uint64_t i, std::vector<uint8_t>* bytes, std::string*) { return *bytes = world.inputs[i], true; };
    source.record = [&](uint64_t i, std::vector<uint8_t>* bytes, std::string*) { return *bytes = records[i], true; };
    replay::VerifyOptions options;
    options.exact = exact;
    return replay::Verify(source, options);
  };
  const replay::VerifyReport first = verify(false);
  CHECK(first.ok());
  CHECK(!first.exact_pass);
  CHECK(first.records_checked == records.size());
  CHECK(replay::VerifyJson(first) == replay::VerifyJson(verify(true)));
  // Cut after the allocation's first part: the journal ends inside its input.
  const size_t first_part = static_cast<size_t>(std::find_if(records.begin(), records.end(), [](const auto& r) {
                                                  return fb::GetJournalRecord(r.data())->continued();
                                                }) - records.begin());
  REQUIRE(first_part < records.size());
  records.resize(first_part + 1);
  const replay::VerifyReport cut = verify(false);
  CHECK(cut.exact_pass);
  REQUIRE(cut.divergence);
  CHECK(cut.divergence->what.find("inside input") != std::string::npos);
  CHECK(cut.chain_problem.find("is torn") != std::string::npos);
  CHECK(replay::VerifyJson(cut) == replay::VerifyJson(verify(true)));
}

TEST_CASE("record bound: the same inputs give a byte-identical split journal") {
  const Played again = Play(false);
  CHECK(again.world->journal == Bounded().world->journal);
  CHECK(again.world->engine.StateHash() == Bounded().world->engine.StateHash());
}

TEST_CASE("record bound: an unsplit record writes neither part nor continued") {
  const Played& bounded = Bounded();
  for (const auto& bytes : bounded.world->journal) {
    const auto* record = fb::GetJournalRecord(bytes.data());
    if (record->part() != 0 || record->continued()) continue;
    const auto* table = reinterpret_cast<const flatbuffers::Table*>(record);
    REQUIRE(table->GetOptionalFieldOffset(fb::JournalRecord::VT_PART) == 0);
    REQUIRE(table->GetOptionalFieldOffset(fb::JournalRecord::VT_CONTINUED) == 0);
  }
}

TEST_CASE("record bound: an answer holds every decision of every part") {
  const Played& bounded = Bounded();
  const auto parts = InputRecords(bounded.crowd.allocation);
  std::vector<std::span<const uint8_t>> spans(parts.begin(), parts.end());
  const std::vector<uint8_t> bytes = events::AnswerOf(7, spans, {});
  const fb::Answer* answer = fb::GetAnswer(bytes.data());
  CHECK(answer->records() == parts.size());
  CHECK(answer->sequence() == fb::GetJournalRecord(parts.front().data())->sequence());
  REQUIRE(answer->decisions() != nullptr);
  size_t decisions = 0;
  for (const auto& part : parts) decisions += fb::GetJournalRecord(part.data())->decisions()->size();
  CHECK(answer->decisions()->size() == decisions);
}

// Checks a journal with events::JournalChain; "" if whole.
std::string ChainProblem(const std::vector<std::vector<uint8_t>>& journal) {
  events::JournalChain chain;
  for (const auto& record : journal) {
    if (std::string problem = chain.Add(record); !problem.empty()) return problem;
  }
  return chain.End();
}

TEST_CASE("record bound: the chain verifier follows parts and refuses a torn input") {
  const std::vector<std::vector<uint8_t>>& journal = Bounded().world->journal;
  CHECK(ChainProblem(journal) == "");
  const auto* first = fb::GetJournalRecord(Bounded().crowd.allocation.record.data());
  const size_t at = first->sequence();
  const size_t parts = 1 + Bounded().crowd.allocation.parts.size();
  REQUIRE(parts >= 3);

  SUBCASE("record bound: chain: a middle part dropped (the chain re-hashed) is refused") {
    // A forger who re-chains the records after dropping one: the hashes agree, the parts do not.
    std::vector<std::vector<uint8_t>> cut(journal.begin(), journal.begin() + static_cast<long>(at + 1));
    CHECK(ChainProblem(cut).find("is torn: its part 0 says more follow, but the journal ends") != std::string::npos);
    std::vector<std::vector<uint8_t>> forged = cut;
    forged.push_back(journal[at + 2]);
    // Re-chain: sequence and prev_sha256 of the moved part fixed, so only the parts tell.
    events::JournalChain chain;
    for (size_t i = 0; i + 1 < forged.size(); ++i) REQUIRE(chain.Add(forged[i]) == "");
    fb::JournalRecordT moved;
    fb::GetJournalRecord(forged.back().data())->UnPackTo(&moved);
    moved.sequence = at + 1;
    moved.prev_sha256.assign(chain.head().begin(), chain.head().end());
    flatbuffers::FlatBufferBuilder builder;
    fb::FinishJournalRecordBuffer(builder, fb::JournalRecord::Pack(builder, &moved));
    forged.back().assign(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
    const std::string problem = chain.Add(forged.back());
    CAPTURE(problem);
    CHECK(problem.find("is torn: its part 0 said more follow, but this record is part 2") != std::string::npos);
  }
  SUBCASE("record bound: chain: a middle part dropped is refused") {
    std::vector<std::vector<uint8_t>> torn = journal;
    torn.erase(torn.begin() + static_cast<long>(at + 1));
    CHECK(ChainProblem(torn).find(fmt::format("record {}: breaks the hash chain", at + 1)) != std::string::npos);
  }
  SUBCASE("record bound: chain: the last part dropped is refused") {
    std::vector<std::vector<uint8_t>> torn(journal.begin(), journal.begin() + static_cast<long>(at + parts - 1));
    CHECK(ChainProblem(torn).find(fmt::format("record {}: input {} is torn", at + parts - 2, first->input_offset())) !=
          std::string::npos);
  }
  SUBCASE("record bound: chain: a new input while the previous one is continued is refused") {
    // The record after the input, re-chained in place of the last part.
    events::JournalChain chain;
    for (size_t i = 0; i < at + parts - 1; ++i) REQUIRE(chain.Add(journal[i]) == "");
    fb::JournalRecordT next;
    fb::GetJournalRecord(journal[at + parts].data())->UnPackTo(&next);
    next.sequence = at + parts - 1;
    next.prev_sha256.assign(chain.head().begin(), chain.head().end());
    flatbuffers::FlatBufferBuilder builder;
    fb::FinishJournalRecordBuffer(builder, fb::JournalRecord::Pack(builder, &next));
    const std::string problem = chain.Add({builder.GetBufferPointer(), builder.GetSize()});
    CAPTURE(problem);
    CHECK(problem.find("is torn") != std::string::npos);
  }
}

}  // namespace
}  // namespace kezek::test
