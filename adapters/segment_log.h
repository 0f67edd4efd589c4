// An append-only log of records in segment files: the actions log and the journal of the
// embedded runtime.
//
// Layout: DIR/NNNNNNNNNNNNNNNNNNNN.seg, named by the index of the segment's first record (zero-
// padded, so names sort in order). A segment is a sequence of frames:
//
//   magic   u32 LE  0x474C5A4B ("KZLG")
//   length  u32 LE  bytes of payload, at most kRecordBytesMax
//   check   u32 LE  low 32 bits of XXH3-64 of the payload, seeded with 0x4B5A0000 + length
//   payload length bytes
//
// DO NOT CHANGE THIS FORMAT without a new magic. A segment is rolled (a new file started) when it
// would pass Options::segment_bytes.
//
// Durability: Append buffers; Sync writes and fdatasyncs everything appended since the last Sync
// (group commit), and fsyncs the directory when a segment was created. A record is durable, and
// may be acknowledged, once the Sync after its Append returned OK.
//
// Recovery (Open): the last segment is scanned. A bad frame there (cut short, wrong magic or
// checksum) after which no valid frame follows is a torn tail: it is truncated and the bytes
// dropped are reported. A bad frame with a valid frame after it is damage in the middle: Open
// fails with Corruption naming the segment, the byte offset and what was expected. Earlier
// (sealed) segments are not read at Open, so that opening costs one segment however long the log;
// their count follows from the names, and every frame is verified when Read reaches it: damage
// there stops the Read with the same precision. Nothing is skipped silently.
//
// Thread-safety: one writer; Read may run in the same thread between Appends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "adapters/status.h"

namespace kezek::adapters {

class SegmentLog {
 public:
  static constexpr uint32_t kMagic = 0x474C5A4B;
  // One input's journal record can be large: an allocation of tens of thousands of vouchers, or a
  // day whose deadlines expire by the ten thousand, is one record (26 MiB was seen in a country
  // history of 2,000,000 applications). A record larger than a segment fills a segment alone.
  static constexpr uint32_t kRecordBytesMax = 256 * 1024 * 1024;
  static constexpr size_t kFrameHeaderBytes = 12;

  struct Options {
    uint64_t segment_bytes = 64ull * 1024 * 1024;
    bool sync = true;  // false only for tests and benchmarks that measure without fsync
  };

  struct Recovery {
    uint64_t records = 0;          // records found
    uint64_t dropped_bytes = 0;    // torn tail truncated
    std::string dropped_from;      // "segment @ offset", when bytes were dropped
  };

  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Opens (creating if needed) the log in `dir` and recovers its tail.
  static Status Open(const std::string& dir, const Options& options, std::unique_ptr<SegmentLog>* log,
                     Recovery* recovery);

  // Buffers one record; its index is end() before the call. REQUIRES: payload within kRecordBytesMax.
  Status Append(std::span<const uint8_t> payload);
  // Writes and fdatasyncs everything appended since the last Sync.
  Status Sync();
  // The number of records (durable or buffered): the index of the next record.
  uint64_t end() const { return end_; }
  // Bytes in all segments, buffered bytes included.
  uint64_t bytes() const;

  // Calls visit(index, payload) for records [from, end()) in order until it returns false. The
  // payload is 8-byte aligned (a FlatBuffer may be read in place) and valid during the call.
  // Buffered records are synced first. Damage found while reading is Corruption.
  Status Read(uint64_t from, const std::function<bool(uint64_t, std::span<const uint8_t>)>& visit);

  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    uint64_t first = 0;   // index of its first record
    uint64_t records = 0;
    uint64_t bytes = 0;   // durable + written
    std::string path;
  };
  SegmentLog(std::string dir, Options options) : dir_(std::move(dir)), options_(options) {}
  Status Recover(Recovery* recovery);
  Status ScanSegment(Segment& segment, bool last, Recovery* recovery);
  Status Roll();
  Status WriteBuffer();

  std::string dir_;
  Options options_;
  std::vector<Segment> segments_;
  int fd_ = -1;                   // the last segment, open for appending
  std::vector<uint8_t> buffer_;   // appended, not yet written
  bool dir_dirty_ = false;        // a segment was created since the last directory fsync
  uint64_t end_ = 0;
};

uint32_t FrameChecksum(uint32_t length, std::span<const uint8_t> payload);

}  // namespace kezek::adapters
