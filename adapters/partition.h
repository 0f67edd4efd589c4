// The partition loop (DESIGN §5): the one piece that turns inputs into journal records and state,
// whatever carries them. It owns the Engine and drives, batch by batch:
//
//   1. the batch's inputs are appended to the input log and synced: only then may one be
//      acknowledged (crash point 1: inputs durable, not yet folded); the lines of a batch of
//      1,024 or more are encoded (events::EncodeInput, pure) on two threads first, then logged
//      in order; when Append is handed more than one batch, each batch after the first is logged
//      on a helper thread while the batch before it goes through steps 2-4;
//   2. each is folded (events::FoldInput) and its records (one, or several parts: DESIGN §5)
//      appended to the journal sink, or, during recovery, compared byte for byte with the records
//      the sink already holds (a difference is Corruption) and not appended twice; a crash
//      between two parts of one input leaves the first in the journal, to be compared, and the
//      rest to be appended;
//   3. the journal is synced (crash points 2 and 3: before and after); with
//      Options::journal_behind, on the sink's own thread (JournalSink::SyncBehind) while the next
//      batch is logged and folded, and step 4's write waits for it (StateCommit::after); an
//      Append that wants no answers then also hashes the chain and appends the records on a
//      thread of its own (events::ChainHasher: the engine leaves prev_sha256 zero, the hasher
//      fills it in), whose head the batch's end takes before step 3;
//   4. the state's changes (Engine::DrainChanges: the changed entries, the journal head among
//      them) and the count of inputs applied go to the state store in one atomic commit (crash
//      point 4: after it).
//
// So the state never runs ahead of the journal, nor the journal ahead of the inputs. Opening loads
// the state, checks that the logs explain it (it reflects no more inputs and records than they
// hold, and the journal's record its head names hashes to that head), and, unless read-only,
// recovers: inputs past `applied` are folded again (step 2 compares what the journal already
// holds), and journal records no input explains are Corruption.
//
// Whoever carries the inputs drives the same loop through the three interfaces below:
//   - embedded (adapters/embedded/runtime.h): the actions/ and journal/ segment logs and RocksDB;
//     the CLI and the HTTP server hand it batches of lines (Append);
//   - Kafka (to come): the input log is the actions topic's partition (its inputs arrive durable:
//     the member folds them with CatchUp from the stored offset), the journal sink the
//     transactional producer, the state store RocksDB with its changelog, whose Commit is where
//     the transaction (records, input offset `applied`, changelog) commits.
//
// Thread-safety: one thread drives a partition; the pieces it is given are its own meanwhile.
// Append lends a helper thread the logging of the next batch (it touches only the input log and
// the codecs, the fold only the engine, the journal and the state store), and LogInputs a second
// one the encoding of half of a large batch, on a codec of its own.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/limits.h"
#include "adapters/status.h"
#include "engine/engine.h"
#include "engine/state_codec.h"
#include "events/chain_hasher.h"
#include "events/codec.h"
#include "events/input.h"

namespace kezek::adapters {

// Words of Partition's corruption messages that a reader tells damage apart by (kezek journal
// --data, stats, explain): the state reflects more journal records than the journal holds, or more
// inputs than the actions log holds; the journal's last record the state reflects hashes to
// another head.
inline constexpr std::string_view kJournalShort = "journal records but the journal holds";
inline constexpr std::string_view kActionsShort = "inputs but the actions log holds";
inline constexpr std::string_view kHeadContradicted = "the journal or the state was altered";

// Visits records in order: visit(index, payload) until it returns false; the payload is valid
// during the call.
using RecordVisitor = std::function<bool(uint64_t index, std::span<const uint8_t> payload)>;

// Where inputs are made durable before they are folded, indexed from 0: an input's index is its
// offset (the journal record's input_offset). A payload is events::EncodeInput's.
class InputLog {
 public:
  virtual ~InputLog() = default;
  // Buffers one input; its index is end() before the call.
  virtual Status Append(std::span<const uint8_t> payload) = 0;
  // Makes every input appended so far durable. An input may be acknowledged once this returned OK.
  virtual Status Sync() = 0;
  // The number of inputs held (durable or buffered): the index of the next.
  virtual uint64_t end() const = 0;
  // Visits inputs [from, end()). Damage is Corruption, never skipped.
  virtual Status Read(uint64_t from, const RecordVisitor& visit) = 0;
};

// Where journal records go, numbered by their sequence from 0 (a JournalRecord FlatBuffer each).
class JournalSink {
 public:
  virtual ~JournalSink() = default;
  // Buffers one record; its sequence is end() before the call.
  virtual Status Append(std::span<const uint8_t> record) = 0;
  // Makes every record appended so far durable.
  virtual Status Sync() = 0;
  // Sync, done beside the caller where the sink can (a segment log's write on a thread of its
  // own): returns at once with a future of the outcome; the sink takes Appends meanwhile. This
  // default syncs before it returns.
  virtual std::shared_future<Status> SyncBehind();
  // The number of records held (durable or buffered).
  virtual uint64_t end() const = 0;
  // One record, by sequence, into *record. REQUIRES: sequence < end().
  virtual Status ReadRecord(uint64_t sequence, std::vector<uint8_t>* record) = 0;
  // Visits records [from, end()).
  virtual Status Read(uint64_t from, const RecordVisitor& visit) = 0;
};

// One commit of the state: what the engine changed since the last commit, and how many inputs the
// state reflects once it is written.
struct StateCommit {
  uint64_t applied = 0;
  // Calls put once per changed entry, in a deterministic order (Engine::DrainChanges); once only.
  std::function<void(const std::function<void(const state_codec::Put&)>& put)> changes;
  // When valid: the journal's sync in flight (JournalSink::SyncBehind). The state is written only
  // after it succeeded, and not at all if it failed (its failure is the commit's): the state never
  // runs ahead of the journal.
  std::shared_future<Status> after{};
  // Waits for `after` and gives its outcome (OK when there is none). A store writes nothing
  // unless it is OK.
  Status JournalSynced() const { return Awaited(after); }
  static Status Awaited(const std::shared_future<Status>& after);
};

// Where the engine's state is kept between runs (engine/state_codec.h: one family per entity kind).
class StateStore {
 public:
  virtual ~StateStore() = default;
  // Fills the engine's state with what is stored (Engine::Restore) and *applied with the count of
  // inputs it reflects (0 when nothing is stored). Failure: Corruption (an entry does not decode,
  // or the entries disagree with each other), IoError.
  virtual Status Load(Engine* engine, uint64_t* applied) = 0;
  // What the stored state reflects: the inputs it applied, the journal records it holds and the
  // head of the last (zero, when nothing is stored).
  struct Meta {
    uint64_t applied = 0;
    uint64_t records = 0;
    Sha256 head{};
  };
  // Reads the Meta alone, without loading the state (Partition::LoadMeta). This default loads the
  // whole state to read it; a store that can read it on its own does. Failure: Load's.
  virtual Status LoadMeta(Meta* meta);
  // Writes the commit's changes and `applied` in one atomic, durable write: after a crash the
  // store holds all of it or none of it.
  virtual Status Commit(const StateCommit& commit) = 0;
};

class Partition {
 public:
  struct Options {
    size_t batch_max = limits::kBatchInputsDefault;  // inputs per commit (one sync of each log)
    uint64_t crash_at = 0;    // tests: SIGKILL at the n-th crash point (0: never); see the top
    std::function<void(const std::string&)> say;  // recovery and progress messages (logs)
    // Catching up: called after each commit with the inputs folded so far and how many there are.
    std::function<void(uint64_t folded, uint64_t total)> progress;
    // How messages name the partition, its input log and its journal ("DIR", "DIR/actions",
    // "DIR/journal" for a data directory).
    std::string name;
    std::string input_name;
    std::string journal_name;
    // The journal synced beside the next batch (JournalSink::SyncBehind), the state's write after
    // it (StateCommit::after): kezek append's bulk loop, with a state store that writes behind.
    bool journal_behind = false;
  };

  using Records = std::span<const std::span<const uint8_t>>;
  struct Answer {       // the outcome of one input
    uint64_t input = 0;  // its index in the input log
    // Its journal records, in order: one, or the parts of an input whose decisions pass the
    // record's bound (engine/limits.h). Valid until the next call.
    Records records;
    Records original;    // for a repeat (Duplicate): every record of the original
  };
  using Answers = std::function<void(const Answer&)>;

  enum class Mode { kReadOnly, kRecover };

  // REQUIRES: `state` outlives the partition.
  Partition(StateStore* state, Options options);
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  // Opening is two steps, so that a reader may take the state before the logs, which only grow
  // (then they hold at least what that state reflects):
  // Loads the stored state into the engine. Failure: the store's.
  Status LoadState();
  // Attaches the logs and checks that they explain the state loaded: Corruption if the state
  // reflects more inputs or records than they hold, or if the journal's record the state's head
  // names does not hash to that head. kRecover then folds the inputs past `applied` (see the top);
  // kReadOnly changes nothing, and Append, LogOnly and CatchUp refuse (InvalidArgument).
  // REQUIRES: LoadState (or, read-only, LoadMeta) returned OK; `inputs` and `journal` outlive
  // the partition.
  Status Open(InputLog* inputs, JournalSink* journal, Mode mode);
  // Read-only, the state loaded beside other work (a verification reads the logs meanwhile):
  // LoadMeta, in place of LoadState, reads only what the stored state reflects (StateStore::Meta:
  // one small read), which Open checks the logs against; LoadRest then loads the state itself,
  // on any one thread (nothing reads the engine before it returns), and checks it is the state
  // LoadMeta described: Corruption otherwise, or the store's failure.
  Status LoadMeta();
  Status LoadRest();

  // Makes the inputs durable in the input log, folds them, commits every batch_max, and answers
  // each, in order. Every line becomes an input (events::EncodeInput): one that is no valid action
  // is logged and answered with its rejection like any other. Inputs logged but not folded yet are
  // folded first. On failure, the inputs logged (durable) but not folded are those of the batch
  // that failed and, when there was one, of the batch after it (logged meanwhile): the next
  // opening folds them (InputLog::end() says how far the lines were taken).
  Status Append(std::span<const events::InputLine> lines, const Answers& answer);
  // Makes the inputs durable in the input log only; CatchUp folds them later.
  Status LogOnly(std::span<const events::InputLine> lines);
  // Folds every input the input log holds past `applied`, committing every batch_max. `answer`
  // may be empty.
  Status CatchUp(const Answers& answer);

  const Engine& engine() const { return engine_; }
  // The number of inputs the state reflects: the index of the next input to fold.
  uint64_t applied() const { return applied_; }
  bool read_only() const { return mode_ == Mode::kReadOnly; }

 private:
  Status CheckLogs();
  Status CheckHead();
  Status CheckAhead();  // read-only: the records past the state continue the chain
  Status Refuse() const;
  struct Logged {  // a batch made durable: its inputs' payloads, the first's index
    uint64_t first = 0;
    std::vector<std::vector<uint8_t>> payloads;
  };
  // `lend`: a second thread encodes half of a large batch (none while the batch before is folded).
  Status LogInputs(std::span<const events::InputLine> lines, bool lend, Logged* logged);
  Status FoldOne(uint64_t index, std::span<const uint8_t> payload, const Answers& answer);
  Status Commit();
  void CrashPoint();

  StateStore* state_;
  InputLog* inputs_ = nullptr;
  JournalSink* journal_ = nullptr;
  Options options_;
  Mode mode_ = Mode::kReadOnly;
  Engine engine_;
  events::Codec codec_;
  std::unique_ptr<events::Codec> side_codec_;  // a second core's, for a large batch's lines (LogInputs)
  uint64_t applied_ = 0;
  StateStore::Meta stored_;  // what the state loaded (or, LoadMeta, described) reflects
  std::atomic<uint64_t> crash_points_{0};  // counted by the logging helper too
  Status ReadOriginal(uint64_t sequence);

  Status Chained();
  // Append, journal behind, no answers: the chain's SHA-256 and the journal's appends on the
  // ChainHasher's thread; `chained_` is its first failed append (read once Head returned).
  std::unique_ptr<events::ChainHasher> chain_;
  Status chained_;

  std::vector<std::vector<uint8_t>> original_;     // the records a repeat's answer carries
  std::vector<std::span<const uint8_t>> original_spans_;
  std::deque<std::vector<uint8_t>> ahead_;  // journal records past the state, to compare
};

}  // namespace kezek::adapters
