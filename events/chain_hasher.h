// The journal's hash chain computed on a core of its own (issue #12, "Replay ... using both
// cores"). An engine told `HashRecords(false)` writes each record's prev_sha256 as zeros and hashes
// nothing; a ChainHasher takes copies of those records, in order, and on its own thread fills in
// each one's prev_sha256 (the SHA-256 of the record before) and hashes it. The records it gives
// (to `each`, on its thread) are byte for byte the ones an engine hashing its own records writes;
// `Head` gives the chain's head for `Engine::SetHead`. So the fold's core does no SHA-256, and the
// bytes and hashes are those of the one-core fold (tests/golden_test.cc holds it).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "engine/sha256.h"

namespace kezek::events {

// Where a journal record's prev_sha256 bytes lie in it (REQUIRES: a record the engine built).
size_t PrevSha256At(std::span<const uint8_t> record);

class ChainHasher {
 public:
  // `head`: the SHA-256 of the record before the first one added (zeros for a journal's start).
  // `each`, if given, sees every whole record and its SHA-256, in order, on the hashing thread.
  using Each = std::function<void(std::span<const uint8_t> record, const Sha256& sha256)>;
  explicit ChainHasher(const Sha256& head = {}, Each each = {});
  ~ChainHasher();
  ChainHasher(const ChainHasher&) = delete;
  ChainHasher& operator=(const ChainHasher&) = delete;

  // Copies an input's records (an ApplyResult's, prev_sha256 zero) for the hashing thread.
  void Add(std::span<const std::span<const uint8_t>> records);
  // Waits until every record added is hashed: the SHA-256 of the last one (the journal's head).
  Sha256 Head();
  uint64_t records() const { return records_; }

 private:
  struct Batch {
    std::vector<uint8_t> bytes;   // the records, one after another, each 8-byte aligned
    std::vector<std::pair<size_t, size_t>> records;  // each one's offset and size in `bytes`
  };
  static constexpr size_t kBatchBytes = 256 * 1024;  // handed over at this size
  static constexpr size_t kBatchesMax = 8;           // waiting for the hashing thread, at most

  void HandOver();
  void Run();

  Each each_;
  Sha256 head_;          // the hashing thread's; read by Head once it has caught up
  uint64_t records_ = 0;
  Batch filling_;        // the caller's
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;  // guarded by mutex_
  bool busy_ = false;        // guarded by mutex_: the hashing thread is on a batch
  bool closing_ = false;     // guarded by mutex_
  std::thread thread_;       // last: started once the members above exist
};

}  // namespace kezek::events
