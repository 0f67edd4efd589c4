#include "adapters/embedded/runtime.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "decisions_generated.h"
#include "engine/assert.h"

namespace kezek::adapters {
namespace {

namespace fs = std::filesystem;
constexpr const char* kMarker = "kezek data directory, format 1\n";

// Whether `dir` is a directory, made here when `create` (the last step with mkdir, so that of two
// processes making it at once exactly one is its maker: *created).
Status CheckDirectory(const std::string& dir, bool create, bool* created) {
  std::error_code error;
  *created = false;
  if (!fs::exists(dir, error)) {
    if (!create) return Status::NotFound(fmt::format("{}: no such data directory (kezek append creates one)", dir));
    const fs::path parent = fs::path(dir).parent_path();
    if (!parent.empty()) fs::create_directories(parent, error);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      *created = true;
    } else if (errno != EEXIST) {
      return Status::IoError(fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
    }
  }
  if (!fs::is_directory(dir, error)) return Status::InvalidArgument(fmt::format("{}: not a directory", dir));
  return Status::Ok();
}

// The KEZEK marker: checked, or written into an empty directory (a writer's, under its lock, so
// that two writers never both take a directory for new). Read-only, an unmarked directory is none.
// `write` false: only checked (a foreign directory is refused before a LOCK file is made in it).
// The marker, written whole or not at all (a writer killed mid-write left an empty marker no
// later opening took): a temporary file, then a rename.
Status WriteMarker(const std::string& dir) {
  std::error_code error;
  const fs::path temporary = fs::path(dir) / "KEZEK.new";
  // Synced before the rename, and the directory after it: whole across a power loss too.
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const size_t length = std::strlen(kMarker);
  const bool written = fd >= 0 && ::write(fd, kMarker, length) == static_cast<ssize_t>(length) && ::fsync(fd) == 0;
  const int write_error = errno;
  if (fd >= 0) ::close(fd);
  if (!written) return Status::IoError(fmt::format("cannot write {}: {}", temporary.string(), std::strerror(write_error)));
  fs::rename(temporary, fs::path(dir) / "KEZEK", error);
  if (error) return Status::IoError(fmt::format("cannot rename {} to KEZEK: {}", temporary.string(), error.message()));
  if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Status::Ok();
}

// Whether `dir` holds nothing but its LOCK and `marker` (and an unfinished marker's temporary file).
bool OnlyLockAndMarker(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name != "LOCK" && name != "KEZEK" && name != "KEZEK.new") return false;
  }
  return !error;
}

// An existing marker that is not a file (a directory made by hand): no data directory, said so.
Status MarkerIsAFile(const fs::path& marker) {
  std::error_code error;
  if (fs::is_regular_file(marker, error)) return Status::Ok();
  return Status::InvalidArgument(fmt::format("{}: not a file (a data directory's KEZEK marker is one): no data directory",
                                             marker.string()));
}

Status CheckMarker(const std::string& dir, bool read_only, bool write, bool marked_unfinished = false) {
  std::error_code error;
  const fs::path marker = fs::path(dir) / "KEZEK";
  if (fs::exists(marker, error)) {
    if (Status s = MarkerIsAFile(marker); !s.ok()) return s;
    if (!read_only && !write) return Status::Ok();  // read under the lock (a maker may be writing it)
    std::ifstream in(marker);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // An empty marker in a directory holding nothing else: its maker (a binary before the marker
    // was written whole by a rename) was killed while writing it. A writer, under the lock, makes
    // the directory afresh.
    if (text.empty() && write && !read_only && OnlyLockAndMarker(dir)) return WriteMarker(dir);
    if (text != kMarker) {
      return Status::InvalidArgument(fmt::format("{}: marker says '{}', expected '{}'", marker.string(),
                                                 text.substr(0, 60), std::string(kMarker, std::strlen(kMarker) - 1)));
    }
    return CheckFinished(dir);
  }
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    // LOCK, and KEZEK itself when a writer is making the directory just now (its marker written
    // after the exists() above): checked again under the lock.
    // KEZEK.new: a marker being written (or left by a maker killed before its rename).
    // kUnfinishedFile: the mark of a maker that marks first (Options::marked_unfinished), its own.
    if (entry.path().filename() != "LOCK" && entry.path().filename() != "KEZEK" && entry.path().filename() != "KEZEK.new" &&
        !(marked_unfinished && entry.path().filename() == kUnfinishedFile)) {
      // A writer's pre-check: the maker may have written its marker and begun its logs since the
      // exists() above; the marker is then read under the lock.
      if (!read_only && !write && fs::exists(marker, error)) return Status::Ok();
      // A maker's mark before its marker (a rebuild killed inside its opening): its words.
      if (entry.path().filename() == kUnfinishedFile) return CheckFinished(dir);
      return Status::InvalidArgument(fmt::format("{}: a foreign directory (it has files but no KEZEK marker); "
                                                 "refusing to use it as a data directory", dir));
    }
  }
  if (read_only) return Status::NotFound(fmt::format("{}: an empty directory, no data directory (kezek append makes one)", dir));
  if (!write) return Status::Ok();
  return WriteMarker(dir);
}

Status Lock(const std::string& dir, int* fd) {
  const std::string path = (fs::path(dir) / "LOCK").string();
  *fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (*fd < 0) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    // The holder writes its pid just after taking the lock: a moment's wait for it.
    char text[32] = {0};
    for (int attempt = 0; attempt < 20 && text[0] == 0; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      (void)!::pread(*fd, text, sizeof text - 1, 0);
    }
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

// A segment log as either of the partition's logs: actions/ as its input log, journal/ as its
// journal sink (the two interfaces ask the same of a log; the sink also reads one record).
class SegmentPiece final : public InputLog, public JournalSink {
 public:
  explicit SegmentPiece(SegmentLog* log) : log_(log) {}
  Status Append(std::span<const uint8_t> payload) override { return log_->Append(payload); }
  Status Sync() override { return log_->Sync(); }
  std::shared_future<Status> SyncBehind() override { return log_->SyncBehind(); }
  uint64_t end() const override { return log_->end(); }
  Status ReadRecord(uint64_t sequence, std::vector<uint8_t>* record) override { return log_->ReadRecord(sequence, record); }
  Status Read(uint64_t from, const RecordVisitor& visit) override { return log_->Read(from, visit); }

 private:
  SegmentLog* log_;
};

}  // namespace

Runtime::~Runtime() {
  // The partition first (it refers to the pieces), the lock last: nothing is written after it.
  partition_.reset();
  if (state_) {
    // The last commit's write (pipelined) lands here; should it fail, the state stays behind the
    // logs and the next opening folds those inputs again.
    if (Status s = state_->Drain(); !s.ok() && options_.say) {
      options_.say(fmt::format("{}: the state's last write failed ({}); the next opening folds its inputs again", dir_,
                               s.ToString()));
    }
  }
  state_.reset();
  sink_.reset();
  inputs_.reset();
  journal_.reset();
  actions_.reset();
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
  bool created = false, locked = false;
  Status s = CheckDirectory(dir, options.create && !read_only, &created);
  const auto opened = [&]() -> Status {
    if (Status m = CheckMarker(dir, read_only, /*write=*/false, options.marked_unfinished); !m.ok()) return m;
    if (!read_only) {
      if (Status l = Lock(dir, &r->lock_fd_); !l.ok()) return l;
      locked = true;
      if (Status m = CheckMarker(dir, read_only, /*write=*/true, options.marked_unfinished); !m.ok()) return m;
    }
    // Read-only, a writer may be appending meanwhile: the state is read first, then the logs,
    // which only grow, so they hold at least what that state reflects.
    // A writer may also flush or compact meanwhile and delete files the read-only view names ("No
    // such file", "Column family not found"): such an opening is tried again on a fresh view; a
    // failure that persists is reported.
    // A writer loads its state first too: the logs' torn tails are cut on opening, and none of a
    // record the state reflects may be (a damaged last frame of an input already folded is no
    // torn write: cut, the only copy of an acknowledged input would be gone).
    if (read_only) {
      Status l;
      for (int attempt = 1; attempt <= limits::kReadOnlyOpenAttempts; ++attempt) {
        l = r->OpenState();
        if (l.ok() || attempt == limits::kReadOnlyOpenAttempts) break;
        r->partition_.reset();
        r->state_.reset();
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
      }
      // A state that does not open for a reader, whatever RocksDB calls it (a MANIFEST cut short is
      // "Invalid argument: Column family not found"), is the state's damage to a reader: the
      // auditor's tools read the logs alone then and say so (docs/audit.md, "A damaged state"); as
      // an I/O error it stopped them all, the repair too. A writer's opening is left as it is.
      // Not what this reader lacks (permission, file descriptors, memory): those say nothing of
      // the state, and are left as the I/O errors they are (a first version reported them as
      // damage, with its repair).
      const auto reader_lacks = [](const std::string& said) {
        for (const char* lack : {"Permission denied", "Too many open files", "Cannot allocate memory",
                                 "Operation not permitted"}) {
          if (said.find(lack) != std::string::npos) return true;
        }
        return false;
      };
      if (!l.ok() && l.code() != Status::Code::kCorruption && l.code() != Status::Code::kBusy &&
          !reader_lacks(l.message())) {
        l = Status::Corruption(fmt::format("{}/state does not open: {}", dir, l.ToString()));
      }
      if (!l.ok()) return l;
    } else if (Status l = r->OpenState(); !l.ok()) {
      return l;
    }
    if (Status l = r->OpenLogs(); !l.ok()) return l;
    return r->partition_->Open(r->inputs_.get(), r->sink_.get(),
                               read_only ? Partition::Mode::kReadOnly : Partition::Mode::kRecover);
  };
  if (s.ok()) s = opened();
  if (s.ok()) s = r->SettledUnlessBehind(s);  // recovery's last state write, too
  if (!s.ok()) {
    // Leave nothing behind: the directory did not exist before this call, and no other writer
    // took it meanwhile (one that holds its lock does: it is that writer's now).
    if (created && locked) {
      r.reset();
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
    return s;
  }
  *out = std::move(r);
  return Status::Ok();
}

namespace {
// Whether the log directory `path` is absent or holds no byte (no input was ever logged to it). A
// symbolic link, even one that points nowhere, is not absence: logs kept elsewhere.
bool LogHoldsNothing(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(fs::symlink_status(path, error))) return true;
  if (fs::is_symlink(fs::symlink_status(path, error))) return false;
  for (const auto& entry : fs::recursive_directory_iterator(path, error)) {
    if (!entry.is_regular_file(error) || entry.file_size(error) != 0) return false;
  }
  return !error;
}
// Whether a state directory holds no data RocksDB wrote: no table file and no write-ahead log
// with a byte in it (what a writer killed while RocksDB made its files leaves: LOG, LOCK,
// IDENTITY, a MANIFEST, a .dbtmp).
bool StateHoldsNoData(const fs::path& path) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    const std::string extension = entry.path().extension().string();
    if (extension == ".sst" || extension == ".blob") return false;
    if (extension == ".log" && (!entry.is_regular_file(error) || entry.file_size(error) != 0)) return false;
  }
  return !error;
}
}  // namespace

// The state store, and the partition loaded from it.
Status Runtime::OpenState() {
  // A writer killed while making a new directory (RocksDB had begun its files, CURRENT not yet
  // written) leaves a state without CURRENT, which every later opening refused as damaged. With
  // no table or log data in it and both logs empty or not yet made, no input was ever logged,
  // none acknowledged: a writer (under the lock) makes the state afresh. A state with data and
  // no CURRENT (its logs deleted by hand too) is damage, refused and left for repair.
  if (std::error_code error; !read_only_) {
    const fs::path state = fs::path(dir_) / "state";
    if (fs::is_directory(state, error) && !fs::exists(state / "CURRENT", error) && StateHoldsNoData(state) &&
        LogHoldsNothing(fs::path(dir_) / "actions") && LogHoldsNothing(fs::path(dir_) / "journal")) {
      options_.say(fmt::format("{}: a state left unfinished by a writer stopped while making the directory (no input "
                               "was logged): made afresh", dir_));
      fs::remove_all(state, error);
      if (error) return Status::IoError(fmt::format("cannot remove {}: {}", state.string(), error.message()));
    }
  }
  RocksDbStateStore::Options store_options;
  store_options.read_only = read_only_;
  store_options.sync = options_.log.sync;
  store_options.pipelined = !read_only_;  // the state's write beside the next batch's fold
  if (Status s = RocksDbStateStore::Open((fs::path(dir_) / "state").string(), store_options, &state_); !s.ok()) return s;
  Partition::Options partition_options;
  partition_options.batch_max = options_.batch_max;
  partition_options.crash_at = options_.crash_at;
  partition_options.say = options_.say;
  partition_options.progress = options_.progress;
  partition_options.name = dir_;
  partition_options.input_name = fmt::format("{}/actions", dir_);
  partition_options.journal_name = fmt::format("{}/journal", dir_);
  partition_options.journal_behind = options_.write_behind;  // the state store writes behind (pipelined)
  partition_ = std::make_unique<Partition>(state_.get(), std::move(partition_options));
  return read_only_ && options_.defer_state ? partition_->LoadMeta() : partition_->LoadState();
}

namespace {
// How many inputs the journal holds records of: its last record's input offset + 1 (0 when it is
// empty, or its last record does not read: the partition's own checks say why later).
uint64_t InputsJournaled(SegmentLog* journal) {
  if (journal == nullptr || journal->end() == 0) return 0;
  std::vector<uint8_t> bytes;
  if (!journal->ReadRecord(journal->end() - 1, &bytes).ok()) return 0;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyJournalRecordBuffer(verifier)) return 0;
  return fb::GetJournalRecord(bytes.data())->input_offset() + 1;
}
}  // namespace

// Both segment logs, their torn tails cut (read-only: reported and left).
Status Runtime::OpenLogs() {
  const char* torn = read_only_ ? "a torn tail (or a record being written) of" : "torn tail of";
  const char* done = read_only_ ? "left" : "dropped";
  const auto open = [&](const char* name, const char* label, std::unique_ptr<SegmentLog>* log) {
    SegmentLog::Recovery recovery;
    // A writer has loaded its state, and opened its journal, first: no frame of a record the
    // state reflects is cut, nor of an input the journal already holds records of (journaled,
    // perhaps answered, the state not written yet: write-behind, or a crash between the two).
    SegmentLog::Options log_options = options_.log;
    if (!read_only_ && partition_ != nullptr) {
      log_options.reflected = std::string_view(name) == "actions"
                                  ? std::max(partition_->applied(), InputsJournaled(journal_.get()))
                                  : partition_->engine().state().next_sequence;
    }
    if (Status s = SegmentLog::Open((fs::path(dir_) / name).string(), log_options, log, &recovery); !s.ok()) return s;
    if (recovery.dropped_bytes > 0) {
      options_.say(fmt::format("{}: {} {} bytes {} at {}", label, torn, recovery.dropped_bytes, done, recovery.dropped_from));
    }
    return Status::Ok();
  };
  // A writer logs an input before its records reach the journal. Read-only, the journal is opened
  // first: the actions log, opened after it, then holds every input its records came from (and
  // perhaps more, pending); opened the other way round, a writer's records could land in the
  // journal for inputs the reader's view of the actions log does not hold.
  if (read_only_) {
    if (Status s = open("journal", "journal", &journal_); !s.ok()) return s;
    if (options_.between_logs) options_.between_logs();
    if (Status s = open("actions", "actions log", &actions_); !s.ok()) return s;
  } else {
    if (Status s = open("journal", "journal", &journal_); !s.ok()) return s;
    if (Status s = open("actions", "actions log", &actions_); !s.ok()) return s;
  }
  inputs_ = std::make_unique<SegmentPiece>(actions_.get());
  sink_ = std::make_unique<SegmentPiece>(journal_.get());
  return Status::Ok();
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
  return partition_->LogOnly(lines);
}

Status Runtime::Append(std::span<const std::string> json_lines, const std::function<void(const Answer&)>& answer) {
  return Append(LinesOf(json_lines), answer);
}

Status Runtime::Append(std::span<const events::InputLine> lines, const std::function<void(const Answer&)>& answer) {
  return SettledUnlessBehind(partition_->Append(lines, answer));
}

Status Runtime::CatchUp(const std::function<void(const Answer&)>& answer) {
  return SettledUnlessBehind(partition_->CatchUp(answer));
}

Status Runtime::LoadState() {
  KEZEK_ASSERT(read_only_ && options_.defer_state);
  return partition_->LoadRest();
}

Status Runtime::StoredEntriesHash(Sha256* hash) const { return state_->HashEntries(hash); }

Status Runtime::Settle() { return read_only_ ? Status::Ok() : state_->Drain(); }

Status Runtime::SettledUnlessBehind(Status folded) {
  if (options_.write_behind) return folded;
  Status settled = Settle();
  return folded.ok() ? settled : folded;
}

Status CheckDataDirectory(const std::string& dir) {
  std::error_code error;
  const fs::path marker = fs::path(dir) / "KEZEK";
  if (fs::exists(marker, error)) {
    if (Status s = MarkerIsAFile(marker); !s.ok()) return s;
  }
  if (!fs::is_regular_file(marker, error)) {
    return Status::NotFound(fmt::format("{}: no Kezek data directory (no KEZEK marker)", dir));
  }
  return CheckMarker(dir, /*read_only=*/true, /*write=*/false);
}

Status CheckFinished(const std::string& dir) {
  std::error_code error;
  const fs::path unfinished = fs::path(dir) / kUnfinishedFile;
  if (!fs::exists(unfinished, error) && !fs::is_symlink(unfinished, error)) return Status::Ok();
  // Its words, when it is a readable file that holds some; else what it is says enough.
  std::string said;
  if (fs::is_regular_file(unfinished, error)) {
    std::ifstream why(unfinished);
    std::getline(why, said);
  }
  while (!said.empty() && (said.back() == '\r' || said.back() == ' ')) said.pop_back();
  if (said.empty()) said = "a maker of this directory did not finish";
  return Status::InvalidArgument(fmt::format("{}: not a whole data directory: {} ({} says so)", dir,
                                             Printable(said.substr(0, 300)), unfinished.string()));
}

Status MarkUnfinished(const std::string& dir, std::string_view said) {
  const fs::path unfinished = fs::path(dir) / kUnfinishedFile;
  std::ofstream mark(unfinished);
  mark << said << '\n';
  mark.close();
  if (!mark) return Status::IoError(fmt::format("cannot write {}", unfinished.string()));
  return Status::Ok();
}

Status CheckOutside(const std::string& data_dir, const std::string& destination) {
  std::error_code error;
  const fs::path source = fs::weakly_canonical(fs::absolute(data_dir), error);
  const fs::path target = fs::weakly_canonical(fs::absolute(destination), error);
  if (error) return Status::Ok();
  const auto [mismatch, _] = std::mismatch(source.begin(), source.end(), target.begin(), target.end());
  if (mismatch != source.end()) return Status::Ok();
  return Status::InvalidArgument(fmt::format("{} is inside the data directory {}: write it to a place outside it",
                                             Printable(destination), Printable(data_dir)));
}

namespace {

// fsync of one file or directory (opened read-only).
Status SyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  const int synced = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (synced != 0) return Status::IoError(fmt::format("cannot fsync {}: {}", path.string(), std::strerror(saved)));
  return Status::Ok();
}

// fsync of every regular file and directory under `root`, and of `root`.
Status SyncTree(const fs::path& root) {
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (it->is_regular_file(error) || it->is_directory(error)) {
      if (Status s = SyncPath(it->path()); !s.ok()) return s;
    }
  }
  if (error) return Status::IoError(fmt::format("cannot list {}: {}", root.string(), error.message()));
  return SyncPath(root);
}

}  // namespace

Status Runtime::Backup(const std::string& destination) {
  if (read_only_) return Status::InvalidArgument(fmt::format("{}: opened read-only", dir_));
  std::error_code error;
  if (fs::exists(destination, error)) {
    const Status unfinished = CheckFinished(destination);  // a backup or rebuild killed half-way says so
    return Status::InvalidArgument(fmt::format("{}: already exists{}", destination,
                                               unfinished.ok() ? "" : " (" + unfinished.message() + ")"));
  }
  // A backup inside the directory it copies would copy itself (the logs' folders recursively,
  // without end) and be lost with the directory: refused before anything is made.
  if (Status s = CheckOutside(dir_, destination); !s.ok()) return s;
  fs::create_directories(destination, error);
  if (error) return Status::IoError(fmt::format("cannot create {}: {}", destination, error.message()));
  const auto copy = [&]() -> Status {
    // Until the copy is whole, a file in it says it is not (as a rebuild's does): a backup killed
    // half-way leaves a directory every opening refuses naming why, not a foreign one.
    if (Status s = MarkUnfinished(destination, "a backup ('kezek backup') that stopped before it finished: remove "
                                               "this directory and back up again");
        !s.ok()) {
      return s;
    }
    if (Status s = WriteMarker(destination); !s.ok()) return s;
    if (Status s = state_->Checkpoint((fs::path(destination) / "state").string()); !s.ok()) return s;
    if (Status s = actions_->Sync(); !s.ok()) return s;
    if (Status s = journal_->Sync(); !s.ok()) return s;
    for (const char* log : {"actions", "journal"}) {
      fs::copy(fs::path(dir_) / log, fs::path(destination) / log, fs::copy_options::recursive, error);
      if (error) {
        // The copy's error names neither side (a full destination read as "Input/output error"):
        // both are said, and the destination's free space when it is short.
        std::string room;
        if (std::error_code ignored; true) {
          const auto space = fs::space(destination, ignored);
          if (!ignored && space.available < (uint64_t{1} << 20)) room = fmt::format("; {} has {} bytes free", destination, space.available);
        }
        return Status::IoError(fmt::format("cannot copy {}/{} to {}/{}: {}{}", dir_, log, destination, log, error.message(), room));
      }
      // Every frame of the copy read back, its checksum checked: a damaged record in a sealed
      // segment (an opening checks only the tail) made a backup that said it was written.
      SegmentLog::Options read_only;
      read_only.read_only = true;
      std::unique_ptr<SegmentLog> copied;
      SegmentLog::Recovery recovery;
      Status read = SegmentLog::Open((fs::path(destination) / log).string(), read_only, &copied, &recovery);
      if (read.ok()) read = copied->Read(0, [](uint64_t, std::span<const uint8_t>) { return true; });
      if (!read.ok()) {
        return Status::Corruption(fmt::format("{}/{} is damaged: its copy does not read back whole ({}); no backup "
                                              "written ('kezek replay verify --data {}' names what is damaged)", dir_, log,
                                              read.message(), dir_));
      }
    }
    // On disk before UNFINISHED goes: every file and directory of the copy (RocksDB's checkpoint
    // syncs its own files), then the removal itself.
    if (Status s = SyncTree(destination); !s.ok()) return s;
    const fs::path unfinished = fs::path(destination) / kUnfinishedFile;
    if (!fs::remove(unfinished, error) || error) {
      return Status::IoError(fmt::format("cannot remove {}: {}", unfinished.string(), error.message()));
    }
    return SyncPath(destination);
  };
  Status status = copy();
  if (!status.ok()) {  // no half a backup left behind; its marker first, so that a stop half-way leaves no data directory
    fs::remove(fs::path(destination) / "KEZEK", error);
    fs::remove_all(destination, error);
  }
  return status;
}

uint64_t Runtime::StateBytesOnDisk() const { return state_->BytesOnDisk(); }

}  // namespace kezek::adapters
