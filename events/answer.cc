#include "events/answer.h"

#include "answers_generated.h"
#include "engine/assert.h"

namespace kezek::events {

std::vector<uint8_t> AnswerOf(uint64_t input, std::span<const uint8_t> record_bytes, std::span<const uint8_t> original) {
  const fb::JournalRecord* record = fb::GetJournalRecord(record_bytes.data());
  fb::AnswerT answer;
  answer.input = input;
  answer.sequence = record->sequence();
  answer.engine_time_ms = record->engine_time_ms();
  if (const fb::Action* action = record->action() ? record->action_nested_root() : nullptr; action && action->idempotency_key()) {
    answer.idempotency_key = action->idempotency_key()->str();
  }
  const fb::JournalRecord* source = record;
  if (record->outcome() == fb::Outcome::Duplicate) {
    answer.repeat = true;
    answer.original_sequence = record->duplicate_of();
    if (!original.empty()) {
      source = fb::GetJournalRecord(original.data());
      KEZEK_ASSERT(source->sequence() == record->duplicate_of());
    }
  }
  answer.outcome = source->outcome();
  fb::JournalRecordT unpacked;
  source->UnPackTo(&unpacked);
  answer.rejection = std::move(unpacked.rejection);
  answer.decisions = std::move(unpacked.decisions);
  flatbuffers::FlatBufferBuilder builder(1024);
  fb::FinishAnswerBuffer(builder, fb::Answer::Pack(builder, &answer));
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

}  // namespace kezek::events
