// A small text file (a --config file, a keys file) read whole, with a bound: /dev/zero or a
// directory given by mistake is refused with a reason instead of read without end.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace kezek::adapters {

// Reads `path` into *text: "" on success, else why not ("is a directory", "holds more than N
// bytes", the system's reason). With `pipes` false a FIFO or socket is refused without waiting
// for a writer (opening a FIFO waits for one: a keys file swapped for a FIFO would hang whoever
// reads it again).
inline std::string ReadSmallFile(const std::string& path, size_t bytes_max, std::string* text, bool pipes = true) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (pipes ? 0 : O_NONBLOCK));
  if (fd < 0) return fmt::format("cannot be read: {}", std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return "is a directory, not a file";
  }
  if (!pipes && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
    ::close(fd);
    return "is a pipe or a socket, not a file";
  }
  text->clear();
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = fmt::format("cannot be read: {}", std::strerror(errno));
      ::close(fd);
      return why;
    }
    if (n == 0) break;
    text->append(buffer, static_cast<size_t>(n));
    if (text->size() > bytes_max) {
      ::close(fd);
      return fmt::format("holds more than {} bytes: not a file of settings", bytes_max);
    }
  }
  ::close(fd);
  return "";
}

}  // namespace kezek::adapters
