#include "adapters/kafka/journal_topic.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <flatbuffers/flatbuffers.h>

#include "adapters/kafka/client.h"
#include "decisions_generated.h"
#include "engine/sha256.h"
#include "events/journal_chain.h"

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

std::string JournalCheck::Add(std::span<const uint8_t> record) {
  if (broken_) return "the journal was refused before";
  if (std::string wrong = chain_.Add(record); !wrong.empty()) {
    broken_ = true;
    return wrong;
  }
  const fb::JournalRecord* r = fb::GetJournalRecord(record.data());
  if (r->input_offset() < input_) {
    broken_ = true;
    return fmt::format("record {} is of input {}, after input {}", r->sequence(), r->input_offset(), input_);
  }
  input_ = r->input_offset();
  return "";
}

Status ReadJournal(const std::string& brokers, const std::string& topic, int32_t partition,
                   const std::function<bool(const JournalEntry&)>& visit) {
  JournalCheck check;
  Status problem;
  const auto where = [&](int64_t offset) { return fmt::format("{} partition {} offset {}", topic, partition, offset); };
  bool stopped = false;
  Status read = ReadPartition(brokers, topic, partition, 0,
                              [&](int64_t offset, std::string_view, std::optional<std::span<const uint8_t>> value) {
    if (!value) {
      problem = Status::Corruption(where(offset) + ": an empty message where a journal record belongs");
      return false;
    }
    if (const std::string wrong = check.Add(*value); !wrong.empty()) {
      problem = Status::Corruption(fmt::format("{}: {}", where(offset), wrong));
      return false;
    }
    const fb::JournalRecord* record = fb::GetJournalRecord(value->data());
    if (!visit(JournalEntry{offset, record->sequence(), record->input_offset(), *value})) stopped = true;
    return !stopped;
  });
  if (!read.ok()) return read;
  if (!problem.ok()) return problem;
  if (const std::string torn = check.End(); !stopped && !torn.empty()) {
    return Status::Corruption(fmt::format("{} partition {}: {}", topic, partition, torn));
  }
  return Status::Ok();
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
    bool continued = false;
    Status problem;
    Status read = ReadPartition(brokers, topic, partition, from,
                                [&](int64_t offset, std::string_view, std::optional<std::span<const uint8_t>> value) {
      const fb::JournalRecord* record = value ? Verified(*value) : nullptr;
      if (record == nullptr) {
        problem = Status::Corruption(fmt::format("{} partition {} offset {}: not a JournalRecord", topic, partition, offset));
        return false;
      }
      sequence = record->sequence();
      continued = record->continued();
      tail->last.assign(value->begin(), value->end());
      return true;
    });
    if (!read.ok()) return read;
    if (!problem.ok()) return problem;
    if (sequence && continued) {
      return Status::Corruption(fmt::format("{} partition {}: the last committed record ({}) says more parts of its input "
                                            "follow: a torn input", topic, partition, *sequence));
    }
    if (sequence) {
      tail->records = *sequence + 1;
      return Status::Ok();
    }
    if (from == low) return Status::Ok();  // no committed record at all
  }
}

}  // namespace kezek::adapters::kafka
