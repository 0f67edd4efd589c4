#include "adapters/embedded/projection_store.h"

#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "adapters/embedded/rocksdb_logger.h"
#include "adapters/embedded/rocksdb_state_store.h"
#include "adapters/embedded/segment_log.h"
#include "engine/bytes.h"
#include "events/journal_chain.h"
#include "projections/summary.h"

namespace kezek::adapters {
namespace {

constexpr std::string_view kHeadKey = "head";  // lower case: apart from the models' kinds
constexpr uint64_t kRecordsPerCommit = 65'536;  // while catching up: bounded write batches

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(fmt::format("{}: {}", what, s.ToString()));
  if (s.IsIOError() && LockHeldElsewhere(s.ToString())) {
    return Status::Busy(fmt::format("{}: {} (is a kezek serve running on this data directory?)", what, s.ToString()));
  }
  return Status::IoError(fmt::format("{}: {}", what, s.ToString()));
}

rocksdb::Slice SliceOf(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

ProjectionStore::~ProjectionStore() { delete db_; }

Status ProjectionStore::Open(const std::string& path, std::unique_ptr<ProjectionStore>* store) {
  return OpenIn(path, false, store);
}

Status ProjectionStore::OpenReadOnly(const std::string& path, std::unique_ptr<ProjectionStore>* store) {
  return OpenIn(path, true, store);
}

Status ProjectionStore::OpenIn(const std::string& path, bool read_only, std::unique_ptr<ProjectionStore>* out) {
  std::unique_ptr<ProjectionStore> store(new ProjectionStore());
  store->path_ = path;
  rocksdb::Options options;
  options.create_if_missing = !read_only;
  options.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
  options.info_log = std::make_shared<RocksDbLogger>(path, read_only);
  // Made here, not by RocksDB: it logs a store made afresh as an error ("Error when reading ... dir").
  if (std::error_code error; !read_only) std::filesystem::create_directories(path, error);
  const rocksdb::Status s = read_only ? rocksdb::DB::OpenForReadOnly(options, path, &store->db_)
                                      : rocksdb::DB::Open(options, path, &store->db_);
  if (s.IsInvalidArgument() && read_only) {
    return Status::NotFound(fmt::format("{}: no projection store (kezek serve or kezek projections rebuild makes one)", path));
  }
  if (Status status = FromRocks(s, "opening " + path); !status.ok()) return status;
  *out = std::move(store);
  return Status::Ok();
}

Status ProjectionStore::Load(projections::ReadModels* models, Sha256* head) const {
  *head = Sha256{};
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}));
  bool meta = false;
  uint64_t entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    ++entries;
    if (key == kHeadKey) {
      if (value.size() != head->size()) return Status::Corruption(fmt::format("{}: the head entry is {} bytes", path_, value.size()));
      std::copy(value.begin(), value.end(), head->begin());
      continue;
    }
    meta = meta || key == "M";
    if (!models->LoadEntry(key, value)) {
      return Status::Corruption(fmt::format("{}: the entry of kind '{}' ({} key bytes, {} value bytes) does not decode, "
                                            "or is of another store format", path_,
                                            key.empty() ? '?' : key[0], key.size(), value.size()));
    }
  }
  if (Status s = FromRocks(it->status(), "reading " + path_); !s.ok()) return s;
  if (entries > 0 && !meta) return Status::Corruption(fmt::format("{}: entries without their meta entry (a rebuild cut short)", path_));
  if (std::string why; !models->FinishLoad(&why)) {
    return Status::Corruption(fmt::format("{}: the stored entries disagree with each other: {}", path_, why));
  }
  return Status::Ok();
}

Status ProjectionStore::Commit(projections::ReadModels& models, const Sha256& head) {
  rocksdb::WriteBatch batch;
  models.DrainChanges([&](std::string_view key, std::string_view value) { batch.Put(SliceOf(key), SliceOf(value)); });
  batch.Put(SliceOf(kHeadKey), rocksdb::Slice(reinterpret_cast<const char*>(head.data()), head.size()));
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "writing " + path_);
}

void EntryHasher::Add(std::string_view key, std::string_view value) {
  for (const std::string_view part : {key, value}) {
    const std::string length = bytes::Out().U32(part.size()).Take();
    hasher_.Update({reinterpret_cast<const uint8_t*>(length.data()), length.size()});
    hasher_.Update({reinterpret_cast<const uint8_t*>(part.data()), part.size()});
  }
  ++entries_;
}

Status ProjectionStore::ContentHash(Sha256* hash, uint64_t* entries) const {
  EntryHasher hasher;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    hasher.Add({it->key().data(), it->key().size()}, {it->value().data(), it->value().size()});
  }
  *hash = hasher.End();
  *entries = hasher.entries();
  return FromRocks(it->status(), "reading " + path_);
}

namespace {

// Why the stored models cannot be used with this journal; empty when they can.
Status Stale(const ProjectionStore& store, SegmentLog& journal, projections::ReadModels* models, std::string* why) {
  Sha256 head{};
  if (Status loaded = store.Load(models, &head); !loaded.ok()) {
    if (loaded.code() != Status::Code::kCorruption) return loaded;
    *why = loaded.message();
    return Status::Ok();
  }
  if (models->next_sequence() > journal.end()) {
    *why = fmt::format("the store reflects {} journal records but the journal holds {}", models->next_sequence(),
                       journal.end());
  } else if (models->next_sequence() > 0) {
    std::vector<uint8_t> record;
    if (Status s = journal.ReadRecord(models->next_sequence() - 1, &record); !s.ok()) return s;
    Sha256Hasher hasher;
    const Sha256 found = hasher.Of(record);
    if (found != head) {
      *why = fmt::format("the store's last record hashes to {}, the journal's record {} to {}: it was made from "
                         "another journal", projections::Hex(head), models->next_sequence() - 1, projections::Hex(found));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ReadChained(SegmentLog& journal, uint64_t from,
                   const std::function<bool(uint64_t index, std::span<const uint8_t> record)>& record) {
  events::JournalChain chain;
  std::string problem;
  if (from > 0) {
    std::vector<uint8_t> previous;
    if (Status s = journal.ReadRecord(from - 1, &previous); !s.ok()) return s;
    problem = chain.Resume(previous);
  }
  Status read;
  if (problem.empty()) {
    read = journal.Read(from, [&](uint64_t index, std::span<const uint8_t> bytes) {
      if (problem = chain.Add(bytes); !problem.empty()) return false;
      return record(index, bytes);
    });
  }
  if (!problem.empty()) {
    return Status::Corruption(fmt::format("the journal is damaged at {}: `kezek replay verify` says what its actions "
                                          "give there, `kezek replay rebuild` makes a repaired copy (docs/audit.md)",
                                          problem));
  }
  return read;
}

Status OpenProjections(const std::string& path, SegmentLog& journal, bool rebuild,
                       std::unique_ptr<ProjectionStore>* store, projections::ReadModels* models,
                       const std::function<void(const std::string&)>& say) {
  std::string why = rebuild ? "a rebuild was asked for" : "";
  if (!rebuild) {
    const Status opened = ProjectionStore::Open(path, store);
    if (opened.code() == Status::Code::kCorruption) {
      why = opened.message();
    } else if (!opened.ok()) {
      return opened;
    } else if (Status s = Stale(**store, journal, models, &why); !s.ok()) {
      return s;
    }
  }
  if (!why.empty()) {
    if (!rebuild) say(fmt::format("projections: {}; rebuilding them from the journal", why));
    store->reset();
    *models = projections::ReadModels();
    if (Status s = FromRocks(rocksdb::DestroyDB(path, rocksdb::Options()), "removing " + path); !s.ok()) return s;
    if (Status s = ProjectionStore::Open(path, store); !s.ok()) return s;
  } else if (models->next_sequence() > 0) {
    say(fmt::format("projections: loaded at journal sequence {}", models->next_sequence()));
  }
  Sha256Hasher hasher;
  const uint64_t from = models->next_sequence();
  uint64_t applied = 0;
  Status failure;
  const Status read = ReadChained(journal, from, [&](uint64_t, std::span<const uint8_t> record) {
    models->Apply(record);
    if (++applied % kRecordsPerCommit == 0) failure = (*store)->Commit(*models, hasher.Of(record));
    return failure.ok();
  });
  if (!read.ok()) return read;
  if (!failure.ok()) return failure;
  if (applied > 0) say(fmt::format("projections: applied {} journal records from sequence {}", applied, from));
  Sha256 head{};
  if (models->next_sequence() > 0) {
    std::vector<uint8_t> record;
    if (Status s = journal.ReadRecord(models->next_sequence() - 1, &record); !s.ok()) return s;
    head = hasher.Of(record);
  }
  return (*store)->Commit(*models, head);
}

}  // namespace kezek::adapters
