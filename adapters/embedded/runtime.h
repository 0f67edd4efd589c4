// The embedded durable runtime: the engine on one machine with no broker (DESIGN §3, embedded
// default). It assembles the partition loop (adapters/partition.h) from embedded pieces: a data
// directory holds
//
//   KEZEK      marker: "kezek data directory, format 1"
//   LOCK       held (flock) by the one process that has the directory open
//   actions/   the input log, a segment log (segment_log.h) of inputs: each an action's canonical
//              bytes, or an input that never became one (its bytes, code and reason)
//   journal/   the journal sink, a segment log of journal records (the engine's output, SHA-256
//              chained)
//   state/     the state store, RocksDB (rocksdb_state_store.h): one column family per entity kind
//              (engine/state_codec.h); the meta family also holds "applied", the count of inputs
//              the state reflects
//
// Order of writes for a batch (the partition loop's): inputs are appended to actions/ and fsync'd
// (an input is acknowledged only after that); the engine folds them; their records are appended
// to journal/ and fsync'd; then the state's changes, "applied" and the journal head go to RocksDB
// in one WriteBatch with sync. So the state never runs ahead of the journal, and the journal never
// runs ahead of the actions. On open, torn tails of both logs are cut; inputs past "applied" are
// folded again; records the journal already holds are compared byte for byte (a difference is
// corruption) and not appended twice. Opening also hashes the journal's record the state's head
// names (the last record the state reflects) and compares it with the head the state stored: a
// difference is corruption. The journal's write and sync of a batch, and then its state's write,
// may run beside the next batch's fold (Options::write_behind, kezek append's); otherwise Append
// returns with both written.
//
// Read-only (OpenReadOnly: status, journal, and the readers to come): no lock, no recovery, no
// truncation, no fold, no byte written; it works while another process appends, and for a user
// who may not write the directory. It shows the state as stored, and inputs not yet folded as
// pending. It reads the state, then the journal, then the actions log (each grows, in the
// reverse of the order a writer writes them), so the journal holds all the state reflects, and
// the actions log every input the journal's records came from.
//
// Thread-safety: one Runtime per directory per process, used from one thread (but LoadState, see
// Options::defer_state).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "adapters/embedded/rocksdb_state_store.h"
#include "adapters/embedded/segment_log.h"
#include "adapters/limits.h"
#include "adapters/partition.h"
#include "adapters/status.h"
#include "engine/engine.h"
#include "events/input.h"

namespace kezek::adapters {

// A file a maker of a whole data directory (`kezek replay rebuild`) writes into it as soon as the
// directory exists and removes once it is whole: a directory holding it is refused by every
// opening (read-only too), naming why, so that a maker killed half-way leaves nothing that passes
// for a data directory. Its text says what it is.
inline constexpr const char* kUnfinishedFile = "UNFINISHED";
// InvalidArgument, with the file's words, when `dir` holds kUnfinishedFile; OK otherwise.
Status CheckFinished(const std::string& dir);
// Writes kUnfinishedFile into `dir`, holding `said` (what made the directory and what to do).
Status MarkUnfinished(const std::string& dir, std::string_view said);
// What a read-only opening checks of a data directory before reading its logs: its KEZEK marker
// there and of this format, and whole (CheckFinished). NotFound without a marker.
Status CheckDataDirectory(const std::string& dir);

// InvalidArgument when `destination` is `data_dir` or inside it (a copy or a rebuild written
// there would be read as part of its source, or lost with it); OK otherwise.
Status CheckOutside(const std::string& data_dir, const std::string& destination);

class Runtime {
 public:
  struct Options {
    bool create = false;            // create the directory if it does not exist
    size_t batch_max = limits::kBatchInputsDefault;  // inputs per batch (one fsync each for log and journal)
    SegmentLog::Options log;        // segment size, fsync
    uint64_t crash_at = 0;          // tests: SIGKILL at the n-th crash point (0: never; partition.h)
    std::function<void(const std::string&)> say;  // recovery and progress messages (logs)
    std::function<void(uint64_t folded, uint64_t total)> progress;  // catching up (kezek run)
    // Append and CatchUp may return while their last batch's journal write and sync, and then
    // its state write, still land (beside the caller's next batch; Settle waits for both). Off: they return with the state written, so that
    // another process opening the directory read-only sees every input they folded. kezek append's
    // bulk loop sets it and settles whenever its input pauses.
    bool write_behind = false;
    // Read-only: opening reads only what the stored state reflects (its inputs, records and
    // head), checks the logs against it, and leaves the state itself to LoadState, which may run
    // on another thread while the logs are read (kezek replay verify's); engine() is empty until
    // it returns.
    bool defer_state = false;
    // A maker (kezek replay rebuild) that marks its new directory unfinished (kUnfinishedFile)
    // before it opens it: a directory holding that mark and nothing else is taken as new (every
    // other opening refuses it, marked). A maker killed in its opening leaves it marked.
    bool marked_unfinished = false;
    // Tests: called read-only between opening the journal and opening the actions log.
    std::function<void()> between_logs;
  };

  // The outcome of one input: its index in actions/ and its records (one, or its parts: DESIGN §5).
  using Answer = Partition::Answer;

  ~Runtime();
  // Opens `dir`: checks it is a Kezek data directory (or creates one), takes its lock, recovers
  // both logs, loads the state and catches up with the actions already logged.
  // Failure: NotFound (missing), InvalidArgument (foreign), Busy (locked), Corruption, IoError.
  // A directory this call created is removed again when it fails.
  static Status Open(const std::string& dir, const Options& options, std::unique_ptr<Runtime>* runtime);
  // Opens `dir` read-only (see the top of this file). Append, LogOnly, CatchUp and Backup refuse.
  // Failure: NotFound (missing, or no KEZEK marker), InvalidArgument (foreign), Corruption, IoError.
  static Status OpenReadOnly(const std::string& dir, const Options& options, std::unique_ptr<Runtime>* runtime);

  // Logs the inputs durably (one fsync a batch), folds them, and answers each, in order. Every line
  // becomes an input (events::EncodeInput): a line that is no valid action is logged and answered
  // with its rejection like any other. A repeat's answer carries the original's records. Handed
  // more than one batch (`kezek append` hands up to limits::kAppendLinesHeld lines), each batch
  // is logged while the one before it folds; on failure, up to the two batches then in hand may be
  // logged and not folded: the next opening folds them (Partition::Append).
  Status Append(std::span<const events::InputLine> lines, const std::function<void(const Answer&)>& answer);
  Status Append(std::span<const std::string> json_lines, const std::function<void(const Answer&)>& answer);
  // Appends inputs to the actions log only (durably), without folding: `run` folds them later.
  Status LogOnly(std::span<const events::InputLine> lines);
  Status LogOnly(std::span<const std::string> json_lines);
  // Folds every logged input the state does not reflect yet. `answer` may be empty.
  Status CatchUp(const std::function<void(const Answer&)>& answer);
  // Waits for the state's write in flight (Options::write_behind) and returns its failure, if any.
  Status Settle();
  // Options::defer_state: loads the stored state into engine(), once, on any one thread (the
  // logs may be read on another meanwhile). Failure: Corruption (it does not decode, or it is not
  // the state the opening checked), IoError.
  Status LoadState();
  // The state hash of the stored entries as they are, loading nothing (RocksDbStateStore::
  // HashEntries): equal to engine().StateHash() once loaded, when the store holds exactly the
  // entries the engine would write. On any thread, like LoadState (not at the same time).
  Status StoredEntriesHash(Sha256* hash) const;

  // A RocksDB checkpoint of the state plus copies of both logs in `destination` (which must not
  // exist, nor lie inside this directory): a data directory that opens like this one. On failure
  // nothing is left at `destination`.
  Status Backup(const std::string& destination);

  const Engine& engine() const { return partition_->engine(); }
  uint64_t applied() const { return partition_->applied(); }
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
  Status OpenState();
  Status OpenLogs();
  Status SettledUnlessBehind(Status folded);  // Settle() unless Options::write_behind; the first failure

  std::string dir_;
  Options options_;
  bool read_only_ = false;
  int lock_fd_ = -1;
  std::unique_ptr<SegmentLog> actions_;
  std::unique_ptr<SegmentLog> journal_;
  std::unique_ptr<InputLog> inputs_;   // actions_ as the partition's input log
  std::unique_ptr<JournalSink> sink_;  // journal_ as its journal sink
  std::unique_ptr<RocksDbStateStore> state_;
  std::unique_ptr<Partition> partition_;  // last: it refers to the pieces above
};

// The payload of an actions/ record is events::EncodeInput's (events/input.h).

}  // namespace kezek::adapters
