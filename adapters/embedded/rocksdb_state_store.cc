#include "adapters/embedded/rocksdb_state_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "adapters/embedded/rocksdb_logger.h"
#include "engine/sha256.h"
#include "engine/state_codec.h"

namespace kezek::adapters {

bool LockHeldElsewhere(const std::string& rocksdb_error) {
  return rocksdb_error.find("lock") != std::string::npos &&
         (rocksdb_error.find("Resource temporarily unavailable") != std::string::npos ||
          rocksdb_error.find("lock hold by current process") != std::string::npos);
}
namespace {

namespace fs = std::filesystem;
constexpr const char* kAppliedKey = "applied";

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(fmt::format("{}: {}", what, s.ToString()));
  if (s.IsIOError() && LockHeldElsewhere(s.ToString())) return Status::Busy(fmt::format("{}: {}", what, s.ToString()));
  return Status::IoError(fmt::format("{}: {}", what, s.ToString()));
}

std::string U64Le(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>(v >> (8 * i));
  return out;
}

uint64_t FromU64Le(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  return v;
}

rocksdb::ColumnFamilyHandle* FamilyOf(const std::vector<rocksdb::ColumnFamilyHandle*>& families,
                                      state_codec::Family family) {
  return families[static_cast<size_t>(family) + 1];
}

// A scan of a whole column family, once: its blocks are not kept in the block cache (each would
// push out the one before, an allocation and a free a block), and files are read ahead.
rocksdb::ReadOptions WholeScan() {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.readahead_size = size_t{2} << 20;
  return options;
}

}  // namespace

RocksDbStateStore::RocksDbStateStore(std::string path, Options options) : path_(std::move(path)), options_(options) {}

RocksDbStateStore::~RocksDbStateStore() {
  (void)Drain();
  if (db_ == nullptr) return;
  // A writer closing cleanly flushes its memtables: the next opening (a restart, `kezek status`,
  // `replay verify`) reads tables instead of replaying the write-ahead log into memory. A crash
  // skips this; recovery replays the log as before.
  if (!options_.read_only) (void)db_->Flush(rocksdb::FlushOptions(), families_);
  for (auto* handle : families_) (void)db_->DestroyColumnFamilyHandle(handle);
  delete db_;
}

Status RocksDbStateStore::Open(const std::string& path, const Options& options,
                               std::unique_ptr<RocksDbStateStore>* store) {
  // A state directory holding files but no CURRENT (RocksDB's entry point) is damaged: opened by
  // a writer, RocksDB would begin a new database over its files (a new MANIFEST and CURRENT), and
  // read-only it fails with a bare I/O error. Corruption, saying what is missing, and nothing written.
  if (std::error_code error; fs::exists(path, error)) {
    const fs::path current = fs::path(path) / "CURRENT";
    if (!fs::exists(current, error)) {
      const bool empty = fs::is_empty(path, error);
      if (!empty || options.read_only) {
        return Status::Corruption(fmt::format("{}: a state directory without its CURRENT file ({}): the state is "
                                              "damaged, and left as it is", path, empty ? "empty" : "it holds files"));
      }
    } else {
      // CURRENT names the MANIFEST (the list of the database's files) in force: one gone is damage too.
      std::ifstream in(current);
      std::string manifest;
      std::getline(in, manifest);
      if (!manifest.empty() && manifest.find('/') == std::string::npos && !fs::exists(fs::path(path) / manifest, error)) {
        return Status::Corruption(fmt::format("{}: CURRENT names {}, which is not there: the state is damaged, and "
                                              "left as it is", path, Printable(manifest)));
      }
    }
  }
  std::unique_ptr<RocksDbStateStore> s(new RocksDbStateStore(path, options));
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
  db_options.info_log = std::make_shared<RocksDbLogger>(path, options.read_only);
  // A column family written rarely (the catalogue, the meta entries) keeps its memtable, and with
  // it every write-ahead log file since its first write, alive: a country's ingest left 1.7 GB of
  // logs that every opening replayed. Past this total, RocksDB flushes the families that hold the
  // oldest log so that it can be deleted.
  db_options.max_total_wal_size = uint64_t{256} << 20;
  // The column families flush together, in one edit of the MANIFEST: a reader opening beside a
  // writer that closes (its last flush) sees every family as of one point, never some flushed and
  // the write-ahead log that held the others' entries already gone (status and verify then found
  // the families disagreeing: a healthy directory reported damaged).
  db_options.atomic_flush = true;
  // The state is written a batch at a time and read only when the directory is opened: a
  // vector memtable (sorted once, when flushed) takes the inserts at a fraction of a skip
  // list's cost, which the profile of a country's ingest showed as a quarter of the time.
  db_options.allow_concurrent_memtable_write = false;
  rocksdb::ColumnFamilyOptions family_options;
  family_options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  // LZ4 rather than RocksDB's default Snappy: an opening decompresses the whole state (a country's
  // default history: 0.92x the CPU of loading it, 1.04x the bytes on disk, 290 against 280 MB).
  // Files written before keep their Snappy blocks and read as they did.
  family_options.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {{rocksdb::kDefaultColumnFamilyName, family_options}};
  for (const auto family : state_codec::kFamilies) {
    descriptors.push_back({state_codec::FamilyName(family), family_options});
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (options.read_only) {
    db_options.create_if_missing = false;
    if (Status r = FromRocks(rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &db),
                             "opening " + path + " read-only"); !r.ok()) return r;
  } else {
    // Made here, not by RocksDB: it logs a store made afresh as an error ("Error when reading ... dir").
    std::error_code error;
    fs::create_directories(path, error);
    if (Status r = FromRocks(rocksdb::DB::Open(db_options, path, descriptors, &handles, &db), "opening " + path);
        !r.ok()) {
      return r;
    }
  }
  s->db_ = db;
  s->families_ = handles;
  *store = std::move(s);
  return Status::Ok();
}

// One column family's entries into *state (the runtime's own meta entry, `applied`, into *applied).
Status RocksDbStateStore::LoadFamily(state_codec::Family family, State* state, uint64_t* applied) const {
  // The two hash tables that grow with every action, sized once from RocksDB's estimate of their
  // keys: millions of entries, which growing by doubling would rehash again and again.
  const auto reserve = [&](auto& table) {
    uint64_t estimate = 0;
    if (db_->GetIntProperty(FamilyOf(families_, family), "rocksdb.estimate-num-keys", &estimate)) {
      table.reserve(std::min<uint64_t>(estimate, uint64_t{1} << 32));
    }
  };
  if (family == state_codec::Family::kIdempotency) reserve(state->idempotency);
  if (family == state_codec::Family::kChildren) reserve(state->children);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(WholeScan(), FamilyOf(families_, family)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view entry(it->value().data(), it->value().size());
    if (family == state_codec::Family::kMeta && key == kAppliedKey) {
      *applied = FromU64Le(entry);
      continue;
    }
    if (!state_codec::LoadEntry(family, key, entry, state)) {
      return Status::Corruption(fmt::format("{}: column family {}: an entry of {} bytes does not decode", path_,
                                            state_codec::FamilyName(family), entry.size()));
    }
  }
  return FromRocks(it->status(), "reading " + path_);
}

Status RocksDbStateStore::Load(Engine* engine, uint64_t* applied) {
  *applied = 0;
  Status problem;
  std::string disagreement;
  const bool loaded = engine->Restore([&](State* state) {
    // The idempotency family (an entry per action: the largest by far, and the one whose loading
    // is cache misses into a table of millions) is read on a second thread into a table of its
    // own while the other families load; LoadEntry touches nothing else for it.
    State idempotency;
    Status idempotency_problem;
    uint64_t unused = 0;
    std::thread side([&] { idempotency_problem = LoadFamily(state_codec::Family::kIdempotency, &idempotency, &unused); });
    for (const state_codec::Family family : state_codec::kFamilies) {
      if (family == state_codec::Family::kIdempotency || !problem.ok()) continue;
      problem = LoadFamily(family, state, applied);
    }
    side.join();
    if (problem.ok()) problem = idempotency_problem;
    state->idempotency = std::move(idempotency.idempotency);
    return problem.ok();
  }, &disagreement);
  if (!loaded) {
    return problem.ok() ? Status::Corruption(fmt::format("{}: the stored entries disagree with each other: {}", path_, disagreement))
                        : problem;
  }
  return Status::Ok();
}

Status RocksDbStateStore::LoadMeta(Meta* meta) {
  State state;
  *meta = Meta{};
  if (Status s = LoadFamily(state_codec::Family::kMeta, &state, &meta->applied); !s.ok()) return s;
  meta->records = state.next_sequence;
  meta->head = state.head_sha256;
  return Status::Ok();
}

Status RocksDbStateStore::HashEntries(Sha256* hash) const {
  state_codec::EntryHasher hasher;
  for (const state_codec::Family family : state_codec::kFamilies) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(WholeScan(), FamilyOf(families_, family)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      if (family == state_codec::Family::kMeta && key == kAppliedKey) continue;
      hasher.Add(family, key, std::string_view(it->value().data(), it->value().size()));
    }
    if (Status s = FromRocks(it->status(), "reading " + path_); !s.ok()) return s;
  }
  *hash = hasher.Finish();
  return Status::Ok();
}

Status RocksDbStateStore::Commit(const StateCommit& commit) {
  // Not the batch of the write that may be in flight (the one before); the one before that was
  // drained when this one was launched.
  std::unique_ptr<rocksdb::WriteBatch>& slot = batches_[next_batch_];
  next_batch_ ^= 1;
  if (!slot) slot = std::make_unique<rocksdb::WriteBatch>();
  rocksdb::WriteBatch* batch = slot.get();
  batch->Clear();
  commit.changes([&](const state_codec::Put& put) {
    rocksdb::ColumnFamilyHandle* family = FamilyOf(families_, put.family);
    if (put.erase) {
      batch->Delete(family, put.key);
    } else {
      batch->Put(family, put.key, put.value);
    }
  });
  batch->Put(FamilyOf(families_, state_codec::Family::kMeta), kAppliedKey, U64Le(commit.applied));
  auto write = [db = db_, sync = options_.sync, batch, after = commit.after] {
    if (Status synced = StateCommit::Awaited(after); !synced.ok()) return synced;  // never ahead of the journal
    rocksdb::WriteOptions options;
    options.sync = sync;
    return FromRocks(db->Write(options, batch), "writing the state");
  };
  if (!options_.pipelined) return write();
  if (Status s = Drain(); !s.ok()) return s;
  in_flight_ = std::async(std::launch::async, std::move(write));
  return Status::Ok();
}

Status RocksDbStateStore::Drain() {
  if (!in_flight_.valid()) return Status::Ok();
  return in_flight_.get();
}

Status RocksDbStateStore::Checkpoint(const std::string& destination) {
  if (Status s = Drain(); !s.ok()) return s;
  rocksdb::Checkpoint* raw = nullptr;
  if (Status s = FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"); !s.ok()) return s;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(destination), "checkpoint");
}

uint64_t RocksDbStateStore::BytesOnDisk() const {
  uint64_t total = 0;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(path_, error)) {
    if (entry.is_regular_file(error)) total += entry.file_size(error);
  }
  return total;
}

}  // namespace kezek::adapters
