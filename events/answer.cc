#include "events/answer.h"

#include "answers_generated.h"
#include "engine/assert.h"
#include "engine/messages.h"

namespace kezek::events {

namespace {

void CheckParts(Records records) {
  for (size_t i = 0; i < records.size(); ++i) {
    const fb::JournalRecord* record = fb::GetJournalRecord(records[i].data());
    KEZEK_ASSERT(record->part() == i);
    KEZEK_ASSERT(record->continued() == (i + 1 < records.size()));
  }
}

}  // namespace

std::vector<uint8_t> AnswerOf(uint64_t input, Records records, Records original, const messages::TemplateBook* words,
                              std::optional<int32_t> partition) {
  KEZEK_ASSERT(!records.empty());
  CheckParts(records);
  const fb::JournalRecord* record = fb::GetJournalRecord(records.front().data());
  fb::AnswerT answer;
  answer.input = input;
  answer.sequence = record->sequence();
  if (partition) answer.partition = *partition;
  answer.records = static_cast<uint32_t>(records.size());
  answer.engine_time_ms = record->engine_time_ms();
  if (const fb::Action* action = record->action() ? record->action_nested_root() : nullptr; action && action->idempotency_key()) {
    answer.idempotency_key = action->idempotency_key()->str();
  }
  Records sources = records;
  if (record->outcome() == fb::Outcome::Duplicate) {
    answer.repeat = true;
    answer.original_sequence = record->duplicate_of();
    if (!original.empty()) {
      CheckParts(original);
      sources = original;
      KEZEK_ASSERT(fb::GetJournalRecord(original.front().data())->sequence() == record->duplicate_of());
    }
  }
  answer.outcome = fb::GetJournalRecord(sources.front().data())->outcome();
  for (const std::span<const uint8_t> source : sources) {
    fb::JournalRecordT unpacked;
    fb::GetJournalRecord(source.data())->UnPackTo(&unpacked);
    if (answer.rejection == nullptr) answer.rejection = std::move(unpacked.rejection);
    for (auto& decision : unpacked.decisions) answer.decisions.push_back(std::move(decision));
  }
  if (words != nullptr) {
    for (auto& decision : answer.decisions) {
      fb::NotificationT* n = decision->body.AsNotification();
      if (n == nullptr || n->templates == 0 || n->templates > words->latest()) continue;
      const messages::Args args{.variant = n->variant, .number = n->number, .date = LocalDate{n->date},
                                .name = n->name, .name_kk = n->name_kk};
      messages::Text text = words->Words(n->templates, n->kind, args);
      n->text_ru = std::move(text.ru);
      n->text_kk = std::move(text.kk);
    }
  }
  flatbuffers::FlatBufferBuilder builder(1024);
  fb::FinishAnswerBuffer(builder, fb::Answer::Pack(builder, &answer));
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

std::vector<uint8_t> AnswerOf(uint64_t input, std::span<const uint8_t> record, std::span<const uint8_t> original,
                              const messages::TemplateBook* words) {
  const std::span<const uint8_t> one[] = {record};
  const std::span<const uint8_t> of[] = {original};
  return AnswerOf(input, Records(one), original.empty() ? Records() : Records(of), words);
}

}  // namespace kezek::events
