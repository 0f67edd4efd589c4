#include "adapters/embedded/journal_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "engine/limits.h"

namespace kezek::adapters {

JournalFileWriter::~JournalFileWriter() {
  std::string ignored;
  (void)Close(&ignored);
}

bool JournalFileWriter::Open(const std::string& path, std::string* error) {
  path_ = path;
  if (path == "-") {
    file_ = stdout;
    owned_ = false;
    return true;
  }
  file_ = std::fopen(path.c_str(), "wb");
  owned_ = true;
  if (file_ == nullptr) {
    *error = fmt::format("{}: cannot create: {}", path, std::strerror(errno));
    return false;
  }
  return true;
}

bool JournalFileWriter::Append(std::span<const uint8_t> record, std::string* error) {
  const uint32_t size = static_cast<uint32_t>(record.size());
  const uint8_t frame[4] = {static_cast<uint8_t>(size), static_cast<uint8_t>(size >> 8),
                            static_cast<uint8_t>(size >> 16), static_cast<uint8_t>(size >> 24)};
  if (std::fwrite(frame, 1, 4, file_) != 4 || std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    *error = fmt::format("{}: write failed: {}", path_, std::strerror(errno));
    return false;
  }
  return true;
}

bool JournalFileWriter::Close(std::string* error) {
  if (file_ == nullptr) return true;
  const bool ok = std::fflush(file_) == 0 && (!owned_ || std::fclose(file_) == 0);
  file_ = nullptr;
  if (!ok) *error = fmt::format("{}: close failed: {}", path_, std::strerror(errno));
  return ok;
}

bool ReadJournalFile(const std::string& path, const std::function<bool(std::span<const uint8_t>)>& record,
                     std::string* error) {
  std::ifstream in(path == "-" ? "/dev/stdin" : path, std::ios::binary);  // "-": standard input
  if (!in) {
    *error = fmt::format("{}: cannot open: {}", path, std::strerror(errno));
    return false;
  }
  std::vector<uint8_t> buffer;
  uint64_t offset = 0;
  for (;;) {
    uint8_t frame[4];
    in.read(reinterpret_cast<char*>(frame), 4);
    if (in.gcount() == 0) return true;
    if (in.gcount() != 4) {
      *error = fmt::format("{}: offset {}: frame header cut short", path, offset);
      return false;
    }
    const uint32_t size = uint32_t{frame[0]} | uint32_t{frame[1]} << 8 | uint32_t{frame[2]} << 16 | uint32_t{frame[3]} << 24;
    if (size > limits::kRecordBytesMax) {  // no record is longer: damage (and no allocation of its size)
      *error = fmt::format("{}: offset {}: a record of {} bytes (no journal record is over {} bytes): not a journal, or damaged",
                           path, offset, size, limits::kRecordBytesMax);
      return false;
    }
    buffer.resize(size);
    in.read(reinterpret_cast<char*>(buffer.data()), size);
    if (static_cast<uint32_t>(in.gcount()) != size) {
      *error = fmt::format("{}: offset {}: record of {} bytes cut short", path, offset, size);
      return false;
    }
    if (!record(buffer)) return true;
    offset += 4 + size;
  }
}

}  // namespace kezek::adapters
