// The read models kept in RocksDB (DATA/projections/), with the journal sequence they reflect and
// the SHA-256 of the last record they applied (DESIGN §5: projections fed by the journal alone).
//
// The store is a cache of the journal: `kezek serve` loads it at start and applies only the
// records after it; when it is missing, of another format, damaged, or does not match this
// journal (the head's hash differs, or it is ahead of it), it is rebuilt from the journal. Writes
// are not synced: a write lost in a machine crash is re-derived from the journal at the next start,
// and RocksDB recovers a prefix of the batches, each whole (its meta entry inside it).
//
// Entries: projections::ReadModels' stored form, plus "head" (this file's). `kezek projections
// rebuild` writes a store from the journal alone; its entries are byte-identical to a live
// store's at the same sequence (ContentHash).
//
// Thread-safety: one writer; Commit from the thread that applies records to the models.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "adapters/status.h"
#include "engine/sha256.h"
#include "projections/read_models.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace kezek::adapters {

class SegmentLog;

// SHA-256 over (u32 length, key, u32 length, value) of entries added in key order: a store's
// ContentHash, and what `kezek projections verify` compares it with.
class EntryHasher {
 public:
  EntryHasher() { hasher_.Begin(); }
  void Add(std::string_view key, std::string_view value);
  Sha256 End() { return hasher_.End(); }
  uint64_t entries() const { return entries_; }

 private:
  Sha256Hasher hasher_;
  uint64_t entries_ = 0;
};

class ProjectionStore {
 public:
  ~ProjectionStore();
  // Opens (creating it if missing) the store at `path`. Busy when another process has it open.
  static Status Open(const std::string& path, std::unique_ptr<ProjectionStore>* store);
  // Opens the store read-only (kezek projections verify, status): works beside a live writer.
  static Status OpenReadOnly(const std::string& path, std::unique_ptr<ProjectionStore>* store);

  // Loads the stored models into `models` (a new ReadModels). Ok with models at sequence 0 when
  // the store is empty; Corruption (with the reason) when it must be rebuilt.
  Status Load(projections::ReadModels* models, Sha256* head) const;
  // Writes what the models changed since the last commit and `head` (the hash of the last
  // record they applied), in one write.
  Status Commit(projections::ReadModels& models, const Sha256& head);
  // SHA-256 over every (key, value) in key order, and the number of entries.
  Status ContentHash(Sha256* hash, uint64_t* entries) const;

 private:
  ProjectionStore() = default;
  static Status OpenIn(const std::string& path, bool read_only, std::unique_ptr<ProjectionStore>* store);
  std::string path_;
  rocksdb::DB* db_ = nullptr;
};

// Opens the store at `path` and brings `models` (a new ReadModels) up to the end of `journal`:
// the stored models are loaded and the newer records applied. A store that is missing, damaged,
// of another format, ahead of the journal or made from another journal is destroyed and rebuilt
// from the journal's start (`rebuild` forces that). `say` tells what happened (logs). On return
// the store holds the models (committed).
// Reads the journal's records from `from` on, each checked as the chain's next before `record`
// sees it (events::JournalChain: the Verifier, its sequence, the SHA-256 of the record before it,
// the order of an input's parts): a journal whose records were reordered, cut out or brought from
// another journal is refused (Corruption, naming the record and the tools that find and repair
// it) instead of reaching a reader that trusts its order (projections::ReadModels asserts it).
Status ReadChained(SegmentLog& journal, uint64_t from,
                   const std::function<bool(uint64_t index, std::span<const uint8_t> record)>& record);

Status OpenProjections(const std::string& path, SegmentLog& journal, bool rebuild,
                       std::unique_ptr<ProjectionStore>* store, projections::ReadModels* models,
                       const std::function<void(const std::string&)>& say);

}  // namespace kezek::adapters
