// The engine's state in RocksDB: the state store of the embedded runtime (a data directory's
// state/), and the store the Kafka member will keep beside its changelog.
//
// One column family per entity kind (engine/state_codec.h), keys and values as the codec writes
// them; the meta family also holds "applied", the count of inputs the state reflects (8 bytes,
// little-endian). DO NOT CHANGE the key "applied" or its encoding. Every Commit is one WriteBatch,
// written with sync unless Options::sync is false.
//
// Pipelined (Options::pipelined, the embedded runtime's): Commit takes the changes on the caller's
// thread (they read the engine) into the batch, then writes it on a thread of its own and returns
// once the commit before it is written, so that the write (RocksDB's memtables, its log and fsync)
// runs beside the next batch's fold. At most one write is in flight; writes land in Commit's
// order; a failed write is the next Commit's (or Drain's) failure. A write waits for the
// journal's sync its commit names (StateCommit::after), and is not made if that failed; so a write
// in flight leaves the state behind the logs, never ahead: a crash then is recovered as any other
// (the inputs past `applied` folded again).
//
// Read-only (Options::read_only): RocksDB's read-only mode, with its informational log silenced:
// no file is created or written, and what is read is the state as it was when Open returned.
//
// Thread-safety: one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/partition.h"
#include "adapters/status.h"
#include "engine/state_codec.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace kezek::adapters {

// Whether a RocksDB I/O error's text says that another process holds the database's LOCK (its
// flock: "Resource temporarily unavailable"; this process: "lock hold by current process"), as
// opposed to a LOCK file that cannot be made (a read-only directory, a missing one).
bool LockHeldElsewhere(const std::string& rocksdb_error);

class RocksDbStateStore final : public StateStore {
 public:
  struct Options {
    bool read_only = false;
    bool sync = true;  // false only for tests and benchmarks that measure without fsync
    bool pipelined = false;  // the write of a commit runs beside the caller (see the top)
  };

  ~RocksDbStateStore() override;
  RocksDbStateStore(const RocksDbStateStore&) = delete;
  RocksDbStateStore& operator=(const RocksDbStateStore&) = delete;

  // Opens the database at `path`, creating it (and its column families) if needed unless
  // read-only. Failure: Busy (another process holds RocksDB's lock), Corruption, IoError.
  static Status Open(const std::string& path, const Options& options, std::unique_ptr<RocksDbStateStore>* store);

  Status Load(Engine* engine, uint64_t* applied) override;
  // The meta family alone (a few entries).
  Status LoadMeta(Meta* meta) override;
  // The state hash of the stored entries as they are (state_codec::EntryHasher, every family
  // in order, the runtime's own "applied" left out), without decoding or loading them: equal to
  // Engine::StateHash of a state holding exactly these entries. Failure: IoError, Corruption.
  Status HashEntries(Sha256* hash) const;
  Status Commit(const StateCommit& commit) override;
  // Waits for the write in flight (pipelined) and returns its failure, if any.
  Status Drain();

  // A RocksDB checkpoint of the state in `destination` (which must not exist): hard links where
  // it can, once the write in flight landed. Failure: IoError, or that write's failure.
  Status Checkpoint(const std::string& destination);
  // Bytes of the database's files.
  uint64_t BytesOnDisk() const;

 private:
  RocksDbStateStore(std::string path, Options options);
  Status LoadFamily(state_codec::Family family, State* state, uint64_t* applied) const;

  std::string path_;
  Options options_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;  // [0] the default family, then kFamilies'
  // Two write batches taken in turn: one filled while the other may be written behind. A batch
  // keeps its capacity (megabytes) from commit to commit, so filling one neither regrows nor
  // faults fresh pages in.
  std::array<std::unique_ptr<rocksdb::WriteBatch>, 2> batches_;
  size_t next_batch_ = 0;
  std::future<Status> in_flight_;  // the pipelined write, when one runs (declared after the batches it writes)
};

}  // namespace kezek::adapters
