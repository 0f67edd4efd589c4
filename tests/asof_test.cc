// As of (adapters/embedded/checkpoints.h, docs/audit.md): the state and read models of a data
// directory as of an instant or a journal sequence, from its checkpoints and a short fold, equal
// (state hash, read models' hash) those of a run stopped there — a separate data directory given
// only the inputs before that instant. Checkpoints are deterministic files; a damaged one, or one
// made from another journal, is passed over and the answer stays the same.
#include <algorithm>
#include <filesystem>
#include <iterator>
#include <utility>

#include <fmt/format.h>

#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/runtime.h"
#include "engine/engine.h"
#include "events/codec.h"
#include "projections/history_stats.h"
#include "projections/read_models.h"
#include "workload/simulation.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

namespace fs = std::filesystem;
using adapters::AsOfPoint;
using adapters::AsOfTarget;
using adapters::Runtime;

struct Lines {
  std::vector<std::string> json;
  std::vector<int64_t> instant_ms;  // each line's instant_ms
};

Lines Generated() {
  workload::SimulationOptions options;
  options.seed = 11;
  options.applications = 1200;
  options.months = 14;
  options.country = true;
  events::Codec codec;
  Lines lines;
  workload::SimulationSummary summary;
  std::string error;
  REQUIRE(workload::Simulate(options, [&](std::span<const uint8_t> b) {
    lines.json.push_back(codec.ActionToJson(b));
    lines.instant_ms.push_back(flatbuffers::GetRoot<fb::Action>(b.data())->instant_ms());
  }, &summary, &error));
  // Generated histories are in time order: "the inputs before an instant" is a prefix.
  REQUIRE(std::is_sorted(lines.instant_ms.begin(), lines.instant_ms.end()));
  return lines;
}

Runtime::Options Creating() {
  Runtime::Options options;
  options.create = true;
  options.batch_max = 512;
  options.log.sync = false;
  return options;
}

std::unique_ptr<Runtime> Written(const std::string& dir, std::span<const std::string> lines) {
  std::unique_ptr<Runtime> runtime;
  const adapters::Status s = Runtime::Open(dir, Creating(), &runtime);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  for (size_t from = 0; from < lines.size(); from += 4096) {
    const auto chunk = lines.subspan(from, std::min<size_t>(4096, lines.size() - from));
    REQUIRE(runtime->Append(chunk, [](const Runtime::Answer&) {}).ok());
  }
  return runtime;
}

// The read models of a journal from its start.
Sha256 ModelsHashOf(Runtime& runtime) {
  projections::ReadModels models;
  REQUIRE(runtime.journal_log().Read(0, [&](uint64_t, std::span<const uint8_t> r) {
    models.Apply(r);
    return true;
  }).ok());
  return models.Hash();
}

struct Answer {
  AsOfPoint point;
  Sha256 state_hash{};
  Sha256 models_hash{};
};

Answer AsOf(Runtime& runtime, const AsOfTarget& target) {
  Answer a;
  adapters::Status s = adapters::ResolveAsOf(runtime.journal_log(), target, &a.point);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::unique_ptr<Engine> engine;
  projections::ReadModels models;
  s = adapters::LoadAsOf(runtime.dir(), &runtime.actions_log(), runtime.journal_log(), &a.point, &engine, &models);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  a.state_hash = engine->StateHash();
  a.models_hash = models.Hash();
  return a;
}

}  // namespace

TEST_CASE("as of: an instant's state and read models are a run's stopped there, from checkpoints or the start") {
  const Lines lines = Generated();
  const std::string root = TempDir("asof");
  auto live = Written(root + "/live", lines.json);
  const uint64_t records = live->journal().end();
  REQUIRE(records > 10'000);

  // Checkpoints every 2,000 records: each at an input's end, holding that point's hashes.
  adapters::CheckpointBuild build;
  build.every = 2'000;
  adapters::CheckpointBuildReport report;
  adapters::Status s = adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), build, &report);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::vector<adapters::CheckpointInfo> checkpoints;
  REQUIRE(adapters::ListCheckpoints(root + "/live", &checkpoints).ok());
  CHECK(report.written == checkpoints.size());
  CHECK(checkpoints.size() == records / 2'000);
  for (const auto& c : checkpoints) {
    CHECK(c.sequence >= 2'000);
    std::vector<uint8_t> last;
    REQUIRE(live->journal_log().ReadRecord(c.sequence - 1, &last).ok());
    CHECK_FALSE(fb::GetJournalRecord(last.data())->continued());
  }

  // Instants: a few month ends (through the day's end in Kazakhstan), a minute, the start, the end.
  std::vector<int64_t> instants;
  for (const char* when : {"2024-01-31", "2024-04-30", "2024-08-15", "2024-08-15T06:01:00Z", "2024-12-31", "2025-02-28"}) {
    const auto end = adapters::AsOfInstantEnd(when);
    REQUIRE(end.has_value());
    instants.push_back(*end);
  }
  instants.push_back(lines.instant_ms.front());  // before any record: nothing
  instants.push_back(lines.instant_ms.back() + 1);  // everything
  int compared = 0;
  for (const int64_t before : instants) {
    CAPTURE(before);
    // The run stopped there: only the inputs before the instant, in a data directory of its own.
    const size_t n = static_cast<size_t>(std::lower_bound(lines.instant_ms.begin(), lines.instant_ms.end(), before) -
                                         lines.instant_ms.begin());
    const std::string stopped_dir = root + "/stopped-" + std::to_string(n);
    auto stopped = Written(stopped_dir, std::span(lines.json).first(n));
    AsOfTarget target;
    target.before_ms = before;
    const Answer answer = AsOf(*live, target);
    CHECK(answer.point.inputs == n);
    CHECK(answer.point.sequence == stopped->journal().end());
    CHECK(answer.state_hash == stopped->engine().StateHash());
    CHECK(answer.models_hash == ModelsHashOf(*stopped));
    CHECK(answer.point.folded_records < 2'000 + 64);  // a short fold from the checkpoint before it
    // By sequence, the same point.
    AsOfTarget by_sequence;
    by_sequence.sequence = answer.point.sequence;
    const Answer again = AsOf(*live, by_sequence);
    CHECK(again.point.sequence == answer.point.sequence);
    CHECK(again.state_hash == answer.state_hash);
    ++compared;
  }
  CHECK(compared == 8);

  // kezek stats' figures as of each instant: from the checkpoint before it and the records after
  // it, equal (every figure, as JSON) to a read of the journal from its start bounded there.
  for (const int64_t before : instants) {
    CAPTURE(before);
    projections::HistoryStats::Bound bound;
    bound.before_ms = before;
    projections::HistoryStats whole(bound);
    REQUIRE(live->journal_log().Read(0, [&](uint64_t, std::span<const uint8_t> r) { return whole.Apply(r); }).ok());
    AsOfTarget target;
    target.before_ms = before;
    AsOfPoint point;
    REQUIRE(adapters::ResolveAsOf(live->journal_log(), target, &point).ok());
    projections::HistoryStats from_checkpoint;
    REQUIRE(adapters::LoadAsOf(live->dir(), nullptr, live->journal_log(), &point, nullptr, nullptr, &from_checkpoint).ok());
    CHECK(from_checkpoint.Json(50) == whole.Json(50));
    CHECK(from_checkpoint.records() == point.sequence);
  }

  // A checkpoint's hashes are those of the point it holds.
  const auto& middle = checkpoints[checkpoints.size() / 2];
  AsOfTarget at_middle;
  at_middle.sequence = middle.sequence;
  const Answer from_middle = AsOf(*live, at_middle);
  CHECK(from_middle.point.checkpoint == middle.sequence);
  CHECK(from_middle.point.folded_records == 0);
  CHECK(from_middle.state_hash == middle.state_hash);
  CHECK(from_middle.models_hash == middle.models_hash);

  // Without checkpoints (from the journal's start) the answers are the same.
  const std::string bare = root + "/bare";
  fs::create_directories(bare);
  fs::copy(root + "/live", bare, fs::copy_options::recursive | fs::copy_options::skip_existing);
  fs::remove_all(bare + "/checkpoints");
  fs::remove(bare + "/LOCK");
  {
    std::unique_ptr<Runtime> copy;
    REQUIRE(Runtime::OpenReadOnly(bare, {}, &copy).ok());
    AsOfTarget target;
    target.sequence = middle.sequence + 17;
    const Answer from_start = AsOf(*copy, target);
    const Answer from_checkpoint = AsOf(*live, target);
    CHECK(from_start.point.checkpoint == 0);
    CHECK(from_checkpoint.point.checkpoint == middle.sequence);
    CHECK(from_start.point.sequence == from_checkpoint.point.sequence);
    CHECK(from_start.state_hash == from_checkpoint.state_hash);
    CHECK(from_start.models_hash == from_checkpoint.models_hash);

    // Deterministic: the same journal gives byte-identical checkpoint files.
    build.every = 2'000;
    REQUIRE(adapters::BuildCheckpoints(bare, copy->actions_log(), copy->journal_log(), build, &report).ok());
    for (const auto& c : checkpoints) {
      const std::string name = fs::path(c.path).filename().string();
      CHECK(ReadFileBytes(bare + "/checkpoints/" + name) == ReadFileBytes(c.path));
    }
  }

  // A damaged checkpoint is passed over, said, and the answer is the same (from the one before).
  {
    auto bytes = ReadFileBytes(middle.path);
    bytes[bytes.size() / 2] ^= 0x40;
    WriteFileBytes(middle.path, bytes);
    AsOfTarget target;
    target.sequence = middle.sequence + 17;
    const Answer damaged = AsOf(*live, target);
    CHECK(damaged.point.checkpoint < middle.sequence);
    REQUIRE_FALSE(damaged.point.notes.empty());
    CHECK(damaged.point.notes.front().find("SHA-256") != std::string::npos);
    std::unique_ptr<Runtime> copy;
    REQUIRE(Runtime::OpenReadOnly(bare, {}, &copy).ok());
    CHECK(damaged.state_hash == AsOf(*copy, target).state_hash);
  }

  // A checkpoint of another journal (same name, another history) is passed over.
  {
    Lines other = lines;
    other.json.insert(other.json.begin() + 5, "{ not JSON: a different journal from record 5 on");
    auto foreign = Written(root + "/foreign", std::span(other.json).first(5'000));
    build.every = 2'000;
    REQUIRE(adapters::BuildCheckpoints(root + "/foreign", foreign->actions_log(), foreign->journal_log(), build, &report).ok());
    const std::string name = fmt::format("{:020}.kzc", checkpoints.front().sequence);
    fs::copy_file(root + "/foreign/checkpoints/" + name, root + "/live/checkpoints/" + name,
                  fs::copy_options::overwrite_existing);
    AsOfTarget target;
    target.sequence = checkpoints.front().sequence + 3;
    const Answer answer = AsOf(*live, target);
    CHECK(answer.point.checkpoint == 0);
    REQUIRE_FALSE(answer.point.notes.empty());
    CHECK(answer.point.notes.front().find("another journal") != std::string::npos);
  }
  fs::remove_all(root);
}

TEST_CASE("as of: targets resolve to an input's end; past the journal is refused; instants parse strictly") {
  CHECK(adapters::AsOfInstantEnd("2025-01-01") == Utc(2025, 1, 1, 19, 0));
  CHECK(adapters::AsOfInstantEnd("2025-01-01T10:00:00Z") == Utc(2025, 1, 1, 10, 0) + 1000);
  for (const char* bad : {"2025-02-29", "2025-13-01", "2025-1-1", "1999-12-31", "2025-01-01T24:00:00Z", "2025-01-01T10:00:00",
                          "", "yesterday", "2025-01-01 ", "2025-01-01T10:00:60Z",
                          // sscanf's %u took a sign or a space for a digit (a helper's finding, 2026-12-06)
                          "2025-+6-30", " 2025-6-30", "2025-06-30T+1:00:00Z", "2025-06-30T-0:00:00Z",
                          "2025-06-30T1:00:00ZZ", "+025-06-30"}) {
    CAPTURE(bad);
    CHECK_FALSE(adapters::AsOfInstantEnd(bad).has_value());
  }
  // A NUL inside (a decoded %00) ends nothing: "2025-06-3\0" is no date, not the 3rd of June.
  CHECK_FALSE(adapters::AsOfInstantEnd(std::string_view("2025-06-3\0", 10)).has_value());
  CHECK_FALSE(adapters::AsOfInstantEnd(std::string_view("2025-06-30\0\0\0\0\0\0\0\0\0\0", 20)).has_value());
  const std::string root = TempDir("asof-targets");
  // An input whose decisions split into parts (many vouchers at once) ends after its last part.
  const Lines lines = Generated();
  auto live = Written(root + "/d", std::span(lines.json).first(6'000));
  uint64_t continued = UINT64_MAX;
  REQUIRE(live->journal_log().Read(0, [&](uint64_t i, std::span<const uint8_t> r) {
    if (fb::GetJournalRecord(r.data())->continued()) continued = i;
    return continued == UINT64_MAX;
  }).ok());
  if (continued != UINT64_MAX) {
    AsOfPoint point;
    AsOfTarget inside;
    inside.sequence = continued + 1;  // after a part that says more follow
    REQUIRE(adapters::ResolveAsOf(live->journal_log(), inside, &point).ok());
    CHECK(point.sequence > continued + 1);
  }
  AsOfPoint point;
  AsOfTarget past;
  past.sequence = live->journal().end() + 1;
  CHECK(adapters::ResolveAsOf(live->journal_log(), past, &point).code() == adapters::Status::Code::kInvalidArgument);
  past.sequence = live->journal().end();
  REQUIRE(adapters::ResolveAsOf(live->journal_log(), past, &point).ok());
  CHECK(point.inputs == 6'000);
  fs::remove_all(root);
}

}  // namespace kezek::test

namespace kezek::test {
namespace {

// Directory `dir` made to hold the checkpoints of `live`'s logs every `every` records (its marker
// alone beside them), as another writer of checkpoints would make them.
void CheckpointsApart(const std::string& dir, Runtime& live, uint64_t every) {
  fs::create_directories(dir);
  fs::copy(live.dir() + "/KEZEK", dir + "/KEZEK");
  adapters::CheckpointBuild build;
  build.every = every;
  adapters::CheckpointBuildReport report;
  REQUIRE(adapters::BuildCheckpoints(dir, live.actions_log(), live.journal_log(), build, &report).ok());
}

// The sequences CheckpointsToThin leaves of `sequences`.
std::vector<uint64_t> Kept(const std::vector<uint64_t>& sequences, uint64_t every, uint64_t keep) {
  const std::vector<uint64_t> thinned = adapters::CheckpointsToThin(sequences, sequences.back(), every, keep);
  std::vector<uint64_t> kept;
  std::set_difference(sequences.begin(), sequences.end(), thinned.begin(), thinned.end(), std::back_inserter(kept));
  return kept;
}

}  // namespace

TEST_CASE("checkpoint retention: the newest stays, the older are thinned to a doubling grid") {
  // Checkpoints at the first input end at or after each multiple of 100 (a few records past it).
  std::vector<uint64_t> ten;
  for (uint64_t m = 1; m <= 10; ++m) ten.push_back(m * 100 + m % 3);
  CHECK(adapters::CheckpointsToThin(ten, 1001, 100, 0).empty());   // 0: keep every one
  CHECK(adapters::CheckpointsToThin(ten, 1001, 100, 10).empty());  // no more than kept
  // Only those before the newest whole one are thinned, against it (one after it, damaged, is left).
  CHECK(adapters::CheckpointsToThin(ten, 802, 100, 1) == std::vector<uint64_t>{101, 202, 300, 401, 502, 600, 701});
  CHECK(Kept(ten, 100, 9) == std::vector<uint64_t>{202, 401, 600, 802, 1001});  // every second, and the newest
  CHECK(Kept(ten, 100, 4) == std::vector<uint64_t>{401, 802, 1001});            // every fourth
  CHECK(Kept(ten, 100, 1) == std::vector<uint64_t>{1001});
  // One before the first multiple (BuildCheckpoints gives it none: it is of another spacing) goes.
  CHECK(Kept({50, 100, 200, 300}, 100, 3) == std::vector<uint64_t>{100, 200, 300});
  // The grid follows from the newest: files missing from it change nothing.
  CHECK(Kept({201, 602, 1001}, 100, 9) == std::vector<uint64_t>{201, 602, 1001});
  CHECK(Kept({101, 301, 1001}, 100, 9) == std::vector<uint64_t>{1001});

  // A history growing a checkpoint at a time, thinned after each: the same as thinning its whole
  // list at once, never more than `keep`, at least keep/2 once there were that many, and no gap
  // (from the journal's start on) wider than twice the history over `keep`.
  for (const uint64_t keep : {2u, 3u, 5u, 16u}) {
    CAPTURE(keep);
    std::vector<uint64_t> all, kept;
    for (uint64_t m = 1; m <= 300; ++m) {
      all.push_back(m * 100 + 7);
      kept.push_back(m * 100 + 7);
      kept = Kept(kept, 100, keep);
      CHECK(kept == Kept(all, 100, keep));
      CHECK(kept.size() <= keep);
      if (m >= keep) CHECK(kept.size() >= keep / 2);
      uint64_t gap = 0, before = 0;
      for (const uint64_t sequence : kept) gap = std::max(gap, sequence - std::exchange(before, sequence));
      CHECK(gap <= 2 * m * 100 / keep + 100);
    }
  }
}

TEST_CASE("checkpoint retention: a build with keep leaves the files a sparser build writes, and answers the same") {
  const Lines lines = Generated();
  const std::string root = TempDir("thin");
  auto live = Written(root + "/live", std::span(lines.json).first(6'000));
  const uint64_t records = live->journal().end();
  REQUIRE(records > 9 * 500);

  // Every 500 records, at most 4 kept: thinned as they are written.
  adapters::CheckpointBuild build;
  build.every = 500;
  build.keep = 4;
  std::vector<uint64_t> said;
  build.removed = [&](const adapters::CheckpointInfo& c) { said.push_back(c.sequence); };
  adapters::CheckpointBuildReport report;
  adapters::Status s = adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), build, &report);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::vector<adapters::CheckpointInfo> kept;
  REQUIRE(adapters::ListCheckpoints(root + "/live", &kept).ok());
  CHECK(report.written == records / 500);
  CHECK(report.removed == said.size());
  CHECK(report.written == kept.size() + report.removed);
  REQUIRE(kept.size() <= 4);
  REQUIRE(kept.size() >= 3);  // two older ones on the grid, and the newest

  // The older ones kept are the files of a build every 500 x 2^k records, byte for byte.
  const uint64_t spacing = kept[1].sequence / 500 * 500 - kept[0].sequence / 500 * 500;
  CHECK(spacing >= 1'000);
  CHECK(kept[0].sequence / spacing * spacing == kept[0].sequence / 500 * 500);
  const std::string sparse = root + "/sparse";
  CheckpointsApart(sparse, *live, spacing);
  for (size_t i = 0; i + 1 < kept.size(); ++i) {
    const std::string name = fs::path(kept[i].path).filename().string();
    CAPTURE(name);
    CHECK(ReadFileBytes(sparse + "/checkpoints/" + name) == ReadFileBytes(kept[i].path));
  }

  // Built again with a smaller keep: thinned before anything is folded, nothing written.
  build.keep = 2;
  said.clear();
  REQUIRE(adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), build, &report).ok());
  CHECK(report.written == 0);
  CHECK(report.folded == 0);
  std::vector<adapters::CheckpointInfo> fewer;
  REQUIRE(adapters::ListCheckpoints(root + "/live", &fewer).ok());
  CHECK(fewer.size() == 2);
  CHECK(fewer.back().sequence == kept.back().sequence);
  CHECK(said.size() == kept.size() - 2);

  // An answer between two kept checkpoints folds from the one before it, to the same hashes as
  // one folded from the journal's start (the checkpoints moved away).
  AsOfTarget target;
  target.sequence = fewer.front().sequence + spacing / 2;
  const Answer thinned = AsOf(*live, target);
  CHECK(thinned.point.checkpoint == fewer.front().sequence);
  CHECK(thinned.point.notes.empty());
  fs::rename(root + "/live/checkpoints", root + "/aside");
  const Answer from_start = AsOf(*live, target);
  CHECK(from_start.point.checkpoint == 0);
  CHECK(from_start.state_hash == thinned.state_hash);
  CHECK(from_start.models_hash == thinned.models_hash);

  // Checkpoints of another spacing (written with another --every) are left by a build that thins.
  {
    adapters::CheckpointBuild other;  // written alone (a build starts from the newest there is)
    other.every = 700;
    REQUIRE(adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), other, &report).ok());
    CHECK(report.written == records / 700);
    for (const auto& entry : fs::directory_iterator(root + "/aside")) {  // and the 500 spacing's beside them
      fs::copy_file(entry.path(), root + "/live/checkpoints/" + entry.path().filename().string(),
                    fs::copy_options::skip_existing);
    }
    std::vector<adapters::CheckpointInfo> before;
    REQUIRE(adapters::ListCheckpoints(root + "/live", &before).ok());
    build.keep = 2;
    REQUIRE(adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), build, &report).ok());
    std::vector<adapters::CheckpointInfo> after;
    REQUIRE(adapters::ListCheckpoints(root + "/live", &after).ok());
    size_t others = 0;
    for (const auto& c : before) {
      if (c.sequence % 500 == 0) continue;  // of the 500 spacing too (inputs here are one record each)
      ++others;
      CAPTURE(c.sequence);
      CHECK(std::any_of(after.begin(), after.end(), [&](const auto& a) { return a.sequence == c.sequence; }));
    }
    CHECK(others >= 5);
  }

  // A newer checkpoint of another spacing (an auditor's) is thinned against, but the build's own
  // newest stays beside it: with --keep 1 the build keeps one of its own.
  {
    fs::remove_all(root + "/live/checkpoints");
    adapters::CheckpointBuild mine;
    mine.every = 1'100;
    REQUIRE(adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), mine, &report).ok());
    const uint64_t own_newest = records / 1'100 * 1'100;
    uint64_t other_every = 700;
    while (other_every < 1'100 && !(records / other_every * other_every > own_newest)) ++other_every;
    REQUIRE(other_every < 1'100);
    const std::string auditor = root + "/auditor";
    CheckpointsApart(auditor, *live, other_every);
    const std::string name = fmt::format("{:020}.kzc", records / other_every * other_every);
    fs::copy_file(auditor + "/checkpoints/" + name, root + "/live/checkpoints/" + name);
    mine.keep = 1;
    REQUIRE(adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), mine, &report).ok());
    CHECK(report.removed >= 2);
    std::vector<adapters::CheckpointInfo> left;
    REQUIRE(adapters::ListCheckpoints(root + "/live", &left).ok());
    REQUIRE(left.size() == 2);
    CHECK(left[0].sequence == own_newest);
    CHECK(left[1].sequence == records / other_every * other_every);
  }

  // A damaged newest checkpoint does not decide: the build starts from the one before it, thins
  // against that, writes the newest again and thins against it; each file is removed once.
  fs::remove_all(root + "/live/checkpoints");
  build.keep = 0;
  REQUIRE(adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), build, &report).ok());
  std::vector<adapters::CheckpointInfo> all;
  REQUIRE(adapters::ListCheckpoints(root + "/live", &all).ok());
  REQUIRE(all.size() >= 4);
  {
    auto bytes = ReadFileBytes(all.back().path);
    bytes[bytes.size() / 2] ^= 0x40;
    WriteFileBytes(all.back().path, bytes);
  }
  build.keep = 1;
  said.clear();
  REQUIRE(adapters::BuildCheckpoints(root + "/live", live->actions_log(), live->journal_log(), build, &report).ok());
  CHECK(report.started_at == all[all.size() - 2].sequence);
  CHECK(report.written == 1);
  CHECK(report.removed == all.size() - 1);
  CHECK(said.size() == all.size() - 1);
  std::vector<adapters::CheckpointInfo> one;
  REQUIRE(adapters::ListCheckpoints(root + "/live", &one).ok());
  REQUIRE(one.size() == 1);
  CHECK(one.front().sequence == all.back().sequence);
  live.reset();
  fs::remove_all(root);
}

}  // namespace kezek::test
