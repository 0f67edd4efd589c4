// Reads input lines from a file or standard input with a bound on what it holds: a line over
// limits::kJsonLineBytesMax is never held whole, only hashed as it streams past and its first
// bytes kept (events::InputLine), so a line of any size costs a bounded amount of memory.
//
// Lines end at '\n'; a last line without one is a line too; every line, blank or not, is given
// (events::EncodeInput decides what it becomes).
//
// Thread-safety: one reader per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <atomic>

#include "adapters/status.h"
#include "engine/sha256.h"
#include "events/input.h"

namespace kezek::adapters {

class LineReader {
 public:
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Opens `path` for reading ("-": standard input). Failure: NotFound / IoError naming the path.
  static Status Open(const std::string& path, std::unique_ptr<LineReader>* reader);
  // Said by main when the process started with standard input closed (it then points at
  // /dev/null, so that no file opened later becomes descriptor 0): Open("-") refuses.
  static void StandardInputWasClosed() { stdin_closed_ = true; }

  // The next line into *line; *got is false at the end of the input. Blocks until a line is there.
  Status Next(events::InputLine* line, bool* got);

  // Whether the next line (or the end of the input) is there within `wait_ms` milliseconds:
  // false when the writer of a pipe has nothing more for now. A file is always ready.
  bool Ready(int wait_ms);

  // Once *stop is set (by a SIGINT handler, say), a Next waiting for input stops waiting and
  // returns IoError "interrupted" (the part of a line read so far is dropped): Ctrl-C ends a read
  // of a terminal or a quiet pipe at once, not when the next line comes.
  void StopOn(const std::atomic<bool>* stop) { stop_ = stop; }

 private:
  static inline bool stdin_closed_ = false;
  explicit LineReader(int fd, bool owned) : fd_(fd), owned_(owned) {}
  Status Fill();                 // one read() into the buffer; sets eof_
  bool LineBuffered() const;

  int fd_;
  bool owned_;
  bool eof_ = false;
  std::vector<char> buffer_;
  size_t pos_ = 0;               // unread bytes are buffer_[pos_, end)
  Sha256Hasher sha256_;
  const std::atomic<bool>* stop_ = nullptr;
};

}  // namespace kezek::adapters
