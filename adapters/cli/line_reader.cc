#include "adapters/cli/line_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "adapters/limits.h"
#include "engine/limits.h"
#include "engine/utf8.h"
#include "events/limits.h"

namespace kezek::adapters {

LineReader::~LineReader() {
  if (owned_) ::close(fd_);
}

Status LineReader::Open(const std::string& path, std::unique_ptr<LineReader>* reader) {
  if (path == "-") {
    if (stdin_closed_) return Status::IoError("cannot read input: standard input is closed");
    // `< /tmp`: a directory as standard input, found before a caller makes anything.
    if (struct stat st{}; ::fstat(STDIN_FILENO, &st) == 0 && S_ISDIR(st.st_mode)) {
      return Status::IoError("cannot read input: standard input is a directory, not a file of actions");
    }
    reader->reset(new LineReader(STDIN_FILENO, false));
    return Status::Ok();
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    if (errno == ENOENT) return Status::NotFound(fmt::format("{}: cannot open: {}", path, why));
    return Status::IoError(fmt::format("{}: cannot open: {}", path, why));
  }
  // A directory opens, and fails only at its first read: found here, before a caller makes
  // anything (a data directory) for input it cannot read.
  struct stat st{};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::IoError(fmt::format("{}: is a directory, not a file of actions", path));
  }
  reader->reset(new LineReader(fd, true));
  return Status::Ok();
}

Status LineReader::Fill() {
  if (pos_ > 0) {  // keep the unread bytes at the front
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(pos_));
    pos_ = 0;
  }
  if (stop_ != nullptr) {
    // Wait in poll, which a signal always interrupts (a read is restarted after the handler), and
    // at most 100 ms at a time: a signal landing just before poll is seen at the next turn.
    pollfd watched{fd_, POLLIN, 0};
    for (;;) {
      if (stop_->load()) return Status::IoError("interrupted");
      const int ready = ::poll(&watched, 1, 100);
      if (ready > 0 || (ready < 0 && errno != EINTR)) break;  // readable, at its end, or read() says what failed
    }
  }
  const size_t had = buffer_.size();
  buffer_.resize(had + limits::kLineReadChunkBytes);
  ssize_t n = 0;
  do {
    n = ::read(fd_, buffer_.data() + had, limits::kLineReadChunkBytes);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    buffer_.resize(had);
    return Status::IoError(fmt::format("cannot read input: {}", std::strerror(errno)));
  }
  buffer_.resize(had + static_cast<size_t>(n));
  if (n == 0) eof_ = true;
  return Status::Ok();
}

bool LineReader::LineBuffered() const {
  return std::find(buffer_.begin() + static_cast<long>(pos_), buffer_.end(), '\n') != buffer_.end();
}

bool LineReader::Ready(int wait_ms) {
  if (eof_ || LineBuffered()) return true;
  pollfd watched{fd_, POLLIN, 0};
  int n = 0;
  do {
    n = ::poll(&watched, 1, wait_ms);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  if (!Fill().ok()) return true;  // Next reports the error
  return eof_ || LineBuffered();
}

Status LineReader::Next(events::InputLine* line, bool* got) {
  *line = events::InputLine{};
  *got = false;
  bool any = false;  // a byte of this line was seen (a last line without '\n' is a line)
  // One byte past the head is kept until the end, so that Utf8Prefix sees where the head is cut.
  const size_t head_kept = limits::kOversizeLineHeadBytes + 1;
  for (;;) {
    const char* begin = buffer_.data() + pos_;
    const char* end = buffer_.data() + buffer_.size();
    const char* newline = std::find(begin, end, '\n');
    const std::string_view piece(begin, static_cast<size_t>(newline - begin));
    if (!piece.empty() || newline != end) any = true;
    // A line is kept whole until it passes the limit; from then on it is only hashed.
    if (!line->oversize && line->text.size() + piece.size() > limits::kJsonLineBytesMax) {
      line->oversize = true;
      sha256_.Begin();
      sha256_.Update({reinterpret_cast<const uint8_t*>(line->text.data()), line->text.size()});
      if (line->text.size() > head_kept) line->text.resize(head_kept);
    }
    if (line->oversize) {
      sha256_.Update({reinterpret_cast<const uint8_t*>(piece.data()), piece.size()});
      if (line->text.size() < head_kept) line->text.append(piece.substr(0, head_kept - line->text.size()));
    } else {
      line->text.append(piece);
    }
    line->bytes += piece.size();
    pos_ += piece.size();
    if (newline != end) {
      ++pos_;  // past '\n'
      break;
    }
    if (eof_) break;
    if (Status s = Fill(); !s.ok()) return s;
  }
  if (line->oversize) {
    line->sha256 = sha256_.End();
    line->text.resize(Utf8Prefix(line->text, limits::kOversizeLineHeadBytes).size());
  }
  *got = any;
  return Status::Ok();
}

}  // namespace kezek::adapters
