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
// may be acknowledged, once the Sync after its Append returned OK. SyncBehind does the same on a
// thread of its own and returns at once, with a future of the outcome: Appends go on into a
// fresh buffer meanwhile; whatever else touches the file (the next Sync or SyncBehind, a Roll,
// Read, ReadRecord, closing) waits for it first. A failed write (or sync) is kept: every later
// Append and Sync returns it (what reached the file is unknown; reopening recovers the log).
//
// Sealed segments: when a segment is rolled, its first index, record count and size are added to
// DIR/SEALED (text, one "first records bytes" line per sealed segment, replaced atomically by
// rename). Opening checks, without reading them, that every sealed segment SEALED names is there
// with its size, and that the segments are contiguous: a missing segment or a gap between two is
// Corruption naming the records missing. A sealed segment SEALED does not name (a log written
// before SEALED existed, or a crash between a roll and its SEALED) is scanned frame by frame once.
//
// Recovery (Open): the last segment is scanned. A bad frame there (cut short, wrong magic or
// checksum) after which no valid frame follows is a torn tail: it is truncated and the bytes
// dropped are reported. A bad frame with a valid frame after it is damage in the middle: Open
// fails with Corruption naming the segment, the byte offset and what was expected. Sealed segments
// are not read at Open, so that opening costs one segment however long the log; every frame is
// verified when Read reaches it: damage there stops the Read with the same precision. Nothing is
// skipped silently.
//
// Read-only (Options::read_only): Open changes nothing: no directory or segment is created, a torn
// tail is reported and left (the records before it are the log), SEALED is not written. It may
// run while a writer appends: a frame being written reads as a torn tail. Append and Sync refuse.
//
// Thread-safety: one writer; Read may run in the same thread between Appends. SyncBehind's write
// is the only work done elsewhere, on the bytes it took.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
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
    bool read_only = false;
    // How many records something durable already reflects (a writer's state: the inputs it
    // folded, the records it journaled; its journal: the inputs it holds records of): a bad frame
    // among them is damage, not a torn write, and is refused (Corruption) and left as it is,
    // never cut as a torn tail.
    uint64_t reflected = 0;
  };

  struct Recovery {
    uint64_t records = 0;          // records found
    uint64_t dropped_bytes = 0;    // torn tail truncated
    std::string dropped_from;      // "segment @ offset", when bytes were dropped
  };

  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Opens (creating if needed, unless read-only) the log in `dir` and recovers its tail.
  // Failure: NotFound (read-only, no such directory), Corruption, IoError.
  static Status Open(const std::string& dir, const Options& options, std::unique_ptr<SegmentLog>* log,
                     Recovery* recovery);

  // Buffers one record; its index is end() before the call. REQUIRES: payload within kRecordBytesMax.
  Status Append(std::span<const uint8_t> payload);
  // Writes and fdatasyncs everything appended since the last Sync.
  Status Sync();
  // Sync on a thread of its own (see the top): returns at once; the future holds its outcome.
  std::shared_future<Status> SyncBehind();
  // Waits for SyncBehind's write in flight, if any, and returns its outcome.
  Status Settle();
  // The number of records (durable or buffered): the index of the next record.
  uint64_t end() const { return end_; }
  // Bytes in all segments, buffered bytes included.
  uint64_t bytes() const;

  // Calls visit(index, payload) for records [from, end()) in order until it returns false. The
  // payload is 8-byte aligned (a FlatBuffer may be read in place) and valid during the call.
  // Buffered records are synced first. Damage found while reading is Corruption.
  Status Read(uint64_t from, const std::function<bool(uint64_t, std::span<const uint8_t>)>& visit);
  // One record, by index, into *payload (checksum verified): reads its frame (the frame offsets of
  // a segment are learnt once, header by header, and kept); a record not written yet (buffered,
  // or being written behind) is copied from memory, writing and waiting for nothing. The segment last read stays open and
  // its bytes are read ahead a mebibyte at a time, so reading records in order costs a read
  // system call a mebibyte, not an open and two reads a record. REQUIRES: index < end().
  Status ReadRecord(uint64_t index, std::vector<uint8_t>* payload);

  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    uint64_t first = 0;   // index of its first record
    uint64_t records = 0;
    uint64_t bytes = 0;   // durable + written
    std::string path;
    std::vector<uint64_t> frames;  // byte offsets of its first frames, learnt by ReadRecord
    uint64_t next_frame = 0;       // byte offset of the frame after the last in `frames`
  };
  SegmentLog(std::string dir, Options options) : dir_(std::move(dir)), options_(options) {}
  Status Recover(Recovery* recovery);
  Status ScanSegment(Segment& segment, bool last, Recovery* recovery);
  Status Roll();
  Status WriteBuffer();
  Status WriteSealed() const;

  std::string dir_;
  Options options_;
  std::vector<Segment> segments_;
  int fd_ = -1;                   // the last segment, open for appending
  std::vector<uint8_t> buffer_;   // appended, not yet written
  std::vector<size_t> buffer_frames_;  // the byte offset in buffer_ of each record it holds
  std::vector<uint8_t> flight_;   // SyncBehind's bytes: its thread's while in flight, then a spare buffer
  std::vector<size_t> flight_frames_;  // the byte offset in flight_ of each record it holds
  uint64_t flight_first_ = 0;          // the index of flight_'s first record
  std::shared_future<Status> in_flight_;  // SyncBehind's outcome, until Settle
  Status broken_;                 // a write or sync that failed (kept; see the top)
  bool dir_dirty_ = false;        // a segment was created since the last directory fsync
  uint64_t end_ = 0;
  // ReadRecord's open segment and the bytes read ahead from it (a segment's written bytes never
  // change: records are only appended).
  struct ReadAhead {
    size_t segment = SIZE_MAX;  // index in segments_
    int fd = -1;
    uint64_t start = 0;         // the byte offset of bytes[0]
    std::vector<uint8_t> bytes;
  };
  ReadAhead read_;
};

uint32_t FrameChecksum(uint32_t length, std::span<const uint8_t> payload);

}  // namespace kezek::adapters
