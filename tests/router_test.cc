// What a Kafka engine member folds for a message of the actions topic (adapters/kafka/router.h,
// Refusal): Kezek's own inputs in the partition their route names are folded as they came; an
// action read from a partition its route does not name is refused WrongPartition (it would open
// its locality's queues and numbers a second time); another producer's bytes are refused
// VerifierFailed. The member and `kezek replay verify --kafka` both fold what it says.
#include <fmt/format.h>

#include "adapters/kafka/router.h"
#include "engine/engine.h"
#include "events/codec.h"
#include "events/input.h"
#include "events/limits.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

std::vector<uint8_t> Payload(events::Codec& codec, const std::string& json) {
  std::vector<uint8_t> canonical;
  const events::CodecError error = codec.ParseAction(json, &canonical);
  REQUIRE_MESSAGE(error.code == fb::RejectionCode::None, error.reason);
  return events::EncodeAction(canonical);
}

// The code and reason of a refused input's payload (tag kInputRejected, u16 code, u32 length, reason).
std::pair<fb::RejectionCode, std::string> Refused(const std::vector<uint8_t>& payload) {
  REQUIRE(payload.size() >= 7);
  REQUIRE(payload[0] == events::kInputRejected);
  const auto code = static_cast<fb::RejectionCode>(payload[1] | payload[2] << 8);
  const uint32_t length = uint32_t{payload[3]} | uint32_t{payload[4]} << 8 | uint32_t{payload[5]} << 16 |
                          uint32_t{payload[6]} << 24;
  return {code, std::string(payload.begin() + 7, payload.begin() + 7 + length)};
}

TEST_CASE("router: an action read from a partition its route does not name is refused WrongPartition, alike each time") {
  events::Codec codec;
  // Locality 1's partition of 2 is 1 (1 mod 2).
  const auto filing = Payload(codec, R"({"schema_version":1,"idempotency_key":"f1","instant_ms":1704067200000,
      "actor":{"role":"Portal","iin":"900427400175"},"body_type":"FileApplication",
      "body":{"child_iin":"230910603008","child_name":"Аружан","locality":1,"priority_category":"general"}})");
  CHECK_FALSE(adapters::kafka::Refusal(filing, 1, 2).has_value());
  CHECK_FALSE(adapters::kafka::Refusal(filing, 0, 1).has_value());  // one partition: every route is 0
  const auto refusal = adapters::kafka::Refusal(filing, 0, 2);
  REQUIRE(refusal.has_value());
  const auto [code, reason] = Refused(*refusal);
  CHECK(code == fb::RejectionCode::WrongPartition);
  CHECK_MESSAGE(reason.find("routed to partition 1 of 2 (key '1'), read from partition 0") != std::string::npos, reason);
  CHECK(adapters::kafka::Refusal(filing, 0, 2) == refusal);  // deterministic: a replay refuses it alike
  // Folded, it is a Rejected record with that code, and nothing of the filing is applied.
  Engine engine;
  ApplyResult result;
  std::string error;
  REQUIRE(events::FoldInput(engine, *refusal, 0, &result, &error));
  CHECK(result.outcome == fb::Outcome::Rejected);
  CHECK(result.code == fb::RejectionCode::WrongPartition);
  CHECK(engine.state().applications.size() <= 1);  // slot 0 only: no application was filed
  // An action on an application goes where its country-wide number's locality is; a number no
  // locality has goes to partition 0 (which journals UnknownApplication), and is refused elsewhere.
  const auto answer = Payload(codec, R"({"schema_version":1,"idempotency_key":"a1","instant_ms":1704067200000,
      "actor":{"role":"Portal","iin":"900427400175"},"body_type":"AnswerInterest","body":{"application":1000001,"interested":true}})");
  CHECK_FALSE(adapters::kafka::Refusal(answer, 1, 2).has_value());
  REQUIRE(adapters::kafka::Refusal(answer, 0, 2).has_value());
  CHECK(Refused(*adapters::kafka::Refusal(answer, 0, 2)).first == fb::RejectionCode::WrongPartition);
}

TEST_CASE("router: what every partition folds is folded anywhere; a refused input stays; foreign bytes are VerifierFailed") {
  events::Codec codec;
  const auto tick = Payload(codec, R"({"schema_version":1,"idempotency_key":"t1","instant_ms":1704067200000,
      "actor":{"role":"System"},"body_type":"ClockTick","body":{}})");
  const auto group = Payload(codec, R"({"schema_version":1,"idempotency_key":"g1","instant_ms":1704067200000,
      "actor":{"role":"EducationDepartment"},"body_type":"UpsertGroup","body":{"group":7,"kindergarten":3,"capacity":5}})");
  for (int32_t k = 0; k < 4; ++k) {
    CHECK_FALSE(adapters::kafka::Refusal(tick, k, 4).has_value());
    CHECK_FALSE(adapters::kafka::Refusal(group, k, 4).has_value());
  }
  // An input refused at the edge (a line that was no JSON) is a refusal wherever it lands.
  const auto line = events::EncodeInput(codec, events::LineOf("{not json"));
  CHECK_FALSE(adapters::kafka::Refusal(line, 3, 4).has_value());
  // An action tag over bytes that are no Action: the engine's Verifier refuses it where it lands.
  std::vector<uint8_t> damaged = {events::kInputAction, 0xff, 0x00, 0x13, 0x37};
  CHECK_FALSE(adapters::kafka::Refusal(damaged, 2, 4).has_value());
  // Another producer's bytes, and no bytes at all.
  for (const std::vector<uint8_t>& foreign : {std::vector<uint8_t>{0x07, 'x'}, std::vector<uint8_t>{}}) {
    const auto refusal = adapters::kafka::Refusal(foreign, 1, 4);
    REQUIRE(refusal.has_value());
    CHECK(Refused(*refusal).first == fb::RejectionCode::VerifierFailed);
  }
}

// A frame tagged as a refused input (kInputRejected) from another producer, keeping more than a
// line or holding a longer reason than Kezek's writers write: it was folded as it came, its record
// passed kRecordBytesMax and the member aborted (an assertion) on it at every start.
std::vector<uint8_t> RefusedFrame(uint16_t code, size_t reason_bytes, size_t kept_bytes) {
  std::vector<uint8_t> frame = {events::kInputRejected, static_cast<uint8_t>(code), static_cast<uint8_t>(code >> 8)};
  for (int i = 0; i < 4; ++i) frame.push_back(static_cast<uint8_t>(reason_bytes >> (8 * i)));
  frame.insert(frame.end(), reason_bytes, 'r');
  frame.insert(frame.end(), kept_bytes, 'K');
  return frame;
}

TEST_CASE("router: a refused-input frame past what Kezek's writers write is foreign (VerifierFailed, 1,024 bytes kept), and folds") {
  const auto code = static_cast<uint16_t>(fb::RejectionCode::RoleNotAllowed);
  for (const auto& [reason, kept] : {std::pair<size_t, size_t>{6, 700'000}, std::pair<size_t, size_t>{6, limits::kJsonLineBytesMax + 1},
                                     std::pair<size_t, size_t>{limits::kRefusalReasonBytesMax + 1, 10}}) {
    CAPTURE(reason);
    CAPTURE(kept);
    const std::vector<uint8_t> frame = RefusedFrame(code, reason, kept);
    CHECK_FALSE(events::FrameProblem(frame).empty());
    const auto refusal = adapters::kafka::Refusal(frame, 0, 4);
    REQUIRE(refusal.has_value());
    CHECK(Refused(*refusal).first == fb::RejectionCode::VerifierFailed);
    Engine engine;
    ApplyResult result;
    std::string error;
    REQUIRE(events::FoldInput(engine, *refusal, 0, &result, &error));
    REQUIRE(result.records.size() == 1);
    const fb::JournalRecord* record = fb::GetJournalRecord(result.records.front().data());
    REQUIRE(record->raw_input() != nullptr);
    CHECK(record->raw_input()->size() == limits::kOversizeLineHeadBytes);
    CHECK(record->rejection()->code() == fb::RejectionCode::VerifierFailed);
    // Folded as it came (the embedded log's path), it is no input either: refused, not aborted on.
    CHECK_FALSE(events::FoldInput(engine, frame, 1, &result, &error));
  }
  // At the bounds it is an input (Kezek's own: a refused line keeps up to a line's bytes).
  const std::vector<uint8_t> whole = RefusedFrame(code, limits::kRefusalReasonBytesMax, limits::kJsonLineBytesMax);
  CHECK(events::FrameProblem(whole).empty());
  CHECK_FALSE(adapters::kafka::Refusal(whole, 0, 4).has_value());
  Engine engine;
  ApplyResult result;
  std::string error;
  REQUIRE(events::FoldInput(engine, whole, 0, &result, &error));
  CHECK(result.records.front().size() <= limits::kRecordBytesMax);
  // Kezek's writer cuts a longer reason (a key named at length in the keys file), so its frames stay inputs.
  events::InputLine line = events::LineOf("{}");
  line.refused = fb::RejectionCode::RoleNotAllowed;
  line.refusal = std::string(limits::kRefusalReasonBytesMax + 500, 'n');
  events::Codec codec;
  const std::vector<uint8_t> own = events::EncodeInput(codec, line);
  CHECK(events::FrameProblem(own).empty());
  CHECK(Refused(own).second.size() == limits::kRefusalReasonBytesMax);
}

}  // namespace
}  // namespace kezek::test
