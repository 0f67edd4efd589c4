#include "adapters/embedded/checkpoints.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <zstd.h>

#include "adapters/embedded/runtime.h"
#include "adapters/embedded/segment_log.h"
#include "decisions_generated.h"
#include "engine/bytes.h"
#include "engine/civil_time.h"
#include "engine/engine.h"
#include "engine/state_codec.h"
#include "events/input.h"
#include "projections/history_stats.h"
#include "projections/read_models.h"

namespace kezek::adapters {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "KEZEKCKP";
constexpr uint32_t kFileFormat = 3;  // 2: entries compressed with zstd; 3: kezek stats' figures too
constexpr int kZstdLevel = 1;
constexpr size_t kHeaderBytes = 8 + 4 * 3 + 8 * 3 + 32 * 3;  // through the read models' hash
constexpr uint8_t kStateEnd = 0xFF;
constexpr uint32_t kModelsEnd = 0xFFFFFFFF;
constexpr size_t kFlushBytes = 8u << 20;

std::string DirOf(const std::string& data) { return (fs::path(data) / "checkpoints").string(); }
std::string NameOf(uint64_t sequence) { return fmt::format("{:020}.kzc", sequence); }

std::span<const uint8_t> Span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

Status Errno(const std::string& what) { return Status::IoError(fmt::format("{}: {}", what, std::strerror(errno))); }

// A buffered file writer: the header as it is, then the entries compressed (zstd), hashing
// every byte it writes.
class Writer {
 public:
  explicit Writer(int fd) : fd_(fd), zstd_(ZSTD_createCCtx()) {
    hasher_.Begin();
    (void)ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, kZstdLevel);
  }
  ~Writer() { ZSTD_freeCCtx(zstd_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  bytes::Out& out() { return out_; }
  // The header: written as it is.
  Status Raw() {
    std::string chunk = out_.Take();
    out_ = bytes::Out();
    return Emit(chunk);
  }
  Status MaybeFlush() { return buffered_ >= kFlushBytes ? Compress(ZSTD_e_continue) : Status::Ok(); }
  void Note(size_t n) { buffered_ += n; }
  Status Finish() {
    if (Status s = Compress(ZSTD_e_end); !s.ok()) return s;
    const Sha256 digest = hasher_.End();
    return WriteAll(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  }

 private:
  Status Compress(ZSTD_EndDirective mode) {
    const std::string chunk = out_.Take();
    out_ = bytes::Out();
    buffered_ = 0;
    ZSTD_inBuffer in{chunk.data(), chunk.size(), 0};
    std::string compressed(ZSTD_CStreamOutSize(), '\0');
    for (;;) {
      ZSTD_outBuffer out{compressed.data(), compressed.size(), 0};
      const size_t left = ZSTD_compressStream2(zstd_, &out, &in, mode);
      if (ZSTD_isError(left)) return Status::IoError(fmt::format("compressing a checkpoint: {}", ZSTD_getErrorName(left)));
      if (Status s = Emit(std::string_view(compressed.data(), out.pos)); !s.ok()) return s;
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return Status::Ok();
    }
  }
  Status Emit(std::string_view bytes) {
    hasher_.Update(Span(bytes));
    return WriteAll(bytes);
  }
  Status WriteAll(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Errno("writing a checkpoint");
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  int fd_;
  ZSTD_CCtx* zstd_;
  bytes::Out out_;
  size_t buffered_ = 0;
  Sha256Hasher hasher_;
};

// The entries of a checkpoint file's body (after the header, before the hash), decompressed.
bool Decompress(std::string_view compressed, std::string* entries) {
  ZSTD_DCtx* zstd = ZSTD_createDCtx();
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  size_t left = 1;
  while (in.pos < in.size || left != 0) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    const size_t before = in.pos;
    left = ZSTD_decompressStream(zstd, &out, &in);
    if (ZSTD_isError(left) || (out.pos == 0 && in.pos == before && left != 0)) {
      ZSTD_freeDCtx(zstd);
      return false;
    }
    entries->append(chunk.data(), out.pos);
  }
  ZSTD_freeDCtx(zstd);
  return true;
}

void Header(bytes::Out& out, const CheckpointInfo& info) {
  out.Raw(kMagic.data(), kMagic.size())
      .U32(kFileFormat)
      .U32(state_codec::kStateFormatVersion)
      .U32(projections::ReadModels::kStoreFormat)
      .U64(info.sequence)
      .U64(info.inputs)
      .I64(info.engine_time_ms)
      .Raw(info.head.data(), 32)
      .Raw(info.state_hash.data(), 32)
      .Raw(info.models_hash.data(), 32);
}

// The header's fields; false (with *why) if it is not a checkpoint this build reads.
bool ParseHeader(std::string_view bytes, CheckpointInfo* info, std::string* why) {
  if (bytes.size() < kHeaderBytes || bytes.substr(0, kMagic.size()) != kMagic) return *why = "not a Kezek checkpoint", false;
  bytes::In in(bytes.substr(kMagic.size(), kHeaderBytes - kMagic.size()));
  const uint32_t file = in.U32(), state = in.U32(), store = in.U32();
  if (file != kFileFormat || state != state_codec::kStateFormatVersion || store != projections::ReadModels::kStoreFormat) {
    *why = fmt::format("of another format (file {}, state {}, read models {}; this build writes {}, {}, {})", file, state, store,
                       kFileFormat, state_codec::kStateFormatVersion, projections::ReadModels::kStoreFormat);
    return false;
  }
  info->sequence = in.U64();
  info->inputs = in.U64();
  info->engine_time_ms = in.I64();
  in.Raw(info->head.data(), 32);
  in.Raw(info->state_hash.data(), 32);
  in.Raw(info->models_hash.data(), 32);
  return in.ok();
}

Status ReadWhole(const std::string& path, std::string* bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IoError(fmt::format("{}: cannot be opened", path));
  file.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(file.tellg());
  file.seekg(0);
  bytes->resize(size);
  if (!file.read(bytes->data(), static_cast<std::streamsize>(size))) return Status::IoError(fmt::format("{}: cannot be read", path));
  return Status::Ok();
}

// A journal record read and checked by the FlatBuffers Verifier.
Status RecordAt(SegmentLog& journal, uint64_t sequence, std::vector<uint8_t>* bytes, const fb::JournalRecord** record) {
  if (Status s = journal.ReadRecord(sequence, bytes); !s.ok()) return s;
  flatbuffers::Verifier verifier(bytes->data(), bytes->size());
  if (!fb::VerifyJournalRecordBuffer(verifier)) {
    return Status::Corruption(fmt::format("journal record {} fails the FlatBuffers Verifier", sequence));
  }
  *record = fb::GetJournalRecord(bytes->data());
  return Status::Ok();
}

// Fills point's inputs, time and head from record point->sequence - 1.
Status Describe(SegmentLog& journal, AsOfPoint* point) {
  point->inputs = 0;
  point->engine_time_ms = 0;
  point->head = Sha256{};
  if (point->sequence == 0) return Status::Ok();
  std::vector<uint8_t> bytes;
  const fb::JournalRecord* record = nullptr;
  if (Status s = RecordAt(journal, point->sequence - 1, &bytes, &record); !s.ok()) return s;
  point->inputs = record->input_offset() + 1;
  point->engine_time_ms = record->engine_time_ms();
  point->head = Sha256Hasher().Of(bytes);
  return Status::Ok();
}

// Folds inputs [from_input, point.inputs) into `engine` (when given) and applies records
// [from_sequence, point.sequence) to `models` (when given), checking the chain from `prev`.
Status Advance(SegmentLog* actions, SegmentLog& journal, uint64_t from_input, uint64_t from_sequence, Sha256 prev,
               const AsOfPoint& point, Engine* engine, projections::ReadModels* models, projections::HistoryStats* stats,
               const std::function<bool(uint64_t)>& at_record_end = nullptr) {
  Sha256Hasher hasher;
  uint64_t sequence = from_sequence;
  std::vector<uint8_t> record;
  const auto check = [&](std::span<const uint8_t> bytes) -> Status {
    flatbuffers::Verifier verifier(bytes.data(), bytes.size());
    if (!fb::VerifyJournalRecordBuffer(verifier)) {
      return Status::Corruption(fmt::format("journal record {} fails the FlatBuffers Verifier", sequence));
    }
    const auto* r = fb::GetJournalRecord(bytes.data());
    if (r->sequence() != sequence || r->prev_sha256() == nullptr || r->prev_sha256()->size() != 32 ||
        !std::equal(prev.begin(), prev.end(), r->prev_sha256()->begin())) {
      return Status::Corruption(fmt::format("journal record {} does not continue the chain (run kezek replay verify)", sequence));
    }
    prev = hasher.Of(bytes);
    return Status::Ok();
  };
  if (engine == nullptr) {
    Status problem;
    Status s = journal.Read(sequence, [&](uint64_t, std::span<const uint8_t> bytes) {
      if (sequence >= point.sequence) return false;
      if (problem = check(bytes); !problem.ok()) return false;
      if (models != nullptr) models->Apply(bytes);
      if (stats != nullptr) (void)stats->Apply(bytes);
      ++sequence;
      return !at_record_end || at_record_end(sequence);
    });
    if (!problem.ok()) return problem;
    return s;
  }
  std::vector<uint8_t> input;
  std::string error;
  for (uint64_t i = from_input; i < point.inputs; ++i) {
    if (Status s = actions->ReadRecord(i, &input); !s.ok()) return s;
    ApplyResult result;
    if (!events::FoldInput(*engine, input, i, &result, &error)) {
      return Status::Corruption(fmt::format("input {} cannot be folded: {}", i, error));
    }
    for (const std::span<const uint8_t> expected : result.records) {
      if (Status s = journal.ReadRecord(sequence, &record); !s.ok()) return s;
      if (!std::equal(expected.begin(), expected.end(), record.begin(), record.end())) {
        return Status::Corruption(fmt::format("journal record {} differs from the fold of input {} (run kezek replay verify)",
                                              sequence, i));
      }
      if (Status s = check(record); !s.ok()) return s;
      if (models != nullptr) models->Apply(record);
      if (stats != nullptr) (void)stats->Apply(record);
      ++sequence;
    }
    if (at_record_end && !at_record_end(sequence)) return Status::Ok();
  }
  if (sequence != point.sequence) {
    return Status::Corruption(fmt::format("the fold of inputs {}..{} gives records up to {}, the journal {}", from_input,
                                          point.inputs, sequence, point.sequence));
  }
  return Status::Ok();
}

// A checkpoint file read whole into *bytes, its header parsed into *info and its SHA-256 checked
// against its bytes (what it holds is not decoded).
Status ReadChecked(const std::string& path, std::string* bytes, CheckpointInfo* info) {
  if (Status s = ReadWhole(path, bytes); !s.ok()) return s;
  std::string why;
  if (bytes->size() < kHeaderBytes + 32 || !ParseHeader(*bytes, info, &why)) {
    return Status::Corruption(fmt::format("{}: {}", path, why.empty() ? "cut short" : why));
  }
  info->path = path;
  info->bytes = bytes->size();
  const Sha256 digest = Sha256Hasher().Of(Span(std::string_view(bytes->data(), bytes->size() - 32)));
  if (!std::equal(digest.begin(), digest.end(), reinterpret_cast<const uint8_t*>(bytes->data() + bytes->size() - 32))) {
    return Status::Corruption(fmt::format("{}: its SHA-256 does not match its bytes (damaged)", path));
  }
  return Status::Ok();
}

// OK when the checkpoint `info` describes was made from this journal: its head and input count
// are those of the journal's record before its sequence.
Status OfJournal(SegmentLog& journal, const CheckpointInfo& info) {
  AsOfPoint there;
  there.sequence = info.sequence;
  if (Status d = Describe(journal, &there); !d.ok()) {
    // The journal's record is what does not read (it said "made from another journal").
    return Status::Corruption(fmt::format("{}: not checked against the journal: record {} does not read: {}", info.path,
                                          info.sequence - 1, d.ToString()));
  }
  if (there.head != info.head || there.inputs != info.inputs) {
    return Status::Corruption(fmt::format("{}: made from another journal (its head differs from record {}'s)", info.path,
                                          info.sequence - 1));
  }
  return Status::Ok();
}

}  // namespace

std::optional<int64_t> AsOfInstantEnd(std::string_view when) {
  // Exactly YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, every digit where the form has one (no sign, no
  // space, no NUL: sscanf's %u took "+6" and " 6", and a decoded %00 ended the text early).
  const auto digits = [&](size_t at, size_t n) -> std::optional<unsigned> {
    unsigned v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= when.size() || when[i] < '0' || when[i] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(when[i] - '0');
    }
    return v;
  };
  const auto at = [&](size_t i, char c) { return i < when.size() && when[i] == c; };
  if (when.size() != 10 && when.size() != 20) return std::nullopt;
  const auto y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
  if (!y || !m || !d || !at(4, '-') || !at(7, '-')) return std::nullopt;
  if (*y < 2000 || *y > 2100 || *m < 1 || *m > 12 || *d < 1) return std::nullopt;
  const civil::Ymd ymd{static_cast<int>(*y), *m, *d};
  if (civil::ToYmd(civil::FromYmd(ymd)).day != *d) return std::nullopt;  // 31 April is not a date
  const int64_t day = int64_t{civil::FromYmd(ymd).value};
  if (when.size() == 10) return (day + 1) * kMsPerDay - 5 * 3'600'000;  // 00:00 of the next day in UTC+5
  const auto hh = digits(11, 2), mm = digits(14, 2), ss = digits(17, 2);
  if (!hh || !mm || !ss || !at(10, 'T') || !at(13, ':') || !at(16, ':') || !at(19, 'Z')) return std::nullopt;
  if (*hh >= 24 || *mm >= 60 || *ss >= 60) return std::nullopt;
  // Through that second's end, as a date runs through its day's end.
  return day * kMsPerDay + ((*hh * 60 + *mm) * 60 + *ss + 1) * 1000;
}

Status OpenLogs(const std::string& data, std::unique_ptr<SegmentLog>* actions, std::unique_ptr<SegmentLog>* journal) {
  if (Status s = CheckDataDirectory(data); !s.ok()) return s;  // the marker, its format, whole
  SegmentLog::Options options;
  options.read_only = true;
  SegmentLog::Recovery recovery;
  // The journal first: a read-only log holds what was written when it opened, and a writer logs
  // an input before journaling it, so the actions opened after hold every input the journal names
  // (opened the other way, a commit between the two left the journal naming an input the actions
  // did not hold, and the checkpointer beside a busy server failed: "no record N (the log holds N)").
  for (auto [name, log] : {std::pair{"journal", journal}, std::pair{"actions", actions}}) {
    if (log == nullptr) continue;
    if (Status s = SegmentLog::Open((fs::path(data) / name).string(), options, log, &recovery); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ListCheckpoints(const std::string& data, std::vector<CheckpointInfo>* checkpoints, std::vector<std::string>* skipped) {
  checkpoints->clear();
  if (Status s = CheckDataDirectory(data); !s.ok()) return s;
  const fs::path dir = DirOf(data);
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::Ok();
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".kzc" || name.size() != 24) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    std::string header(kHeaderBytes, '\0');
    CheckpointInfo info;
    std::string why;
    std::error_code gone;
    if (!file.read(header.data(), static_cast<std::streamsize>(header.size())) || !ParseHeader(header, &info, &why) ||
        NameOf(info.sequence) != name) {
      // One thinned away since the folder was read (a writer's --keep) is no finding.
      if (skipped != nullptr && fs::exists(entry.path(), gone)) {
        skipped->push_back(fmt::format("{}: {}", entry.path().string(), why.empty() ? "a damaged header" : why));
      }
      continue;
    }
    info.path = entry.path().string();
    info.bytes = fs::file_size(entry.path(), gone);
    if (gone) continue;
    checkpoints->push_back(std::move(info));
  }
  if (ec) return Status::IoError(fmt::format("{}: {}", dir.string(), ec.message()));
  std::sort(checkpoints->begin(), checkpoints->end(), [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  return Status::Ok();
}

Status WriteCheckpoint(const std::string& data, const CheckpointInfo& given, const Engine& engine,
                       const projections::ReadModels& models, const projections::HistoryStats& stats,
                       CheckpointInfo* written) {
  CheckpointInfo info = given;
  info.state_hash = engine.StateHash();
  info.models_hash = models.Hash();
  const fs::path dir = DirOf(data);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("{}: {}", dir.string(), ec.message()));
  info.path = (dir / NameOf(info.sequence)).string();
  // Not written where it would fill the disk: each checkpoint is the whole state, so the next one
  // takes about as much as the largest already there; with less than twice that (and 64 MiB) free,
  // it is refused, and the logs beside it keep their room ('replay checkpoint --every 2' of a
  // city wrote 2.8 GB in a minute and went on until the disk was full).
  uint64_t largest = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".kzc" && entry.is_regular_file(ec)) largest = std::max<uint64_t>(largest, entry.file_size(ec));
  }
  if (struct statvfs disk{}; largest > 0 && ::statvfs(dir.c_str(), &disk) == 0) {
    const uint64_t free_bytes = static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize;
    if (free_bytes < 2 * largest + kCheckpointDiskReserveBytes) {
      return Status::IoError(fmt::format("{}: not written: its disk has {} bytes free and a checkpoint here takes about {} "
                                         "(the largest): at least twice that and {} MiB more are kept free, for the logs "
                                         "(a larger --every, or --keep, writes fewer)",
                                         info.path, free_bytes, largest, kCheckpointDiskReserveBytes >> 20));
    }
  }
  // A name of this process's own: two writers of one checkpoint never write into one file.
  const std::string temporary = (dir / fmt::format(".{}.{}.tmp", NameOf(info.sequence), ::getpid())).string();
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno(temporary);
  Writer writer(fd);
  Header(writer.out(), info);
  Status status = writer.Raw();
  state_codec::AllEntries(engine.state(), [&](const state_codec::Put& put) {
    if (!status.ok()) return;
    writer.out().U8(static_cast<uint8_t>(put.family)).Str(put.key).Str(put.value);
    writer.Note(9 + put.key.size() + put.value.size());
    status = writer.MaybeFlush();
  });
  writer.out().U8(kStateEnd);
  models.AllEntries([&](std::string_view key, std::string_view value) {
    if (!status.ok()) return;
    writer.out().Str(key).Str(value);
    writer.Note(8 + key.size() + value.size());
    status = writer.MaybeFlush();
  });
  writer.out().U32(kModelsEnd);
  writer.out().Str(stats.Save());
  if (status.ok()) status = writer.Finish();
  if (status.ok() && ::fsync(fd) != 0) status = Errno(temporary);
  ::close(fd);
  if (status.ok() && ::rename(temporary.c_str(), info.path.c_str()) != 0) status = Errno(info.path);
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    (void)::fsync(d);
    ::close(d);
  }
  info.bytes = fs::file_size(info.path, ec);
  if (written != nullptr) *written = info;
  return Status::Ok();
}

Status LoadCheckpoint(const std::string& path, Engine* engine, projections::ReadModels* models,
                      projections::HistoryStats* stats, CheckpointInfo* info) {
  std::string bytes;
  if (Status s = ReadChecked(path, &bytes, info); !s.ok()) return s;
  const std::string_view body(bytes.data(), bytes.size() - 32);
  std::string entries;
  entries.reserve(body.size() * 4);
  if (!Decompress(body.substr(kHeaderBytes), &entries)) return Status::Corruption(fmt::format("{}: its entries do not decompress", path));
  bytes = std::string();  // the file's bytes are no longer needed
  // The entries are read in place: keys and values are views into `entries`.
  std::string_view rest(entries);
  bool ok = true;
  const auto u8 = [&]() -> uint8_t {
    if (rest.empty()) return ok = false, 0;
    const auto v = static_cast<uint8_t>(rest.front());
    rest.remove_prefix(1);
    return v;
  };
  const auto u32 = [&]() -> uint32_t {
    if (rest.size() < 4) return ok = false, 0;
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(rest[static_cast<size_t>(i)]);
    rest.remove_prefix(4);
    return v;
  };
  const auto view = [&](uint32_t length) -> std::string_view {
    if (rest.size() < length) return ok = false, std::string_view();
    const std::string_view v = rest.substr(0, length);
    rest.remove_prefix(length);
    return v;
  };
  std::string state_problem = "the entries disagree with each other";
  const auto load_state = [&](State* state) {
    for (;;) {
      const uint8_t family = u8();
      if (!ok || family == kStateEnd) break;
      const std::string_view key = view(u32());
      const std::string_view value = view(u32());
      if (!ok || family > static_cast<uint8_t>(state_codec::Family::kNumbers) ||
          (state != nullptr && !state_codec::LoadEntry(static_cast<state_codec::Family>(family), key, value, state))) {
        state_problem = fmt::format("an entry of family {} ({} key bytes, {} value bytes) does not decode", family,
                                    key.size(), value.size());
        return ok = false;
      }
    }
    return ok;
  };
  bool state_ok = true;
  if (engine != nullptr) {
    std::string disagreement;
    state_ok = engine->Restore(load_state, &disagreement) && ok;
    if (!state_ok && !disagreement.empty()) state_problem = "the entries disagree with each other: " + disagreement;
  } else {
    state_ok = load_state(nullptr);
  }
  if (!state_ok) return Status::Corruption(fmt::format("{}: its state: {}", path, state_problem));
  if (models != nullptr || stats != nullptr) {
    for (;;) {
      const uint32_t length = u32();
      if (!ok || length == kModelsEnd) break;
      const std::string_view key = view(length);
      const std::string_view value = view(u32());
      if (!ok || (models != nullptr && !models->LoadEntry(key, value))) {
        return Status::Corruption(fmt::format("{}: its read-model entries do not decode", path));
      }
    }
    if (stats != nullptr && (!stats->Load(view(u32())) || !ok)) {
      return Status::Corruption(fmt::format("{}: its statistics do not decode", path));
    }
  }
  if (models != nullptr) {
    if (!ok || !models->FinishLoad()) return Status::Corruption(fmt::format("{}: its read-model entries disagree", path));
    if (models->next_sequence() != info->sequence) {
      return Status::Corruption(fmt::format("{}: its read models reflect {} records, its header {}", path, models->next_sequence(), info->sequence));
    }
  }
  return Status::Ok();
}

Status ResolveAsOf(SegmentLog& journal, const AsOfTarget& target, AsOfPoint* point) {
  *point = AsOfPoint{};
  const uint64_t end = journal.end();
  uint64_t sequence = end;
  std::vector<uint8_t> bytes;
  const fb::JournalRecord* record = nullptr;
  if (target.sequence) {
    if (*target.sequence > end && !target.past_end_is_end) {
      return Status::InvalidArgument(fmt::format("the journal holds {} records: there is no record {} to stop after", end,
                                                 *target.sequence));
    }
    sequence = std::min(*target.sequence, end);
    // Inside an input's parts: through its last part.
    for (; sequence > 0 && sequence < end; ++sequence) {
      if (Status s = RecordAt(journal, sequence - 1, &bytes, &record); !s.ok()) return s;
      if (!record->continued()) break;
    }
  }
  if (target.before_ms) {
    // The first record at or after the instant (engine time never goes back in a journal).
    uint64_t low = 0, high = sequence;
    while (low < high) {
      const uint64_t middle = low + (high - low) / 2;
      if (Status s = RecordAt(journal, middle, &bytes, &record); !s.ok()) return s;
      if (record->engine_time_ms() < *target.before_ms) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    sequence = low;
  }
  point->sequence = sequence;
  return Describe(journal, point);
}

namespace {

// Where a fold starts: after the newest usable checkpoint, or at the journal's start.
struct Start {
  uint64_t input = 0, sequence = 0;
  Sha256 prev{};  // the head of the record before `sequence`
};

// Loads the newest usable checkpoint at or before record `at_most` into `engine`, `models` and
// `stats` (each made anew; null: not loaded), or leaves them new when there is none. A checkpoint
// that does not load, or is not of this journal (its head is not the journal's record at its
// sequence), is passed over and said in *notes.
Status LoadNewest(const std::string& data, SegmentLog& journal, uint64_t at_most, std::unique_ptr<Engine>* engine,
                  projections::ReadModels* models, projections::HistoryStats* stats, Start* start,
                  std::vector<std::string>* notes) {
  std::vector<CheckpointInfo> checkpoints;
  std::vector<std::string> skipped;
  if (Status s = ListCheckpoints(data, &checkpoints, &skipped); !s.ok()) return s;
  for (const std::string& why : skipped) notes->push_back("passed over " + why);
  const auto fresh = [&]() {
    if (engine != nullptr) *engine = std::make_unique<Engine>();
    if (models != nullptr) *models = projections::ReadModels();
    if (stats != nullptr) *stats = projections::HistoryStats();
  };
  *start = Start{};
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    if (it->sequence > at_most) continue;
    fresh();
    CheckpointInfo info;
    Status s = LoadCheckpoint(it->path, engine != nullptr ? engine->get() : nullptr, models, stats, &info);
    if (s.ok()) s = OfJournal(journal, info);
    if (!s.ok()) {
      // One thinned away since it was listed (a writer's --keep) is passed over without a word.
      std::error_code ec;
      if (fs::exists(it->path, ec)) notes->push_back("passed over " + s.message());
      continue;
    }
    *start = Start{info.inputs, info.sequence, info.head};
    return Status::Ok();
  }
  fresh();
  return Status::Ok();
}

// An actions log short of the inputs the journal's records came from is damaged (cut short, or
// another directory's): said so, not as a record the log lacks ("invalid argument: no record N").
Status ActionsHoldJournalsInputs(SegmentLog& actions, uint64_t inputs, uint64_t records) {
  if (actions.end() >= inputs) return Status::Ok();
  return Status::Corruption(fmt::format("the actions log holds {} inputs but the journal's first {} records came from {}: the "
                                        "actions log is damaged (docs/audit.md, \"A damaged actions log\")",
                                        actions.end(), records, inputs));
}

}  // namespace

Status LoadAsOf(const std::string& data, SegmentLog* actions, SegmentLog& journal, AsOfPoint* point,
                std::unique_ptr<Engine>* engine, projections::ReadModels* models, projections::HistoryStats* stats) {
  Start start;
  if (Status s = LoadNewest(data, journal, point->sequence, engine, models, stats, &start, &point->notes); !s.ok()) return s;
  point->checkpoint = start.sequence;
  const uint64_t from_input = start.input, from_sequence = start.sequence;
  const Sha256 prev = start.prev;
  point->folded_records = point->sequence - from_sequence;
  if (engine != nullptr && actions == nullptr) return Status::InvalidArgument("the state as of a point needs the actions log");
  if (engine != nullptr) {
    if (Status s = ActionsHoldJournalsInputs(*actions, point->inputs, point->sequence); !s.ok()) return s;
  }
  return Advance(actions, journal, from_input, from_sequence, prev, *point, engine != nullptr ? engine->get() : nullptr,
                 models, stats);
}

Status OpenAsOf(const std::string& data, const AsOfTarget& target, AsOfPoint* point, std::unique_ptr<Engine>* engine,
                projections::ReadModels* models, projections::HistoryStats* stats) {
  std::unique_ptr<SegmentLog> actions, journal;
  if (Status s = OpenLogs(data, engine != nullptr ? &actions : nullptr, &journal); !s.ok()) return s;
  if (Status s = ResolveAsOf(*journal, target, point); !s.ok()) return s;
  return LoadAsOf(data, actions.get(), *journal, point, engine, models, stats);
}

std::vector<uint64_t> CheckpointsToThin(const std::vector<uint64_t>& sequences, uint64_t newest, uint64_t every,
                                        uint64_t keep) {
  if (keep == 0 || every == 0) return {};
  // The grid follows from the newest's place alone, not from which files are there: thinning as
  // checkpoints come leaves what thinning them all at once would (the grid only ever gets sparser).
  const uint64_t older_multiples = std::max<uint64_t>(newest / every, 1) - 1;  // 1 .. newest's - 1
  unsigned k = 0;
  while (k < 63 && (older_multiples >> k) + 1 > keep) ++k;
  std::vector<uint64_t> thinned;
  for (const uint64_t sequence : sequences) {
    const uint64_t multiple = sequence / every;
    if (sequence < newest && (multiple == 0 || multiple % (uint64_t{1} << k) != 0)) thinned.push_back(sequence);
  }
  return thinned;
}

namespace {

// Whether the checkpoint after `sequence` records is one a build every `every` records writes: the
// first input end at or after a multiple of `every` (no input ends between that multiple and it).
// One written with another --every is not.
Status OfSpacing(SegmentLog& journal, uint64_t sequence, uint64_t every, bool* of_spacing) {
  const uint64_t multiple = sequence / every;
  *of_spacing = multiple != 0;
  std::vector<uint8_t> bytes;
  const fb::JournalRecord* record = nullptr;
  for (uint64_t end = multiple * every; *of_spacing && end < sequence; ++end) {
    if (Status s = RecordAt(journal, end - 1, &bytes, &record); !s.ok()) return s;
    if (!record->continued()) *of_spacing = false;  // an input ended at `end`, before `sequence`
  }
  return Status::Ok();
}

// Removes the checkpoints of `data` of build.every's spacing before record `newest` (a whole
// checkpoint of this journal) that build.keep thins away. Checkpoints of another spacing (another
// --every), and any after `newest`, are left. A file that does not remove is said in the report's
// notes and counted (the next thinning tries again).
Status Thin(const std::string& data, SegmentLog& journal, uint64_t newest, const CheckpointBuild& build,
            CheckpointBuildReport* report) {
  if (build.keep == 0) return Status::Ok();
  std::vector<CheckpointInfo> checkpoints;
  if (Status s = ListCheckpoints(data, &checkpoints); !s.ok()) return s;
  std::vector<CheckpointInfo> own;
  std::vector<uint64_t> sequences;
  for (CheckpointInfo& c : checkpoints) {
    if (c.sequence >= newest) continue;
    bool of_spacing = false;
    if (Status s = OfSpacing(journal, c.sequence, build.every, &of_spacing); !s.ok()) return s;
    if (!of_spacing) continue;
    sequences.push_back(c.sequence);
    own.push_back(std::move(c));
  }
  // Against a newest of another spacing (an auditor's, newer than the build's own), the build's own
  // newest stays too: the build never leaves none of its own.
  bool newest_own = false;
  if (Status s = OfSpacing(journal, newest, build.every, &newest_own); !s.ok()) return s;
  if (!newest_own && !own.empty()) {
    own.pop_back();
    sequences.pop_back();
  }
  const std::vector<uint64_t> thinned = CheckpointsToThin(sequences, newest, build.every, build.keep);
  for (const CheckpointInfo& c : own) {
    if (!std::binary_search(thinned.begin(), thinned.end(), c.sequence)) continue;
    std::error_code ec;
    if (fs::remove(c.path, ec)) {
      ++report->removed;
      if (build.removed) build.removed(c);
    } else if (ec) {
      ++report->not_removed;
      report->notes.push_back(fmt::format("{} not removed (--keep): {}", c.path, ec.message()));
    }  // else another process removed it meanwhile
  }
  return Status::Ok();
}

}  // namespace

Status BuildCheckpoints(const std::string& data, SegmentLog& actions, SegmentLog& journal, const CheckpointBuild& build,
                        CheckpointBuildReport* report) {
  *report = CheckpointBuildReport{};
  if (build.every == 0) return Status::InvalidArgument("checkpoints every 0 records");
  AsOfPoint end;
  if (Status s = ResolveAsOf(journal, {}, &end); !s.ok()) return s;
  if (Status s = ActionsHoldJournalsInputs(actions, end.inputs, end.sequence); !s.ok()) return s;
  if (end.sequence / build.every > kCheckpointsMax) {
    return Status::InvalidArgument(fmt::format("every {} records would make {} checkpoints of this journal ({} records); "
                                               "at most {}: choose a larger --every", build.every, end.sequence / build.every,
                                               end.sequence, kCheckpointsMax));
  }
  // What a writer killed mid-file left (.NAME.PID.tmp of a process that is gone) goes.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(DirOf(data), ec)) {
    const std::string name = entry.path().filename().string();
    unsigned long pid = 0;
    if (name.size() > 30 && name[0] == '.' && name.ends_with(".tmp") &&
        std::sscanf(name.c_str() + 26, "%lu", &pid) == 1 && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 &&
        errno == ESRCH) {
      fs::remove(entry.path(), ec);
    }
  }
  // The newest usable checkpoint.
  std::vector<CheckpointInfo> checkpoints;
  if (Status s = ListCheckpoints(data, &checkpoints); !s.ok()) return s;
  // Nothing due: no fold at all, when the newest checkpoint by its header is also whole and of this
  // journal (its bytes' SHA-256, its head the journal's). A damaged one is passed over below
  // (LoadNewest says so) and written again by the fold from the one before it.
  const CheckpointInfo* newest = nullptr;
  for (const auto& c : checkpoints) {
    if (c.sequence <= end.sequence && (newest == nullptr || c.sequence > newest->sequence)) newest = &c;
  }
  const uint64_t newest_sequence = newest != nullptr ? newest->sequence : 0;
  if ((newest_sequence / build.every + 1) * build.every > end.sequence) {
    if (newest == nullptr) return Status::Ok();
    std::string bytes;
    CheckpointInfo read;
    if (ReadChecked(newest->path, &bytes, &read).ok() && OfJournal(journal, read).ok()) {
      report->started_at = newest->sequence;  // nothing folded after it
      return Thin(data, journal, newest->sequence, build, report);  // thinned against a whole newest only
    }
  }
  std::unique_ptr<Engine> engine;
  projections::ReadModels models;
  projections::HistoryStats stats;
  Start start;
  if (Status s = LoadNewest(data, journal, end.sequence, &engine, &models, &stats, &start, &report->notes); !s.ok()) {
    return s;
  }
  report->started_at = start.sequence;
  // Thinned against the checkpoint it starts from (whole: it loaded); a damaged one after it is
  // written again below, and thinned against then.
  if (start.sequence > 0) {
    if (Status s = Thin(data, journal, start.sequence, build, report); !s.ok()) return s;
  }
  const uint64_t from_input = start.input, from_sequence = start.sequence;
  const Sha256 prev = start.prev;
  uint64_t next = (from_sequence / build.every + 1) * build.every;
  uint64_t last_progress = from_sequence;
  Status written_status;
  const auto at_record_end = [&](uint64_t sequence) {
    if (build.progress && sequence - last_progress >= 65'536) {
      build.progress(sequence);
      last_progress = sequence;
    }
    if (sequence >= next) {
      AsOfPoint here;
      here.sequence = sequence;
      if (written_status = Describe(journal, &here); !written_status.ok()) return false;
      CheckpointInfo info;
      info.sequence = sequence;
      info.inputs = here.inputs;
      info.engine_time_ms = here.engine_time_ms;
      info.head = here.head;
      CheckpointInfo done;
      if (written_status = WriteCheckpoint(data, info, *engine, models, stats, &done); !written_status.ok()) return false;
      ++report->written;
      if (build.written) build.written(done);
      if (written_status = Thin(data, journal, sequence, build, report); !written_status.ok()) return false;
      next = (sequence / build.every + 1) * build.every;
    }
    report->folded = sequence - from_sequence;
    if (build.stop != nullptr && build.stop->load(std::memory_order_relaxed)) {
      report->interrupted = true;
      return false;
    }
    return true;
  };
  Status s = Advance(&actions, journal, from_input, from_sequence, prev, end, engine.get(), &models, &stats, at_record_end);
  if (!written_status.ok()) return written_status;
  if (report->interrupted) return Status::Ok();
  return s;
}

}  // namespace kezek::adapters
