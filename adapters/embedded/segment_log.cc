#include "adapters/embedded/segment_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>

#include <fmt/format.h>
#include <xxhash.h>

namespace kezek::adapters {
namespace {

namespace fs = std::filesystem;

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t GetU32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

std::string Errno(const std::string& what, const std::string& path) {
  return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

Status ReadWhole(const std::string& path, std::vector<uint8_t>* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(Errno("cannot open", path));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IoError(Errno("cannot stat", path));
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    const ssize_t n = ::read(fd, out->data() + done, out->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::IoError(Errno("cannot read", path));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::Ok();
}

Status WriteAll(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError(Errno("cannot write", path));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(Errno("cannot open directory", dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::IoError(Errno("cannot fsync directory", dir));
}

// What is wrong with the frame at `pos`, or empty if it is whole and its checksum holds.
std::string CheckFrame(const std::vector<uint8_t>& data, size_t pos, uint32_t* length) {
  if (data.size() - pos < SegmentLog::kFrameHeaderBytes) {
    return fmt::format("a {}-byte frame header, found {} bytes", SegmentLog::kFrameHeaderBytes, data.size() - pos);
  }
  const uint8_t* p = data.data() + pos;
  if (GetU32(p) != SegmentLog::kMagic) return fmt::format("magic {:08x}, found {:08x}", SegmentLog::kMagic, GetU32(p));
  *length = GetU32(p + 4);
  if (*length > SegmentLog::kRecordBytesMax) return fmt::format("a length of at most {}, found {}", SegmentLog::kRecordBytesMax, *length);
  if (data.size() - pos - SegmentLog::kFrameHeaderBytes < *length) {
    return fmt::format("{} bytes of payload, found {}", *length, data.size() - pos - SegmentLog::kFrameHeaderBytes);
  }
  const uint32_t expected = GetU32(p + 8);
  const uint32_t actual = FrameChecksum(*length, {p + SegmentLog::kFrameHeaderBytes, *length});
  if (expected != actual) return fmt::format("checksum {:08x}, computed {:08x}", expected, actual);
  return {};
}

std::string SegmentName(uint64_t first) { return fmt::format("{:020}.seg", first); }

}  // namespace

uint32_t FrameChecksum(uint32_t length, std::span<const uint8_t> payload) {
  return static_cast<uint32_t>(XXH3_64bits_withSeed(payload.data(), payload.size(), 0x4B5A0000ull + length));
}

SegmentLog::~SegmentLog() {
  (void)Settle();
  if (fd_ >= 0) {
    (void)WriteBuffer();
    ::close(fd_);
  }
  if (read_.fd >= 0) ::close(read_.fd);
}

Status SegmentLog::Open(const std::string& dir, const Options& options, std::unique_ptr<SegmentLog>* log,
                        Recovery* recovery) {
  std::error_code error;
  if (options.read_only) {
    if (!fs::is_directory(dir, error)) return Status::NotFound(fmt::format("{}: no such log directory", dir));
  } else {
    fs::create_directories(dir, error);
    if (error) return Status::IoError(fmt::format("cannot create {}: {}", dir, error.message()));
  }
  std::unique_ptr<SegmentLog> opened(new SegmentLog(dir, options));
  *recovery = Recovery{};
  if (Status s = opened->Recover(recovery); !s.ok()) return s;
  *log = std::move(opened);
  return Status::Ok();
}

namespace {

constexpr const char* kSealedFile = "SEALED";

struct SealedEntry {
  uint64_t records = 0;
  uint64_t bytes = 0;
};

// DIR/SEALED: first index -> (records, bytes) of each sealed segment. Absent: empty.
Status ReadSealed(const std::string& dir, std::map<uint64_t, SealedEntry>* sealed) {
  const std::string path = (fs::path(dir) / kSealedFile).string();
  std::error_code error;
  if (!fs::exists(path, error)) return Status::Ok();
  std::vector<uint8_t> data;
  if (Status s = ReadWhole(path, &data); !s.ok()) return s;
  const std::string text(data.begin(), data.end());
  size_t line_start = 0;
  for (size_t line = 1; line_start < text.size(); ++line) {
    const size_t end = text.find('\n', line_start);
    if (end == std::string::npos) return Status::Corruption(fmt::format("{}: line {} has no end", path, line));
    unsigned long long first = 0, records = 0, bytes = 0;
    char extra = 0;
    const std::string row = text.substr(line_start, end - line_start);
    if (std::sscanf(row.c_str(), "%llu %llu %llu%c", &first, &records, &bytes, &extra) != 3 || records == 0) {
      return Status::Corruption(fmt::format("{}: line {} is no \"first records bytes\": '{}'", path, line, row.substr(0, 80)));
    }
    (*sealed)[first] = SealedEntry{records, bytes};
    line_start = end + 1;
  }
  return Status::Ok();
}

}  // namespace

Status SegmentLog::WriteSealed() const {
  std::string text;
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    text += fmt::format("{} {} {}\n", segments_[i].first, segments_[i].records, segments_[i].bytes);
  }
  const std::string path = (fs::path(dir_) / kSealedFile).string();
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(Errno("cannot create", temporary));
  Status s = WriteAll(fd, reinterpret_cast<const uint8_t*>(text.data()), text.size(), temporary);
  if (s.ok() && options_.sync && ::fdatasync(fd) != 0) s = Status::IoError(Errno("cannot sync", temporary));
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(temporary.c_str(), path.c_str()) != 0) return Status::IoError(Errno("cannot rename to", path));
  return options_.sync ? SyncDirectory(dir_) : Status::Ok();
}

Status SegmentLog::Recover(Recovery* recovery) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 24 || !name.ends_with(".seg")) continue;
    // Twenty digits, and a record number: above 2^64 - 1 it is no name this log gives (std::stoull
    // threw, and every command aborted on the file).
    if (name.find_first_not_of("0123456789") != 20 || name.substr(0, 20) > "18446744073709551615") {
      return Status::Corruption(fmt::format("{}: {} is no segment name", dir_, name));
    }
    segments_.push_back(Segment{std::stoull(name.substr(0, 20)), 0, 0, entry.path().string(), {}, 0});
  }
  if (error) return Status::IoError(fmt::format("cannot list {}: {}", dir_, error.message()));
  std::sort(segments_.begin(), segments_.end(), [](const Segment& a, const Segment& b) { return a.first < b.first; });
  std::map<uint64_t, SealedEntry> sealed;
  if (Status s = ReadSealed(dir_, &sealed); !s.ok()) return s;
  // Every sealed segment SEALED names must be there. (The last file is scanned as the open one
  // even if SEALED names it.)
  for (const auto& [first, entry] : sealed) {
    const bool present = std::any_of(segments_.begin(), segments_.end(), [&](const Segment& s) { return s.first == first; });
    if (!present) {
      return Status::Corruption(fmt::format("{}: records {}..{} are missing: their sealed segment {} is not there", dir_,
                                            first, first + entry.records - 1, SegmentName(first)));
    }
  }
  bool unnamed_sealed = false;
  uint64_t expected_first = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    Segment& segment = segments_[i];
    if (segment.first != expected_first) {
      return Status::Corruption(fmt::format("{}: starts at record {}, expected {}: records {}..{} are missing", segment.path,
                                            segment.first, expected_first, expected_first, segment.first - 1));
    }
    const bool last = i + 1 == segments_.size();
    const auto named = sealed.find(segment.first);
    if (!last && named != sealed.end()) {
      // Sealed and named: its count and size are known without reading it.
      segment.records = named->second.records;
      segment.bytes = fs::file_size(segment.path, error);
      if (error) return Status::IoError(fmt::format("cannot stat {}: {}", segment.path, error.message()));
      if (segment.bytes != named->second.bytes) {
        return Status::Corruption(fmt::format("{}: a sealed segment of {} bytes, {} says {} bytes", segment.path,
                                              segment.bytes, kSealedFile, named->second.bytes));
      }
    } else {
      unnamed_sealed = unnamed_sealed || !last;
      if (Status s = ScanSegment(segment, last, recovery); !s.ok()) return s;
    }
    expected_first = segment.first + segment.records;
  }
  end_ = expected_first;
  recovery->records = end_;
  if (options_.read_only) return Status::Ok();
  if (unnamed_sealed) {
    if (Status s = WriteSealed(); !s.ok()) return s;
  }
  if (segments_.empty()) return Roll();
  const Segment& last = segments_.back();
  fd_ = ::open(last.path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0 || ::lseek(fd_, static_cast<off_t>(last.bytes), SEEK_SET) < 0) {
    return Status::IoError(Errno("cannot open for appending", last.path));
  }
  return Status::Ok();
}

Status SegmentLog::ScanSegment(Segment& segment, bool last, Recovery* recovery) {
  std::vector<uint8_t> data;
  if (Status s = ReadWhole(segment.path, &data); !s.ok()) return s;
  size_t pos = 0;
  while (pos < data.size()) {
    uint32_t length = 0;
    const std::string problem = CheckFrame(data, pos, &length);
    if (problem.empty()) {
      pos += kFrameHeaderBytes + length;
      ++segment.records;
      continue;
    }
    // Is any whole frame after the bad one? Then this is damage in the middle, not a torn tail.
    bool valid_after = false;
    for (size_t probe = pos + 1; probe + kFrameHeaderBytes <= data.size() && !valid_after; ++probe) {
      uint32_t ignored = 0;
      valid_after = GetU32(data.data() + probe) == kMagic && CheckFrame(data, probe, &ignored).empty();
    }
    if (const uint64_t record = segment.first + segment.records; last && !valid_after && record < options_.reflected) {
      return Status::Corruption(fmt::format("{}: byte offset {} (record {}): expected {}; the state or the journal "
                                            "reflects the first {} records, so this is damage, not a torn write: "
                                            "left as it is", segment.path, pos, record, problem, options_.reflected));
    }
    if (!last || valid_after) {
      return Status::Corruption(fmt::format("{}: byte offset {} (record {}): expected {}; {}", segment.path, pos,
                                            segment.first + segment.records, problem,
                                            last ? "valid records follow, so this is no torn tail"
                                                 : "this is not the last segment"));
    }
    recovery->dropped_bytes = data.size() - pos;
    recovery->dropped_from = fmt::format("{} @ {}", segment.path, pos);
    if (options_.read_only) break;  // reported, left as it is
    if (::truncate(segment.path.c_str(), static_cast<off_t>(pos)) != 0) {
      return Status::IoError(Errno("cannot truncate torn tail of", segment.path));
    }
    const int fd = ::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::fdatasync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return Status::IoError(Errno("cannot sync", segment.path));
    }
    ::close(fd);
    break;
  }
  segment.bytes = std::min<uint64_t>(pos, data.size());
  return Status::Ok();
}

Status SegmentLog::Roll() {
  if (fd_ >= 0) {
    if (Status s = WriteBuffer(); !s.ok()) return s;
    if (options_.sync && ::fdatasync(fd_) != 0) return Status::IoError(Errno("cannot sync", segments_.back().path));
    ::close(fd_);
    fd_ = -1;
  }
  Segment segment{end_, 0, 0, (fs::path(dir_) / SegmentName(end_)).string(), {}, 0};
  fd_ = ::open(segment.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::IoError(Errno("cannot create", segment.path));
  segments_.push_back(std::move(segment));
  dir_dirty_ = true;
  // The segment before is sealed now: SEALED names it (after the new file exists, so a crash in
  // between leaves a sealed segment SEALED does not name, which the next Open scans and adds).
  return segments_.size() > 1 ? WriteSealed() : Status::Ok();
}

Status SegmentLog::Append(std::span<const uint8_t> payload) {
  if (options_.read_only) return Status::InvalidArgument(fmt::format("{}: opened read-only", dir_));
  if (!broken_.ok()) return broken_;
  if (payload.size() > kRecordBytesMax) {
    return Status::InvalidArgument(fmt::format("a record of {} bytes exceeds {}", payload.size(), kRecordBytesMax));
  }
  const uint64_t frame = kFrameHeaderBytes + payload.size();
  Segment& current = segments_.back();
  if (current.records > 0 && current.bytes + frame > options_.segment_bytes) {
    if (Status s = Roll(); !s.ok()) return s;
  }
  const uint32_t length = static_cast<uint32_t>(payload.size());
  buffer_frames_.push_back(buffer_.size());
  PutU32(buffer_, kMagic);
  PutU32(buffer_, length);
  PutU32(buffer_, FrameChecksum(length, payload));
  buffer_.insert(buffer_.end(), payload.begin(), payload.end());
  Segment& target = segments_.back();
  target.bytes += frame;
  ++target.records;
  ++end_;
  return Status::Ok();
}

Status SegmentLog::WriteBuffer() {
  if (Status s = Settle(); !s.ok()) return s;  // the bytes in flight first: one writer of the file
  if (buffer_.empty() || fd_ < 0) return Status::Ok();
  Status s = WriteAll(fd_, buffer_.data(), buffer_.size(), segments_.back().path);
  buffer_.clear();
  buffer_frames_.clear();
  if (!s.ok()) broken_ = s;
  return s;
}

Status SegmentLog::Sync() {
  if (options_.read_only) return Status::Ok();
  if (Status s = WriteBuffer(); !s.ok()) return s;
  if (options_.sync && ::fdatasync(fd_) != 0) {
    broken_ = Status::IoError(Errno("cannot sync", segments_.back().path));
    return broken_;
  }
  if (dir_dirty_ && options_.sync) {
    if (Status s = SyncDirectory(dir_); !s.ok()) return s;
  }
  dir_dirty_ = false;
  return Status::Ok();
}

std::shared_future<Status> SegmentLog::SyncBehind() {
  if (options_.read_only) return Done(Status::Ok());
  if (Status s = Settle(); !s.ok()) return Done(s);
  flight_.swap(buffer_);  // buffer_ is the spare now (empty: Settle cleared it)
  flight_frames_.swap(buffer_frames_);
  flight_first_ = end_ - flight_frames_.size();
  in_flight_ = std::async(std::launch::async, [this, fd = fd_, path = segments_.back().path, sync = options_.sync,
                                               dir = dir_dirty_ && options_.sync ? dir_ : std::string()] {
                 if (fd >= 0 && !flight_.empty()) {
                   if (Status s = WriteAll(fd, flight_.data(), flight_.size(), path); !s.ok()) return s;
                 }
                 if (fd >= 0 && sync && ::fdatasync(fd) != 0) return Status::IoError(Errno("cannot sync", path));
                 return dir.empty() ? Status::Ok() : SyncDirectory(dir);
               }).share();
  dir_dirty_ = false;  // a failure is kept in broken_ by Settle
  return in_flight_;
}

Status SegmentLog::Settle() {
  if (in_flight_.valid()) {
    Status s = in_flight_.get();
    in_flight_ = {};
    flight_.clear();
    flight_frames_.clear();
    if (!s.ok()) broken_ = std::move(s);
  }
  return broken_;
}

uint64_t SegmentLog::bytes() const {
  uint64_t total = 0;
  for (const Segment& s : segments_) total += s.bytes;
  return total;
}

Status SegmentLog::Read(uint64_t from, const std::function<bool(uint64_t, std::span<const uint8_t>)>& visit) {
  if (Status s = WriteBuffer(); !s.ok()) return s;
  std::vector<uint8_t> data;
  std::vector<uint8_t> aligned;
  for (const Segment& segment : segments_) {
    if (segment.first + segment.records <= from) continue;
    if (Status s = ReadWhole(segment.path, &data); !s.ok()) return s;
    size_t pos = 0;
    for (uint64_t index = segment.first; index < segment.first + segment.records; ++index) {
      uint32_t length = 0;
      const std::string problem = CheckFrame(data, pos, &length);
      // (A sealed segment's count comes from the next segment's name: a frame missing here is
      // reported as cut short, with the offset where it should be.)
      if (!problem.empty()) {
        const std::string hint = pos == data.size() ? " (the segment ends early: cut short, or a segment after it is missing)" : "";
        return Status::Corruption(fmt::format("{}: byte offset {} (record {}): expected {}{}", segment.path, pos, index, problem, hint));
      }
      if (index >= from) {
        // Handed out from its own allocation: FlatBuffers want their buffers aligned.
        aligned.assign(data.begin() + static_cast<long>(pos + kFrameHeaderBytes),
                       data.begin() + static_cast<long>(pos + kFrameHeaderBytes + length));
        if (!visit(index, aligned)) return Status::Ok();
      }
      pos += kFrameHeaderBytes + length;
    }
    if (pos != data.size() && &segment != &segments_.back()) {
      return Status::Corruption(fmt::format("{}: byte offset {}: expected the end of the segment after record {}, "
                                            "found {} more bytes", segment.path, pos,
                                            segment.first + segment.records - 1, data.size() - pos));
    }
  }
  return Status::Ok();
}

Status SegmentLog::ReadRecord(uint64_t index, std::vector<uint8_t>* payload) {
  if (index >= end_) return Status::InvalidArgument(fmt::format("{}: no record {} (the log holds {})", dir_, index, end_));
  if (!broken_.ok()) return broken_;
  // A record not in the file yet (buffered, or being written behind) is read from memory: reading
  // it neither writes nor waits for anything. Every record before those is in the file whole (a
  // write behind only adds bytes after them).
  const auto from_memory = [&](const std::vector<uint8_t>& bytes, const std::vector<size_t>& frames, uint64_t first) {
    const uint8_t* frame = bytes.data() + frames[index - first];
    const uint32_t length = GetU32(frame + 4);
    payload->assign(frame + kFrameHeaderBytes, frame + kFrameHeaderBytes + length);
    return Status::Ok();
  };
  if (const uint64_t buffered = end_ - buffer_frames_.size(); index >= buffered) {
    return from_memory(buffer_, buffer_frames_, buffered);
  }
  if (index >= flight_first_ && index - flight_first_ < flight_frames_.size()) {
    return from_memory(flight_, flight_frames_, flight_first_);
  }
  auto it = std::upper_bound(segments_.begin(), segments_.end(), index,
                             [](uint64_t i, const Segment& segment) { return i < segment.first; });
  Segment& segment = *std::prev(it);
  const size_t segment_index = static_cast<size_t>(std::prev(it) - segments_.begin());
  if (read_.segment != segment_index || read_.fd < 0) {
    if (read_.fd >= 0) ::close(read_.fd);
    read_ = ReadAhead{};
    read_.fd = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (read_.fd < 0) return Status::IoError(Errno("cannot open", segment.path));
    read_.segment = segment_index;
  }
  constexpr size_t kReadAheadBytes = size_t{1} << 20;
  // Bytes [at, at + size) of the segment, from the bytes read ahead or a new read from `at` on.
  const auto read_at = [&](uint8_t* into, size_t size, uint64_t at) {
    if (at < read_.start || at + size > read_.start + read_.bytes.size()) {
      read_.bytes.resize(std::max(size, kReadAheadBytes));
      const ssize_t got = ::pread(read_.fd, read_.bytes.data(), read_.bytes.size(), static_cast<off_t>(at));
      read_.start = at;
      read_.bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
      if (read_.bytes.size() < size) return false;
    }
    std::memcpy(into, read_.bytes.data() + (at - read_.start), size);
    return true;
  };
  uint8_t header[kFrameHeaderBytes];
  const auto corrupt = [&](uint64_t at, uint64_t record, const std::string& what) {
    return Status::Corruption(fmt::format("{}: byte offset {} (record {}): expected {}", segment.path, at, record, what));
  };
  while (segment.frames.size() <= index - segment.first) {
    const uint64_t at = segment.next_frame;
    const uint64_t record = segment.first + segment.frames.size();
    if (!read_at(header, sizeof header, at)) return corrupt(at, record, "a frame header");
    const uint32_t length = GetU32(header + 4);
    if (GetU32(header) != kMagic || length > kRecordBytesMax) return corrupt(at, record, "a frame (magic, length)");
    segment.frames.push_back(at);
    segment.next_frame = at + kFrameHeaderBytes + length;
  }
  const uint64_t at = segment.frames[index - segment.first];
  if (!read_at(header, sizeof header, at)) return corrupt(at, index, "a frame header");
  const uint32_t length = GetU32(header + 4);
  payload->resize(length);
  if (length > kRecordBytesMax || !read_at(payload->data(), length, at + kFrameHeaderBytes) ||
      FrameChecksum(length, *payload) != GetU32(header + 8)) {
    return corrupt(at, index, "a whole frame whose checksum holds");
  }
  return Status::Ok();
}

}  // namespace kezek::adapters
