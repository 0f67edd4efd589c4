// The embedded durable runtime: the engine on one machine with no broker (DESIGN §3, embedded
// default). A data directory holds
//
//   KEZEK      marker: "kezek data directory, format 1"
//   LOCK       held (flock) by the one process that has the directory open
//   actions/   segment log of inputs: each an action's canonical bytes, or an input that never
//              became one (its bytes, code and reason)
//   journal/   segment log of journal records (the engine's output, SHA-256 chained)
//   state/     RocksDB: one column family per entity kind (engine/state_codec.h); the meta family
//              also holds "applied", the count of inputs the state reflects
//
// Order of writes for a batch: inputs are appended to actions/ and fsync'd (an input is
// acknowledged only after that); the engine folds them; their records are appended to journal/
// and fsync'd; then the state's changes, "applied" and the journal head go to RocksDB in one
// WriteBatch with sync. So the state never runs ahead of the journal, and the journal never runs
// ahead of the actions. On open, inputs past "applied" are folded again; records the journal
// already holds are compared byte for byte (a difference is corruption) and not appended twice.
// Opening also hashes the journal's record the state's head names (the last record the state
// reflects) and compares it with the head the state stored: a difference is corruption.
//
// Read-only (OpenReadOnly: status, journal, and the readers to come): no lock, no recovery, no
// truncation, no fold, no byte written; it works while another process appends, and for a user
// who may not write the directory. It shows the state as stored, and inputs not yet folded as
// pending.
//
// Thread-safety: one Runtime per directory per process, used from one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "adapters/limits.h"
#include "adapters/embedded/segment_log.h"
#include "adapters/status.h"
#include "engine/engine.h"
#include "events/codec.h"
#include "events/input.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace kezek::adapters {

class Runtime {
 public:
  struct Options {
    bool create = false;            // create the directory if it does not exist
    size_t batch_max = limits::kBatchInputsDefault;  // inputs per batch (one fsync each for log and journal)
    SegmentLog::Options log;        // segment size, fsync
    uint64_t crash_at = 0;          // tests: SIGKILL at the n-th crash point (0: never)
    std::function<void(const std::string&)> say;  // recovery and progress messages (logs)
  };

  struct Answer {                   // the outcome of one input
    uint64_t input = 0;             // its index in actions/
    std::span<const uint8_t> record;  // its journal record; valid until the next call
    std::span<const uint8_t> original;  // for a repeat (Duplicate): the original's record
  };

  ~Runtime();
  // Opens `dir`: checks it is a Kezek data directory (or creates one), takes its lock, recovers
  // both logs, loads the state and catches up with the actions already logged.
  // Failure: NotFound (missing), InvalidArgument (foreign), Busy (locked), Corruption, IoError.
  // A directory this call created is removed again when it fails.
  static Status Open(const std::string& dir, const Options& options, std::unique_ptr<Runtime>* runtime);
  // Opens `dir` read-only (see the top of this file). Append, LogOnly, CatchUp and Backup refuse.
  // Failure: NotFound (missing, or no KEZEK marker), InvalidArgument (foreign), Corruption, IoError.
  static Status OpenReadOnly(const std::string& dir, const Options& options, std::unique_ptr<Runtime>* runtime);

  // Logs the inputs durably (one fsync), folds them, and answers each. Every line becomes an input
  // (events::EncodeInput): a line that is no valid action is logged and answered with its
  // rejection like any other. A repeat's answer carries the original's record.
  Status Append(std::span<const events::InputLine> lines, const std::function<void(const Answer&)>& answer);
  Status Append(std::span<const std::string> json_lines, const std::function<void(const Answer&)>& answer);
  // Appends inputs to the actions log only (durably), without folding: `run` folds them later.
  Status LogOnly(std::span<const events::InputLine> lines);
  Status LogOnly(std::span<const std::string> json_lines);
  // Folds every logged input the state does not reflect yet. `answer` may be empty.
  Status CatchUp(const std::function<void(const Answer&)>& answer);

  // A RocksDB checkpoint of the state plus copies of both logs in `destination` (which must not
  // exist): a data directory that opens like this one.
  Status Backup(const std::string& destination);

  const Engine& engine() const { return engine_; }
  uint64_t applied() const { return applied_; }
  const SegmentLog& actions() const { return *actions_; }
  const SegmentLog& journal() const { return *journal_; }
  SegmentLog& journal_log() { return *journal_; }
  SegmentLog& actions_log() { return *actions_; }
  bool read_only() const { return read_only_; }
  std::string dir() const { return dir_; }
  uint64_t StateBytesOnDisk() const;

 private:
  Runtime() = default;
  static Status OpenIn(const std::string& dir, const Options& options, bool read_only, std::unique_ptr<Runtime>* out);
  Status LoadState();
  void CloseState();
  Status CheckHead();
  Status FoldOne(uint64_t index, std::span<const uint8_t> payload, const std::function<void(const Answer&)>& answer);
  Status Commit();
  Status LogInputs(std::span<const events::InputLine> lines, std::vector<std::vector<uint8_t>>* payloads);
  void CrashPoint();

  std::string dir_;
  Options options_;
  bool read_only_ = false;
  std::vector<uint8_t> original_;           // the record a repeat's answer carries
  int lock_fd_ = -1;
  std::unique_ptr<SegmentLog> actions_;
  std::unique_ptr<SegmentLog> journal_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  Engine engine_;
  std::unique_ptr<events::Codec> codec_;
  uint64_t applied_ = 0;
  uint64_t crash_points_ = 0;
  std::deque<std::vector<uint8_t>> ahead_;  // journal records past the state, to compare
};

// The payload of an actions/ record is events::EncodeInput's (events/input.h).

}  // namespace kezek::adapters
