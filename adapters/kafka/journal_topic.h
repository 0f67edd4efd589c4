// Reading the journal topic (read_committed): one partition's records, checked as they are read.
// A reader refuses what exactly-once forbids instead of passing it on (DESIGN §5; Jepsen's 2024
// Kafka analysis found aborted reads and torn transactions after a delayed EndTxn): every record
// must verify as a JournalRecord, sequences run 0, 1, 2, ... with no gap and no repeat, each record's
// prev_sha256 is the SHA-256 of the record before, an input's parts run 0, 1, ... with every one
// but the last `continued` (a transaction holds all of them: none may be missing), and input
// offsets never go back (events/journal_chain.h, the auditor's checks, and this last one).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "adapters/status.h"
#include "events/journal_chain.h"

namespace kezek::adapters::kafka {

struct JournalEntry {
  int64_t offset = 0;         // in the topic partition
  uint64_t sequence = 0;      // the record's own
  uint64_t input_offset = 0;
  std::span<const uint8_t> record;
};

// The checks of the top, one record at a time, for a reader that follows a partition.
class JournalCheck {
 public:
  // "" when `record` continues the partition's journal; what is wrong otherwise (then every later
  // call refuses too).
  [[nodiscard]] std::string Add(std::span<const uint8_t> record);
  // "" when the partition may end here; what is wrong otherwise (its last input is torn).
  [[nodiscard]] std::string End() const { return chain_.End(); }
  uint64_t records() const { return chain_.records(); }

 private:
  events::JournalChain chain_;
  uint64_t input_ = 0;
  bool broken_ = false;
};

// Every committed record of the partition from its start, checked (see the top): visit until it
// returns false. A violation is Corruption naming the topic, partition and offset.
Status ReadJournal(const std::string& brokers, const std::string& topic, int32_t partition,
                   const std::function<bool(const JournalEntry&)>& visit);

struct JournalTail {
  uint64_t records = 0;        // the next record's sequence
  std::vector<uint8_t> last;   // the last record's bytes (empty when none)
};
// The count of committed records and the last one, read from the partition's end backwards.
Status FindJournalTail(const std::string& brokers, const std::string& topic, int32_t partition, JournalTail* tail);

}  // namespace kezek::adapters::kafka
