// The journal as a file: each record framed as a 4-byte little-endian length and the record's
// bytes (a JournalRecord FlatBuffer, identifier KZJR). The records carry their own hash chain.
// The durable segment log with checksums and torn-tail recovery is the embedded runtime's.
#pragma once

#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace kezek::adapters {

class JournalFileWriter {
 public:
  ~JournalFileWriter();
  // Opens (truncating) `path`; "-" is standard output. False with *error on failure.
  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  [[nodiscard]] bool Append(std::span<const uint8_t> record, std::string* error);
  [[nodiscard]] bool Close(std::string* error);

 private:
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::string path_;
};

// Reads the records of a journal file in order ("-": standard input; a pipe is read as it
// comes) for as long as `record` returns true (a reader that found what stops it, or was
// interrupted, reads no further: /dev/zero was read for ever). False with *error (offset, what)
// if the file cannot be read, a frame is cut short or says a record longer than any
// (limits::kRecordBytesMax).
[[nodiscard]] bool ReadJournalFile(const std::string& path,
                                   const std::function<bool(std::span<const uint8_t>)>& record,
                                   std::string* error);

}  // namespace kezek::adapters
