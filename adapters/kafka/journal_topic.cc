#include "adapters/kafka/journal_topic.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <flatbuffers/flatbuffers.h>

#include "adapters/kafka/client.h"
#include "decisions_generated.h"
#include "engine/sha256.h"

namespace kezek::adapters::kafka {
namespace {

// How far back from the end the tail is first looked for (offsets: records and transaction
// markers); doubled until a record is found.
constexpr int64_t kTailWindow = 64;

const fb::JournalRecord* Verified(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyJournalRecordBuffer(verifier)) return nullptr;
  return fb::GetJournalRecord(bytes.data());
}

}  // namespace

Status ReadJournal(const std::string& brokers, const std::string& topic, int32_t partition,
                   const std::function<bool(const JournalEntry&)>& visit) {
  Sha256Hasher sha256;
  uint64_t next = 0;
  uint64_t input = 0;
  Sha256 previous{};
  Status problem;
  const auto where = [&](int64_t offset) { return fmt::format("{} partition {} offset {}", topic, partition, offset); };
  Status read = ReadPartition(brokers, topic, partition, 0,
                              [&](int64_t offset, std::string_view, std::optional<std::span<const uint8_t>> value) {
    if (!value) {
      problem = Status::Corruption(where(offset) + ": an empty message where a journal record belongs");
      return false;
    }
    const fb::JournalRecord* record = Verified(*value);
    if (record == nullptr) {
      problem = Status::Corruption(where(offset) + ": not a JournalRecord (the FlatBuffers verifier refused it)");
      return false;
    }
    if (record->sequence() != next) {
      problem = Status::Corruption(fmt::format("{}: record sequence {} where {} was due: {}", where(offset),
                                               record->sequence(), next,
                                               record->sequence() < next ? "a duplicate" : "a gap"));
      return false;
    }
    const auto* prev = record->prev_sha256();
    if (prev == nullptr || prev->size() != previous.size() || !std::equal(previous.begin(), previous.end(), prev->begin())) {
      problem = Status::Corruption(fmt::format("{}: record {} does not chain to the record before (prev_sha256)",
                                               where(offset), next));
      return false;
    }
    if (record->input_offset() < input) {
      problem = Status::Corruption(fmt::format("{}: record {} is of input {}, after input {}", where(offset), next,
                                               record->input_offset(), input));
      return false;
    }
    input = record->input_offset();
    previous = sha256.Of(*value);
    ++next;
    return visit(JournalEntry{offset, record->sequence(), record->input_offset(), *value});
  });
  return read.ok() ? problem : read;
}

Status FindJournalTail(const std::string& brokers, const std::string& topic, int32_t partition, JournalTail* tail) {
  Client client;
  if (Status s = MakeClient(RD_KAFKA_PRODUCER, brokers, {}, &client); !s.ok()) return s;
  int64_t low = 0, high = 0;
  if (Status s = Watermarks(client.get(), topic, partition, &low, &high); !s.ok()) return s;
  *tail = JournalTail{};
  for (int64_t window = kTailWindow;; window *= 2) {
    const int64_t from = std::max(low, high - window);
    std::optional<uint64_t> sequence;
    Status problem;
    Status read = ReadPartition(brokers, topic, partition, from,
                                [&](int64_t offset, std::string_view, std::optional<std::span<const uint8_t>> value) {
      const fb::JournalRecord* record = value ? Verified(*value) : nullptr;
      if (record == nullptr) {
        problem = Status::Corruption(fmt::format("{} partition {} offset {}: not a JournalRecord", topic, partition, offset));
        return false;
      }
      sequence = record->sequence();
      tail->last.assign(value->begin(), value->end());
      return true;
    });
    if (!read.ok()) return read;
    if (!problem.ok()) return problem;
    if (sequence) {
      tail->records = *sequence + 1;
      return Status::Ok();
    }
    if (from == low) return Status::Ok();  // no committed record at all
  }
}

}  // namespace kezek::adapters::kafka
