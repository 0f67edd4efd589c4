// As of: a data directory's state, read models (cards, positions, explanations, the catalogue and
// statistics) as they were after any journal record or at any instant, from periodic checkpoints
// and a short fold (docs/audit.md, "As of").
//
// A checkpoint is one file, DATA/checkpoints/<sequence, 20 digits>.kzc: the engine's state
// (engine/state_codec.h entries) and the read models' stored form (ReadModels::AllEntries) after
// the journal's first `sequence` records, which end an input. Both are functions of the journal
// prefix, so a checkpoint is too: the same journal gives byte-identical checkpoint files, whoever
// makes them (docs/audit.md). Layout, little-endian:
//
//   "KEZEKCKP" u32 file format (3) u32 state format u32 read-model store format
//   u64 sequence u64 inputs i64 engine time of record sequence-1 (ms) [32] its SHA-256 (the head)
//   [32] the state's hash (Engine::StateHash) [32] the read models' hash (ReadModels::Hash)
//   a zstd stream (level 1) of the entries:
//     state entries:  u8 family (0xFF ends them) u32 key length, key, u32 value length, value
//     model entries:  u32 key length (0xFFFFFFFF ends them), key, u32 value length, value
//     statistics:     u32 length, projections::HistoryStats::Save() (kezek stats' figures)
//   [32] SHA-256 of every byte before it
//
// A file is written beside its final name and renamed when whole (and fsync'd): a checkpoint
// either exists whole or not at all. A file whose SHA-256 or header is wrong is not used: the
// question is answered from an earlier one, and the finding is said.
//
// Reading a question "as of" X: the target is resolved to a journal sequence at an input's end
// (an instant: the records with engine time up to it; a sequence inside an input's parts: that
// input's last part); the newest good checkpoint at or before it is loaded, then the engine folds
// the inputs after it (each record compared with the journal's, byte for byte) and the read
// models apply the journal's records after it. The answer's state hash is the one a run stopped
// there would have (tests/asof_test.cc).
//
// Thread-safety: none; one caller at a time per data directory's reader.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/status.h"
#include "engine/sha256.h"

namespace kezek {
class Engine;
namespace projections {
class HistoryStats;
class ReadModels;
}
}  // namespace kezek

namespace kezek::adapters {

class SegmentLog;

// Journal records between checkpoints by default (`kezek replay checkpoint --every`).
inline constexpr uint64_t kCheckpointEveryDefault = 250'000;
// The most checkpoints one journal may have (a careless --every 1 would write one a record).
inline constexpr uint64_t kCheckpointsMax = 10'000;
// A checkpoint is not written unless its disk keeps twice the largest one there free, and this.
inline constexpr uint64_t kCheckpointDiskReserveBytes = uint64_t{64} << 20;
// How many checkpoints `kezek serve` keeps by default (--checkpoint-keep; CheckpointsToThin).
inline constexpr uint64_t kCheckpointKeepDefault = 16;

struct CheckpointInfo {
  std::string path;
  uint64_t sequence = 0;         // journal records reflected
  uint64_t inputs = 0;           // inputs reflected
  int64_t engine_time_ms = 0;    // of the last record reflected
  Sha256 head{};                 // SHA-256 of the last record reflected
  Sha256 state_hash{};
  Sha256 models_hash{};
  uint64_t bytes = 0;            // the file's size
};

// The actions log and the journal of data directory `data`, opened read-only (no lock, nothing
// written: beside a running writer), for as-of questions that need no stored state. Failure:
// NotFound (no such directory, or no KEZEK marker), Corruption, IoError.
Status OpenLogs(const std::string& data, std::unique_ptr<SegmentLog>* actions, std::unique_ptr<SegmentLog>* journal);

// The checkpoints of `data` (its checkpoints/ folder; none when it is missing), oldest first,
// from their headers. Files whose header does not read are skipped and named in *skipped.
Status ListCheckpoints(const std::string& data, std::vector<CheckpointInfo>* checkpoints,
                       std::vector<std::string>* skipped = nullptr);
// Writes the checkpoint of `engine`, `models` and `stats`, which all reflect the journal's first
// info.sequence records (info: sequence, inputs, engine_time_ms, head; the rest is computed).
// Failure: IoError. *written gets the whole info.
Status WriteCheckpoint(const std::string& data, const CheckpointInfo& info, const Engine& engine,
                       const projections::ReadModels& models, const projections::HistoryStats& stats,
                       CheckpointInfo* written = nullptr);
// Loads a checkpoint into a new `engine`, new `models` and `stats` (each may be null: not
// loaded). Failure: Corruption (the file's hash, header or entries), IoError.
Status LoadCheckpoint(const std::string& path, Engine* engine, projections::ReadModels* models,
                      projections::HistoryStats* stats, CheckpointInfo* info);

// What to reach: the journal's first `sequence` records, or every record with engine time
// before `before_ms` (an instant's end: a date's next midnight, a second's next one). Neither:
// the journal's end.
struct AsOfTarget {
  std::optional<uint64_t> sequence;
  std::optional<int64_t> before_ms;
  bool past_end_is_end = false;  // a sequence past the journal's end means its end (kezek stats)
};

// WHEN of an as-of question as the first instant it excludes: a date YYYY-MM-DD runs through the
// end of that day in Kazakhstan (UTC+5), an instant YYYY-MM-DDTHH:MM:SSZ through the end of that
// second (UTC). nullopt when it is neither (or not a real date, or outside 2000..2100).
std::optional<int64_t> AsOfInstantEnd(std::string_view when);

// Where a question was answered.
struct AsOfPoint {
  uint64_t sequence = 0;        // records reflected (at an input's end)
  uint64_t inputs = 0;          // inputs reflected
  int64_t engine_time_ms = 0;   // of the last record reflected (0 before any)
  Sha256 head{};                // its SHA-256 (zeros before any)
  uint64_t checkpoint = 0;      // the sequence of the checkpoint it started from (0: the start)
  uint64_t folded_records = 0;  // records applied after it
  std::vector<std::string> notes;  // checkpoints passed over and why
};

// Resolves `target` against `journal`: the sequence at an input's end, its input count, time and
// head. A sequence past the journal's end is InvalidArgument. Cost: O(log n) record reads.
Status ResolveAsOf(SegmentLog& journal, const AsOfTarget& target, AsOfPoint* point);

// Brings `engine` (made anew; null: not wanted, and `actions` may then be null) and new `models`
// (null: not wanted) to `point` (from ResolveAsOf) from the newest usable checkpoint of `data`
// at or before it, folding `actions` and applying `journal` after it. A folded record that
// differs from the journal's is Corruption (replay verify says more).
// `stats` (null: not wanted; else a new HistoryStats) gets kezek stats' figures at the point.
Status LoadAsOf(const std::string& data, SegmentLog* actions, SegmentLog& journal, AsOfPoint* point,
                std::unique_ptr<Engine>* engine, projections::ReadModels* models,
                projections::HistoryStats* stats = nullptr);

// OpenLogs, ResolveAsOf and LoadAsOf in one: `target` reached in data directory `data` (its
// actions log is read only when `engine` is wanted).
Status OpenAsOf(const std::string& data, const AsOfTarget& target, AsOfPoint* point, std::unique_ptr<Engine>* engine,
                projections::ReadModels* models, projections::HistoryStats* stats = nullptr);

// `kezek replay checkpoint`: a checkpoint every `every` records (at the first input end at or
// after each multiple) up to the journal's end, from the newest existing one on (or the start),
// folding the actions log with a fresh engine (every record compared with the journal's) and
// applying the journal to read models.
// With `keep` (0: every checkpoint stays), the older checkpoints of its spacing are thinned as it
// goes (CheckpointsToThin), against the newest whole checkpoint: the one it starts from (or the
// newest, when nothing is due) and each one written. Checkpoints of another spacing (another
// --every) and damaged ones are left (a damaged one at a multiple is written again).
struct CheckpointBuild {
  uint64_t every = kCheckpointEveryDefault;
  uint64_t keep = 0;
  std::function<void(uint64_t records_done)> progress;
  std::function<void(const CheckpointInfo&)> written;
  std::function<void(const CheckpointInfo&)> removed;  // a checkpoint thinned away
  const std::atomic<bool>* stop = nullptr;
};
struct CheckpointBuildReport {
  uint64_t started_at = 0;    // the checkpoint it started from (0: the journal's start)
  uint64_t folded = 0;        // records folded
  uint64_t written = 0;       // checkpoints written
  uint64_t removed = 0;       // checkpoints thinned away (CheckpointBuild::keep)
  uint64_t not_removed = 0;   // ones it could not remove (said in notes)
  bool interrupted = false;
  std::vector<std::string> notes;
};
Status BuildCheckpoints(const std::string& data, SegmentLog& actions, SegmentLog& journal, const CheckpointBuild& build,
                        CheckpointBuildReport* report);

// Retention: a checkpoint holds the whole state, so a history's checkpoints cost disk as the
// square of its length. Of the checkpoints of one spacing (those a build every `every` records
// writes) at journal sequences `sequences` (ascending), the ones a keep of `keep` removes
// (ascending; none when keep is 0), given the newest whole checkpoint at `newest`, which stays:
// those before it whose multiple of `every` (sequence / every) is not a multiple of 2^k, k the
// smallest for which the multiples of 2^k below the newest's, and the newest, are at most `keep`.
// k follows from the newest alone, so thinning after each new checkpoint leaves what thinning them
// all at once would. As a history grows the kept checkpoints' spacing doubles: between keep/2 and
// keep of them, evenly spaced, and no as-of question folds more than about 2 x history / keep
// records. The older ones kept are the files `kezek replay checkpoint --every (every x 2^k)`
// writes, byte for byte. Checkpoints of another spacing are not given to it (BuildCheckpoints
// leaves them). Pure.
std::vector<uint64_t> CheckpointsToThin(const std::vector<uint64_t>& sequences, uint64_t newest, uint64_t every,
                                        uint64_t keep);

}  // namespace kezek::adapters
