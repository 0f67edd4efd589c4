// The segment log: framing, rolling, reading from an offset, and recovery — a torn tail is cut to
// the last good record, damage in the middle stops with the segment, offset and what was expected.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <unistd.h>

#include "adapters/embedded/segment_log.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

namespace fs = std::filesystem;
using adapters::SegmentLog;


std::vector<uint8_t> Payload(uint64_t i) {
  std::vector<uint8_t> p(10 + i % 37);
  for (size_t j = 0; j < p.size(); ++j) p[j] = static_cast<uint8_t>(i * 31 + j);
  return p;
}

std::unique_ptr<SegmentLog> OpenLog(const std::string& dir, SegmentLog::Recovery* recovery, uint64_t segment_bytes = 1 << 20) {
  std::unique_ptr<SegmentLog> log;
  SegmentLog::Options options;
  options.segment_bytes = segment_bytes;
  const adapters::Status s = SegmentLog::Open(dir, options, &log, recovery);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return log;
}

void Fill(const std::string& dir, uint64_t records, uint64_t segment_bytes = 1 << 20) {
  SegmentLog::Recovery recovery;
  auto log = OpenLog(dir, &recovery, segment_bytes);
  for (uint64_t i = 0; i < records; ++i) REQUIRE(log->Append(Payload(i)).ok());
  REQUIRE(log->Sync().ok());
}

std::vector<std::vector<uint8_t>> ReadAll(SegmentLog& log, uint64_t from = 0) {
  std::vector<std::vector<uint8_t>> out;
  const adapters::Status s = log.Read(from, [&](uint64_t, std::span<const uint8_t> p) {
    out.emplace_back(p.begin(), p.end());
    return true;
  });
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return out;
}

// The segment files of a log directory, in order (SEALED, beside them, is no segment).
std::vector<std::string> Segments(const std::string& dir) {
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") segments.push_back(e.path().string());
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

std::string OnlySegment(const std::string& dir) { return Segments(dir).back(); }

adapters::Status OpenStatus(const std::string& dir) {
  std::unique_ptr<SegmentLog> log;
  SegmentLog::Recovery recovery;
  SegmentLog::Options options;
  options.segment_bytes = 1024;
  return SegmentLog::Open(dir, options, &log, &recovery);
}

}  // namespace

TEST_CASE("segment log: records come back in order across rolled segments, from any offset") {
  const std::string dir = TempDir("roll");
  Fill(dir, 500, /*segment_bytes=*/2048);
  SegmentLog::Recovery recovery;
  auto log = OpenLog(dir, &recovery, 2048);
  CHECK(recovery.records == 500);
  CHECK(recovery.dropped_bytes == 0);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) >= 10);
  const auto all = ReadAll(*log);
  REQUIRE(all.size() == 500);
  for (uint64_t i = 0; i < 500; ++i) CHECK(all[i] == Payload(i));
  const auto tail = ReadAll(*log, 321);
  REQUIRE(tail.size() == 179);
  CHECK(tail.front() == Payload(321));
  REQUIRE(log->Append(Payload(500)).ok());  // appends continue after reopening
  REQUIRE(log->Sync().ok());
  CHECK(ReadAll(*log, 500).front() == Payload(500));
  fs::remove_all(dir);
}

TEST_CASE("segment log: a record larger than a segment (and than 16 MiB) fills a segment alone; over the cap is refused") {
  const std::string dir = TempDir("large");
  std::vector<uint8_t> large(20u << 20);
  for (size_t j = 0; j < large.size(); ++j) large[j] = static_cast<uint8_t>(j * 7 + j / 4096);
  {
    SegmentLog::Recovery recovery;
    auto log = OpenLog(dir, &recovery, /*segment_bytes=*/1 << 20);
    REQUIRE(log->Append(Payload(0)).ok());
    REQUIRE(log->Append(large).ok());
    REQUIRE(log->Append(Payload(2)).ok());
    REQUIRE(log->Sync().ok());
    const std::vector<uint8_t> too_large(SegmentLog::kRecordBytesMax + 1u);
    const adapters::Status refused = log->Append(too_large);
    CHECK(refused.code() == adapters::Status::Code::kInvalidArgument);
    CHECK(log->end() == 3);
  }
  SegmentLog::Recovery recovery;
  auto log = OpenLog(dir, &recovery, 1 << 20);
  CHECK(recovery.records == 3);
  CHECK(recovery.dropped_bytes == 0);
  const auto all = ReadAll(*log);
  REQUIRE(all.size() == 3);
  CHECK(all[0] == Payload(0));
  CHECK(all[1] == large);
  CHECK(all[2] == Payload(2));
  CHECK(Segments(dir).size() == 3);
  fs::remove_all(dir);
}

TEST_CASE("segment log: a torn tail, cut at every byte of the last record, recovers to the last good record") {
  const std::string dir = TempDir("torn");
  Fill(dir, 20);
  const std::string segment = OnlySegment(dir);
  std::vector<uint8_t> original = ReadFileBytes(segment);
  const size_t last_size = SegmentLog::kFrameHeaderBytes + Payload(19).size();
  const size_t last_start = original.size() - last_size;
  for (size_t cut = last_start; cut < original.size(); ++cut) {
    CAPTURE(cut);
    {
      std::ofstream out(segment, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(original.data()), static_cast<std::streamsize>(cut));
    }
    SegmentLog::Recovery recovery;
    auto log = OpenLog(dir, &recovery);
    CHECK(recovery.records == 19);
    CHECK(recovery.dropped_bytes == cut - last_start);
    CHECK(fs::file_size(segment) == last_start);
    CHECK(ReadAll(*log).size() == 19);
  }
  fs::remove_all(dir);
}

TEST_CASE("segment log: a flipped bit in the last record recovers to the last good record") {
  const std::string dir = TempDir("flip-last");
  Fill(dir, 20);
  const std::string segment = OnlySegment(dir);
  std::vector<uint8_t> original = ReadFileBytes(segment);
  const size_t last_start = original.size() - (SegmentLog::kFrameHeaderBytes + Payload(19).size());
  for (size_t byte = last_start; byte < original.size(); ++byte) {
    for (const int bit : {0, 5}) {
      CAPTURE(byte);
      CAPTURE(bit);
      std::vector<uint8_t> damaged = original;
      damaged[byte] ^= static_cast<uint8_t>(1 << bit);
      WriteFileBytes(segment, damaged);
      SegmentLog::Recovery recovery;
      auto log = OpenLog(dir, &recovery);
      CHECK(recovery.records == 19);
      CHECK(recovery.dropped_bytes == original.size() - last_start);
      const auto all = ReadAll(*log);
      REQUIRE(all.size() == 19);
      CHECK(all.back() == Payload(18));
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("segment log: a flipped bit in the middle stops with the segment, offset and what was expected") {
  const std::string dir = TempDir("flip-middle");
  Fill(dir, 20);
  const std::string segment = OnlySegment(dir);
  std::vector<uint8_t> bytes = ReadFileBytes(segment);
  // Record 5 starts after five frames.
  size_t offset = 0;
  for (uint64_t i = 0; i < 5; ++i) offset += SegmentLog::kFrameHeaderBytes + Payload(i).size();
  bytes[offset + SegmentLog::kFrameHeaderBytes + 2] ^= 0x10;  // a payload bit of record 5
  WriteFileBytes(segment, bytes);
  std::unique_ptr<SegmentLog> log;
  SegmentLog::Recovery recovery;
  const adapters::Status s = SegmentLog::Open(dir, {}, &log, &recovery);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == adapters::Status::Code::kCorruption);
  CHECK(s.message().find(segment) != std::string::npos);
  CHECK(s.message().find(fmt::format("byte offset {}", offset)) != std::string::npos);
  CHECK(s.message().find("record 5") != std::string::npos);
  CHECK(s.message().find("checksum") != std::string::npos);
  CHECK(fs::file_size(segment) == bytes.size());  // nothing was truncated
  fs::remove_all(dir);
}

TEST_CASE("segment log: damage in an earlier segment, or a missing segment, is corruption") {
  const std::string dir = TempDir("earlier");
  Fill(dir, 200, 1024);
  const std::vector<std::string> segments = Segments(dir);
  REQUIRE(segments.size() > 3);
  SUBCASE("a cut-short sealed segment is found at open: its size is not the one SEALED recorded") {
    fs::resize_file(segments[1], fs::file_size(segments[1]) - 3);
    const adapters::Status s = OpenStatus(dir);
    CHECK(s.code() == adapters::Status::Code::kCorruption);
    CHECK(s.message().find(segments[1]) != std::string::npos);
    CHECK(s.message().find("SEALED says") != std::string::npos);
  }
  SUBCASE("a flipped bit in an earlier segment stops the read with its offset") {
    std::vector<uint8_t> bytes = ReadFileBytes(segments[0]);
    bytes[SegmentLog::kFrameHeaderBytes + 1] ^= 0x04;  // the first record's payload
    WriteFileBytes(segments[0], bytes);
    SegmentLog::Recovery recovery;
    auto log = OpenLog(dir, &recovery, 1024);
    const adapters::Status s = log->Read(0, [](uint64_t, std::span<const uint8_t>) { return true; });
    CHECK(s.code() == adapters::Status::Code::kCorruption);
    CHECK(s.message().find(segments[0] + ": byte offset 0 (record 0)") != std::string::npos);
  }
  SUBCASE("a sealed segment with bytes past its records is found at open") {
    std::ofstream(segments[1], std::ios::binary | std::ios::app) << "extra";
    const adapters::Status s = OpenStatus(dir);
    CHECK(s.code() == adapters::Status::Code::kCorruption);
    CHECK(s.message().find(segments[1]) != std::string::npos);
  }
  SUBCASE("segment log: a missing middle segment is found at open, naming the records missing") {
    const uint64_t first = std::stoull(fs::path(segments[2]).filename().string().substr(0, 20));
    const uint64_t next = std::stoull(fs::path(segments[3]).filename().string().substr(0, 20));
    fs::remove(segments[2]);
    const adapters::Status s = OpenStatus(dir);
    CHECK(s.code() == adapters::Status::Code::kCorruption);
    CHECK(s.message().find(fmt::format("records {}..{} are missing", first, next - 1)) != std::string::npos);
  }
  SUBCASE("segment log: without SEALED (a log written before it), a missing segment is found by scanning") {
    const uint64_t first = std::stoull(fs::path(segments[2]).filename().string().substr(0, 20));
    const uint64_t next = std::stoull(fs::path(segments[3]).filename().string().substr(0, 20));
    fs::remove(fs::path(dir) / "SEALED");
    fs::remove(segments[2]);
    const adapters::Status s = OpenStatus(dir);
    CHECK(s.code() == adapters::Status::Code::kCorruption);
    CHECK(s.message().find(fmt::format("records {}..{} are missing", first, next - 1)) != std::string::npos);
  }
  SUBCASE("segment log: without SEALED, an intact log opens, and writes SEALED for the next time") {
    fs::remove(fs::path(dir) / "SEALED");
    SegmentLog::Recovery recovery;
    auto log = OpenLog(dir, &recovery, 1024);
    CHECK(recovery.records == 200);
    CHECK(fs::exists(fs::path(dir) / "SEALED"));
  }
  SUBCASE("a segment name above 2^64 - 1 is no segment name: corruption naming it (std::stoull threw, every command aborted)") {
    for (const char* name : {"99999999999999999999.seg", "18446744073709551616.seg"}) {
      const fs::path bogus = fs::path(dir) / name;
      std::ofstream(bogus, std::ios::binary) << "x";
      const adapters::Status s = OpenStatus(dir);
      CHECK(s.code() == adapters::Status::Code::kCorruption);
      CHECK(s.message().find(std::string(name) + " is no segment name") != std::string::npos);
      fs::remove(bogus);
    }
  }
  SUBCASE("a missing first segment is found at open") {
    fs::remove(segments[0]);
    const adapters::Status s = OpenStatus(dir);
    CHECK(s.code() == adapters::Status::Code::kCorruption);
    CHECK(s.message().find("records 0..") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("segment log: a record is read alone by its index, from any segment") {
  const std::string dir = TempDir("read-one");
  Fill(dir, 200, 1024);
  SegmentLog::Recovery recovery;
  auto log = OpenLog(dir, &recovery, 1024);
  std::vector<uint8_t> payload;
  for (const uint64_t i : {199ull, 0ull, 57ull, 58ull, 3ull, 150ull}) {
    CAPTURE(i);
    REQUIRE(log->ReadRecord(i, &payload).ok());
    CHECK(payload == Payload(i));
  }
  REQUIRE(log->Append(Payload(200)).ok());  // buffered, not yet synced: readable too
  REQUIRE(log->ReadRecord(200, &payload).ok());
  CHECK(payload == Payload(200));
  CHECK(log->ReadRecord(201, &payload).code() == adapters::Status::Code::kInvalidArgument);
  fs::remove_all(dir);
}

TEST_CASE("segment log: read-only: a torn tail is reported and left, nothing is created or written") {
  const std::string dir = TempDir("read-only");
  Fill(dir, 20);
  const std::string segment = OnlySegment(dir);
  std::ofstream(segment, std::ios::binary | std::ios::app) << "KZLG torn";
  const auto size = fs::file_size(segment);
  std::unique_ptr<SegmentLog> log;
  SegmentLog::Recovery recovery;
  SegmentLog::Options options;
  options.read_only = true;
  REQUIRE(SegmentLog::Open(dir, options, &log, &recovery).ok());
  CHECK(recovery.records == 20);
  CHECK(recovery.dropped_bytes == 9);
  CHECK(fs::file_size(segment) == size);
  CHECK(ReadAll(*log).size() == 20);
  CHECK(log->Append(Payload(20)).code() == adapters::Status::Code::kInvalidArgument);
  CHECK(SegmentLog::Open(dir + "-none", options, &log, &recovery).code() == adapters::Status::Code::kNotFound);
  CHECK_FALSE(fs::exists(dir + "-none"));
  fs::remove_all(dir);
}

TEST_CASE("segment log: SyncBehind: what is appended while a sync is in flight lands after it, in order, across rolls") {
  const std::string dir = TempDir("sync-behind");
  {
    SegmentLog::Recovery recovery;
    auto log = OpenLog(dir, &recovery, 1024);  // a roll every few dozen records: some while a write is in flight
    std::vector<std::shared_future<adapters::Status>> syncs;
    std::vector<uint8_t> payload;
    for (uint64_t i = 0; i < 600; ++i) {
      REQUIRE(log->Append(Payload(i)).ok());
      if (i % 7 == 6) syncs.push_back(log->SyncBehind());
      // Records just buffered, being written behind, and in the file, read by index between appends.
      for (const uint64_t back : {0ull, 3ull, 8ull, 15ull, 40ull}) {
        if (back > i) continue;
        REQUIRE(log->ReadRecord(i - back, &payload).ok());
        CHECK(payload == Payload(i - back));
      }
    }
    syncs.push_back(log->SyncBehind());
    REQUIRE(log->Settle().ok());
    for (auto& sync : syncs) CHECK(sync.get().ok());
    const auto all = ReadAll(*log);
    REQUIRE(all.size() == 600);
    for (uint64_t i = 0; i < all.size(); ++i) CHECK(all[i] == Payload(i));
  }
  SegmentLog::Recovery recovery;
  auto reopened = OpenLog(dir, &recovery, 1024);
  CHECK(recovery.records == 600);
  CHECK(recovery.dropped_bytes == 0);
  const auto all = ReadAll(*reopened);
  REQUIRE(all.size() == 600);
  for (uint64_t i = 0; i < all.size(); ++i) CHECK(all[i] == Payload(i));
  CHECK(Segments(dir).size() > 10);
  fs::remove_all(dir);
}

TEST_CASE("segment log: a write that fails behind is kept: later appends and syncs return it") {
  // The open segment is /dev/full: every write fails (ENOSPC), as on a full disk.
  const std::string dir = TempDir("sync-behind-full");
  fs::create_directories(dir);
  fs::create_symlink("/dev/full", fs::path(dir) / "00000000000000000000.seg");
  SegmentLog::Recovery recovery;
  auto log = OpenLog(dir, &recovery);
  CHECK(recovery.records == 0);
  REQUIRE(log->Append(Payload(0)).ok());  // buffered
  std::shared_future<adapters::Status> sync = log->SyncBehind();
  const adapters::Status failed = sync.get();
  CHECK(failed.code() == adapters::Status::Code::kIoError);
  CHECK(log->Settle().code() == adapters::Status::Code::kIoError);
  CHECK(log->Append(Payload(1)).code() == adapters::Status::Code::kIoError);
  CHECK(log->Sync().code() == adapters::Status::Code::kIoError);
  CHECK(log->SyncBehind().get().code() == adapters::Status::Code::kIoError);
  log.reset();
  fs::remove_all(dir);
}

}  // namespace kezek::test
