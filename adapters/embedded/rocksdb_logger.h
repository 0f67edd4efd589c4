#pragma once
// RocksDB's informational log, not in a file of its own: a LOG file in the store's directory is
// one more file to write when the disk is full, and RocksDB's file logger, once a write of it
// failed, aborted the process at its next line (an assertion in WritableFileWriter, built into
// Debian's RocksDB: `kezek serve` died a second after its partition stopped for a full disk).
// Errors go to standard error, a line each, naming the store (RocksDB's warnings are routine: a
// store made afresh warns that its directory was not there); a read-only opening logs nothing.
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <string>

#include <rocksdb/env.h>

namespace kezek::adapters {

class RocksDbLogger final : public rocksdb::Logger {
 public:
  // `name`: the store's directory, as the lines name it; `silent`: nothing at all.
  RocksDbLogger(std::string name, bool silent)
      : rocksdb::Logger(rocksdb::InfoLogLevel::ERROR_LEVEL), name_(std::move(name)), silent_(silent) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}  // a line without a level: none is an error
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (silent_ || level < GetInfoLogLevel()) return;
    char text[1024];
    const int n = std::vsnprintf(text, sizeof text, format, ap);
    if (n < 0) return;
    std::string said(text, std::min<size_t>(static_cast<size_t>(n), sizeof text - 1));
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    // One write a line, whole (RocksDB logs from its background threads).
    const std::string line = "kezek: rocksdb " + name_ + ": " + said + "\n";
    (void)std::fwrite(line.data(), 1, line.size(), stderr);
  }

 private:
  std::string name_;
  bool silent_;
};

}  // namespace kezek::adapters
