#include "adapters/embedded/runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "engine/assert.h"
#include "engine/state_codec.h"

namespace kezek::adapters {
namespace {

namespace fs = std::filesystem;
constexpr const char* kMarker = "kezek data directory, format 1\n";
constexpr const char* kAppliedKey = "applied";

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(fmt::format("{}: {}", what, s.ToString()));
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) return Status::Busy(fmt::format("{}: {}", what, s.ToString()));
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

// RocksDB's informational log, silenced: a read-only opening writes no file at all.
class SilentLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

Status CheckDirectory(const std::string& dir, bool create, bool read_only, bool* created) {
  std::error_code error;
  *created = false;
  if (!fs::exists(dir, error)) {
    if (!create) return Status::NotFound(fmt::format("{}: no such data directory (kezek append creates one)", dir));
    fs::create_directories(dir, error);
    if (error) return Status::IoError(fmt::format("cannot create {}: {}", dir, error.message()));
    *created = true;
  }
  if (!fs::is_directory(dir, error)) return Status::InvalidArgument(fmt::format("{}: not a directory", dir));
  const fs::path marker = fs::path(dir) / "KEZEK";
  if (fs::exists(marker, error)) {
    std::ifstream in(marker);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text != kMarker) {
      return Status::InvalidArgument(fmt::format("{}: marker says '{}', expected '{}'", marker.string(),
                                                 text.substr(0, 60), std::string(kMarker, std::strlen(kMarker) - 1)));
    }
    return Status::Ok();
  }
  if (!fs::is_empty(dir, error)) {
    return Status::InvalidArgument(fmt::format("{}: a foreign directory (it has files but no KEZEK marker); "
                                               "refusing to use it as a data directory", dir));
  }
  if (read_only) return Status::NotFound(fmt::format("{}: an empty directory, no data directory (kezek append makes one)", dir));
  std::ofstream out(marker);
  out << kMarker;
  out.close();
  if (!out) return Status::IoError(fmt::format("cannot write {}", marker.string()));
  return Status::Ok();
}

Status Lock(const std::string& dir, int* fd) {
  const std::string path = (fs::path(dir) / "LOCK").string();
  *fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (*fd < 0) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    char text[32] = {0};
    (void)!::pread(*fd, text, sizeof text - 1, 0);
    ::close(*fd);
    *fd = -1;
    const std::string first_line = std::string(text).substr(0, std::string(text).find('\n'));
    const bool pid = !first_line.empty() && first_line.find_first_not_of("0123456789") == std::string::npos;
    const std::string holder = pid ? fmt::format("pid {}", first_line) : "a process that wrote no pid in LOCK: not kezek?";
    return Status::Busy(fmt::format("{} is in use by another process ({}); one process at a time may open a "
                                    "data directory", dir, holder));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(*fd, 0) != 0 || ::pwrite(*fd, pid.data(), pid.size(), 0) < 0) {
    return Status::IoError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return Status::Ok();
}

}  // namespace

void Runtime::CloseState() {
  for (auto* handle : families_) (void)db_->DestroyColumnFamilyHandle(handle);
  families_.clear();
  delete db_;
  db_ = nullptr;
  applied_ = 0;
}

Runtime::~Runtime() {
  CloseState();
  if (lock_fd_ >= 0) {
    (void)!::ftruncate(lock_fd_, 0);  // no stale pid: a later holder that is not kezek shows as such
    ::close(lock_fd_);                // releases the lock
  }
}

Status Runtime::Open(const std::string& dir, const Options& options, std::unique_ptr<Runtime>* out) {
  return OpenIn(dir, options, false, out);
}

Status Runtime::OpenReadOnly(const std::string& dir, const Options& options, std::unique_ptr<Runtime>* out) {
  return OpenIn(dir, options, true, out);
}

Status Runtime::OpenIn(const std::string& dir, const Options& options, bool read_only, std::unique_ptr<Runtime>* out) {
  std::unique_ptr<Runtime> r(new Runtime());
  r->dir_ = dir;
  r->options_ = options;
  r->options_.log.read_only = read_only;
  r->read_only_ = read_only;
  if (!r->options_.say) r->options_.say = [](const std::string&) {};
  r->codec_ = std::make_unique<events::Codec>();
  bool created = false;
  Status s = CheckDirectory(dir, options.create && !read_only, read_only, &created);
  const auto opened = [&]() -> Status {
    if (!read_only) {
      if (Status l = Lock(dir, &r->lock_fd_); !l.ok()) return l;
    }
    // Read-only, a writer may be appending meanwhile: the state is read first, then the logs,
    // which only grow, so they hold at least what that state reflects.
    // A writer may flush or compact meanwhile and delete files the read-only view names ("No
    // such file", "Column family not found"): such an opening is tried again on a fresh view; a
    // failure that persists is reported.
    if (read_only) {
      Status l;
      for (int attempt = 1; attempt <= limits::kReadOnlyOpenAttempts; ++attempt) {
        l = r->LoadState();
        if (l.ok() || attempt == limits::kReadOnlyOpenAttempts) break;
        r->CloseState();
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
      }
      if (!l.ok()) return l;
    }
    SegmentLog::Recovery recovery;
    const char* torn = read_only ? "a torn tail (or a record being written) of" : "torn tail of";
    if (Status l = SegmentLog::Open((fs::path(dir) / "actions").string(), r->options_.log, &r->actions_, &recovery); !l.ok()) return l;
    if (recovery.dropped_bytes > 0) {
      r->options_.say(fmt::format("actions log: {} {} bytes {} at {}", torn, recovery.dropped_bytes,
                                  read_only ? "left" : "dropped", recovery.dropped_from));
    }
    if (Status l = SegmentLog::Open((fs::path(dir) / "journal").string(), r->options_.log, &r->journal_, &recovery); !l.ok()) return l;
    if (recovery.dropped_bytes > 0) {
      r->options_.say(fmt::format("journal: {} {} bytes {} at {}", torn, recovery.dropped_bytes,
                                  read_only ? "left" : "dropped", recovery.dropped_from));
    }
    if (!read_only) {
      if (Status l = r->LoadState(); !l.ok()) return l;
    }
    if (r->applied_ > r->actions_->end()) {
      return Status::Corruption(fmt::format("{}: the state reflects {} inputs but the actions log holds {}", dir,
                                            r->applied_, r->actions_->end()));
    }
    if (r->engine_.state().next_sequence > r->journal_->end()) {
      return Status::Corruption(fmt::format("{}: the state reflects {} journal records but the journal holds {}", dir,
                                            r->engine_.state().next_sequence, r->journal_->end()));
    }
    if (Status l = r->CheckHead(); !l.ok()) return l;
    if (read_only) return Status::Ok();
    if (r->engine_.state().next_sequence < r->journal_->end()) {
      if (Status l = r->journal_->Read(r->engine_.state().next_sequence, [&](uint64_t, std::span<const uint8_t> record) {
            r->ahead_.emplace_back(record.begin(), record.end());
            return true;
          }); !l.ok()) return l;
      r->options_.say(fmt::format("journal is {} records ahead of the state: they will be re-derived and compared",
                                  r->ahead_.size()));
    }
    if (Status l = r->CatchUp({}); !l.ok()) return l;
    if (!r->ahead_.empty()) {
      return Status::Corruption(fmt::format("{}/journal: {} records more than the actions log explains", dir, r->ahead_.size()));
    }
    return Status::Ok();
  };
  if (s.ok()) s = opened();
  if (!s.ok()) {
    if (created) {  // leave nothing behind: the directory did not exist before this call
      r.reset();
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
    return s;
  }
  *out = std::move(r);
  return Status::Ok();
}

Status Runtime::CheckHead() {
  const uint64_t records = engine_.state().next_sequence;
  if (records == 0) return Status::Ok();
  std::vector<uint8_t> last;
  if (Status s = journal_->ReadRecord(records - 1, &last); !s.ok()) return s;
  Sha256Hasher sha256;
  const Sha256 found = sha256.Of(last);
  const Sha256& stored = engine_.state().head_sha256;
  if (found == stored) return Status::Ok();
  const auto hex = [](const Sha256& h) {
    std::string out;
    for (const uint8_t b : h) out += fmt::format("{:02x}", b);
    return out;
  };
  return Status::Corruption(fmt::format("{}/journal: record {} hashes to {}, but the state's journal head is {}: the "
                                        "journal or the state was altered", dir_, records - 1, hex(found), hex(stored)));
}

Status Runtime::LoadState() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  // The state is written a batch at a time and read only when the directory is opened: a
  // vector memtable (sorted once, when flushed) takes the inserts at a fraction of a skip
  // list's cost, which the profile of a country's ingest showed as a quarter of the time.
  db_options.allow_concurrent_memtable_write = false;
  rocksdb::ColumnFamilyOptions family_options;
  family_options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {{rocksdb::kDefaultColumnFamilyName, family_options}};
  for (const auto family : state_codec::kFamilies) {
    descriptors.push_back({state_codec::FamilyName(family), family_options});
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const std::string path = (fs::path(dir_) / "state").string();
  if (read_only_) {
    db_options.create_if_missing = false;
    db_options.info_log = std::make_shared<SilentLogger>();
    if (Status s = FromRocks(rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &db_),
                             "opening " + path + " read-only"); !s.ok()) return s;
  } else if (Status s = FromRocks(rocksdb::DB::Open(db_options, path, descriptors, &handles, &db_), "opening " + path); !s.ok()) {
    return s;
  }
  families_ = handles;
  std::string value;
  Status problem;
  const bool loaded = engine_.Restore([&](State* state) {
    for (size_t f = 0; f < std::size(state_codec::kFamilies); ++f) {
      const auto family = state_codec::kFamilies[f];
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, families_[f + 1]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const std::string_view key(it->key().data(), it->key().size());
        const std::string_view entry(it->value().data(), it->value().size());
        if (family == state_codec::Family::kMeta && key == kAppliedKey) {
          applied_ = FromU64Le(entry);
          continue;
        }
        if (!state_codec::LoadEntry(family, key, entry, state)) {
          problem = Status::Corruption(fmt::format("{}: column family {}: an entry of {} bytes does not decode", path,
                                                   state_codec::FamilyName(family), entry.size()));
          return false;
        }
      }
      if (!it->status().ok()) {
        problem = FromRocks(it->status(), "reading " + path);
        return false;
      }
    }
    return true;
  });
  if (!loaded) return problem.ok() ? Status::Corruption(path + ": the stored entries disagree with each other") : problem;
  return Status::Ok();
}

void Runtime::CrashPoint() {
  if (options_.crash_at != 0 && ++crash_points_ == options_.crash_at) ::raise(SIGKILL);
}

Status Runtime::LogInputs(std::span<const events::InputLine> lines, std::vector<std::vector<uint8_t>>* payloads) {
  for (const events::InputLine& line : lines) {
    payloads->push_back(events::EncodeInput(*codec_, line));
    if (Status s = actions_->Append(payloads->back()); !s.ok()) return s;
  }
  Status s = actions_->Sync();
  CrashPoint();  // inputs durable, not yet folded
  return s;
}

namespace {
std::vector<events::InputLine> LinesOf(std::span<const std::string> json_lines) {
  std::vector<events::InputLine> lines;
  lines.reserve(json_lines.size());
  for (const std::string& text : json_lines) lines.push_back(events::LineOf(text));
  return lines;
}
}  // namespace

Status Runtime::LogOnly(std::span<const std::string> json_lines) { return LogOnly(LinesOf(json_lines)); }

Status Runtime::LogOnly(std::span<const events::InputLine> lines) {
  if (read_only_) return Status::InvalidArgument(fmt::format("{}: opened read-only", dir_));
  std::vector<std::vector<uint8_t>> payloads;
  return LogInputs(lines, &payloads);
}

Status Runtime::Append(std::span<const std::string> json_lines, const std::function<void(const Answer&)>& answer) {
  return Append(LinesOf(json_lines), answer);
}

Status Runtime::Append(std::span<const events::InputLine> lines, const std::function<void(const Answer&)>& answer) {
  if (read_only_) return Status::InvalidArgument(fmt::format("{}: opened read-only", dir_));
  if (applied_ != actions_->end()) {
    if (Status s = CatchUp({}); !s.ok()) return s;
  }
  std::vector<std::vector<uint8_t>> payloads;
  for (size_t done = 0; done < lines.size(); done += options_.batch_max) {
    const auto batch = lines.subspan(done, std::min(options_.batch_max, lines.size() - done));
    payloads.clear();
    const uint64_t first = actions_->end();
    if (Status s = LogInputs(batch, &payloads); !s.ok()) return s;
    for (size_t i = 0; i < payloads.size(); ++i) {
      if (Status s = FoldOne(first + i, payloads[i], answer); !s.ok()) return s;
    }
    if (Status s = Commit(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Runtime::CatchUp(const std::function<void(const Answer&)>& answer) {
  if (read_only_) return Status::InvalidArgument(fmt::format("{}: opened read-only", dir_));
  const uint64_t behind = actions_->end() - applied_;
  if (behind == 0) return Status::Ok();
  options_.say(fmt::format("catching up: folding {} logged inputs from input {}", behind, applied_));
  Status failure;
  size_t in_batch = 0;
  const Status read = actions_->Read(applied_, [&](uint64_t index, std::span<const uint8_t> payload) {
    failure = FoldOne(index, payload, answer);
    if (failure.ok() && ++in_batch == options_.batch_max) {
      in_batch = 0;
      failure = Commit();
    }
    return failure.ok();
  });
  if (!read.ok()) return read;
  if (!failure.ok()) return failure;
  return Commit();
}

Status Runtime::FoldOne(uint64_t index, std::span<const uint8_t> payload, const std::function<void(const Answer&)>& answer) {
  KEZEK_ASSERT(index == applied_);
  ApplyResult result;
  std::string problem;
  if (!events::FoldInput(engine_, payload, index, &result, &problem)) {
    return Status::Corruption(fmt::format("{}/actions: {}", dir_, problem));
  }
  const uint64_t sequence = engine_.state().next_sequence - 1;
  if (!ahead_.empty()) {
    // The journal already holds this record (written before a crash): it must be the same bytes.
    if (!std::equal(ahead_.front().begin(), ahead_.front().end(), result.record.begin(), result.record.end())) {
      return Status::Corruption(fmt::format("{}/journal: record {} differs from the fold of input {}: the journal or "
                                            "the actions log was altered", dir_, sequence, index));
    }
    ahead_.pop_front();
  } else if (Status s = journal_->Append(result.record); !s.ok()) {
    return s;
  }
  if (answer) {
    std::span<const uint8_t> original;
    if (result.outcome == fb::Outcome::Duplicate) {
      const uint64_t of = fb::GetJournalRecord(result.record.data())->duplicate_of();
      if (Status s = journal_->ReadRecord(of, &original_); !s.ok()) return s;
      original = original_;
    }
    answer(Answer{index, result.record, original});
  }
  applied_ = index + 1;
  return Status::Ok();
}

Status Runtime::Commit() {
  CrashPoint();  // records buffered, not yet written
  if (Status s = journal_->Sync(); !s.ok()) return s;
  CrashPoint();  // journal durable, state not yet written
  rocksdb::WriteBatch batch;
  engine_.DrainChanges([&](const state_codec::Put& put) {
    rocksdb::ColumnFamilyHandle* family = families_[static_cast<size_t>(put.family) + 1];
    if (put.erase) {
      batch.Delete(family, put.key);
    } else {
      batch.Put(family, put.key, put.value);
    }
  });
  batch.Put(families_[static_cast<size_t>(state_codec::Family::kMeta) + 1], kAppliedKey, U64Le(applied_));
  rocksdb::WriteOptions write;
  write.sync = options_.log.sync;
  if (Status s = FromRocks(db_->Write(write, &batch), "writing the state"); !s.ok()) return s;
  CrashPoint();  // state written
  return Status::Ok();
}

Status Runtime::Backup(const std::string& destination) {
  if (read_only_) return Status::InvalidArgument(fmt::format("{}: opened read-only", dir_));
  std::error_code error;
  if (fs::exists(destination, error)) return Status::InvalidArgument(fmt::format("{}: already exists", destination));
  fs::create_directories(destination, error);
  if (error) return Status::IoError(fmt::format("cannot create {}: {}", destination, error.message()));
  rocksdb::Checkpoint* raw = nullptr;
  if (Status s = FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"); !s.ok()) return s;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (Status s = FromRocks(checkpoint->CreateCheckpoint((fs::path(destination) / "state").string()), "checkpoint"); !s.ok()) return s;
  if (Status s = actions_->Sync(); !s.ok()) return s;
  if (Status s = journal_->Sync(); !s.ok()) return s;
  for (const char* log : {"actions", "journal"}) {
    fs::copy(fs::path(dir_) / log, fs::path(destination) / log, fs::copy_options::recursive, error);
    if (error) return Status::IoError(fmt::format("cannot copy {}/{}: {}", dir_, log, error.message()));
  }
  std::ofstream marker(fs::path(destination) / "KEZEK");
  marker << kMarker;
  marker.close();
  if (!marker) return Status::IoError(fmt::format("cannot write {}/KEZEK", destination));
  return Status::Ok();
}

uint64_t Runtime::StateBytesOnDisk() const {
  uint64_t total = 0;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(dir_) / "state", error)) {
    if (entry.is_regular_file(error)) total += entry.file_size(error);
  }
  return total;
}

}  // namespace kezek::adapters
