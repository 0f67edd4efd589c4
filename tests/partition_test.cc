// The partition loop (adapters/partition.h) driven through in-memory pieces, as a broker's would
// drive it: it must give the journal and state of a plain fold, re-derive and compare what the
// journal holds past the state after a crash between the journal's sync and the state's commit,
// refuse an altered record, and change nothing when opened read-only.
#include <algorithm>
#include <future>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "adapters/partition.h"
#include "workload/simulation.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

using adapters::Partition;
using adapters::RecordVisitor;
using adapters::Status;

// Records in memory: appended records are pending until Sync, as a producer's before it flushes.
struct MemoryRecords {
  std::vector<std::vector<uint8_t>> durable;
  std::vector<std::vector<uint8_t>> pending;
  uint64_t syncs = 0;

  Status Append(std::span<const uint8_t> bytes) {
    pending.emplace_back(bytes.begin(), bytes.end());
    return Status::Ok();
  }
  Status Sync() {
    for (auto& record : pending) durable.push_back(std::move(record));
    pending.clear();
    ++syncs;
    return Status::Ok();
  }
  uint64_t end() const { return durable.size() + pending.size(); }
  Status Read(uint64_t from, const RecordVisitor& visit) {
    if (Status s = Sync(); !s.ok()) return s;
    for (uint64_t i = from; i < durable.size(); ++i) {
      if (!visit(i, durable[i])) break;
    }
    return Status::Ok();
  }
  void Crash() { pending.clear(); }  // what was not synced is lost
};

class MemoryInputs final : public adapters::InputLog {
 public:
  explicit MemoryInputs(MemoryRecords* records) : records_(records) {}
  Status Append(std::span<const uint8_t> payload) override { return records_->Append(payload); }
  // Once `fail_from` syncs were made, every later one fails (what was appended stays pending).
  Status Sync() override {
    if (fail_from && records_->syncs >= *fail_from) return Status::IoError("the actions' disk is full");
    return records_->Sync();
  }
  std::optional<uint64_t> fail_from;
  uint64_t end() const override { return records_->end(); }
  Status Read(uint64_t from, const RecordVisitor& visit) override { return records_->Read(from, visit); }

 private:
  MemoryRecords* records_;
};

class MemoryJournal final : public adapters::JournalSink {
 public:
  explicit MemoryJournal(MemoryRecords* records) : records_(records) {}
  // Once `fail_appends` is set, every append fails.
  Status Append(std::span<const uint8_t> record) override {
    return fail_appends ? Status::IoError("the journal's segment is gone") : records_->Append(record);
  }
  bool fail_appends = false;
  Status Sync() override { return records_->Sync(); }
  // Behind: synced on a thread of its own, or, once `fail_behind` is set, failing there.
  std::shared_future<Status> SyncBehind() override {
    ++behind;
    // The records are synced here (no thread: MemoryRecords is not shared).
    return adapters::Done(fail_behind ? Status::IoError("the journal's disk is full") : records_->Sync());
  }
  uint64_t behind = 0;
  bool fail_behind = false;
  uint64_t end() const override { return records_->end(); }
  // A record not synced yet is read from memory, as the segment log's.
  Status ReadRecord(uint64_t sequence, std::vector<uint8_t>* record) override {
    REQUIRE(sequence < records_->end());
    const size_t durable = records_->durable.size();
    *record = sequence < durable ? records_->durable[sequence] : records_->pending[sequence - durable];
    return Status::Ok();
  }
  Status Read(uint64_t from, const RecordVisitor& visit) override { return records_->Read(from, visit); }

 private:
  MemoryRecords* records_;
};

// The state as a sorted map per family; a commit is applied whole or, once `fail_after` commits
// have been made, not at all (a crash after the journal's sync, before the state's write).
class MemoryState final : public adapters::StateStore {
 public:
  std::map<std::pair<state_codec::Family, std::string>, std::string> entries;
  uint64_t applied = 0;
  uint64_t commits = 0;
  std::optional<uint64_t> fail_after;

  Status Load(Engine* engine, uint64_t* applied_out) override {
    *applied_out = applied;
    const bool loaded = engine->Restore([&](State* state) {
      for (const auto& [key, value] : entries) {
        if (!state_codec::LoadEntry(key.first, key.second, value, state)) return false;
      }
      return true;
    });
    return loaded ? Status::Ok() : Status::Corruption("the stored entries do not load");
  }

  Status Commit(const adapters::StateCommit& commit) override {
    if (Status s = commit.JournalSynced(); !s.ok()) return s;  // never ahead of the journal
    if (fail_after && commits == *fail_after) return Status::IoError("the state store is gone");
    std::vector<state_codec::Put> puts;
    commit.changes([&](const state_codec::Put& put) { puts.push_back(put); });
    for (const state_codec::Put& put : puts) {
      if (put.erase) {
        entries.erase({put.family, put.key});
      } else {
        entries[{put.family, put.key}] = put.value;
      }
    }
    applied = commit.applied;
    ++commits;
    return Status::Ok();
  }
};

struct Pieces {
  MemoryRecords input_records;
  MemoryRecords journal_records;
  MemoryInputs inputs{&input_records};
  MemoryJournal journal{&journal_records};
  MemoryState state;

  std::unique_ptr<Partition> Open(Partition::Mode mode, Status* status, size_t batch_max = 16, bool journal_behind = false) {
    Partition::Options options;
    options.batch_max = batch_max;
    options.journal_behind = journal_behind;
    options.name = "memory";
    options.input_name = "memory/inputs";
    options.journal_name = "memory/journal";
    auto partition = std::make_unique<Partition>(&state, std::move(options));
    *status = partition->LoadState();
    if (status->ok()) *status = partition->Open(&inputs, &journal, mode);
    return partition;
  }
};

std::unique_ptr<Partition> OpenOrFail(Pieces& pieces, Partition::Mode mode = Partition::Mode::kRecover) {
  Status s;
  auto partition = pieces.Open(mode, &s);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return partition;
}

struct Folded {
  std::vector<events::InputLine> lines;
  std::vector<std::vector<uint8_t>> records;  // of a plain in-memory fold
  Sha256 state_hash{};
};

const Folded& History() {
  static const Folded folded = [] {
    workload::SimulationOptions options;
    options.seed = 7;
    options.applications = 150;
    options.months = 4;
    events::Codec codec;
    Folded f;
    workload::SimulationSummary summary;
    std::string error;
    std::vector<std::string> texts;
    REQUIRE(workload::Simulate(options, [&](std::span<const uint8_t> b) { texts.push_back(codec.ActionToJson(b)); },
                             &summary, &error));
    texts.insert(texts.begin() + static_cast<long>(texts.size() / 3), "{ this line is no JSON");
    texts.push_back(texts[texts.size() / 2]);  // a repeat: answered with the original's record
    Engine engine;
    for (size_t i = 0; i < texts.size(); ++i) {
      f.lines.push_back(events::LineOf(texts[i]));
      ApplyResult result;
      REQUIRE(events::FoldInput(engine, events::EncodeInput(codec, f.lines.back()), i, &result, &error));
      for (const auto record : result.records) f.records.emplace_back(record.begin(), record.end());
    }
    f.state_hash = engine.StateHash();
    return f;
  }();
  return folded;
}

// The number of records the inputs before `input` gave.
size_t RecordsBefore(const Folded& h, uint64_t input) {
  return static_cast<size_t>(std::count_if(h.records.begin(), h.records.end(), [&](const std::vector<uint8_t>& r) {
    return fb::GetJournalRecord(r.data())->input_offset() < input;
  }));
}

TEST_CASE("partition: through in-memory pieces it gives the journal and the state of a plain fold") {
  const Folded& h = History();
  Pieces pieces;
  auto partition = OpenOrFail(pieces);
  std::vector<uint64_t> answered;
  uint64_t repeats = 0;
  REQUIRE(partition->Append(h.lines, [&](const Partition::Answer& a) {
    answered.push_back(a.input);
    repeats += !a.original.empty();
  }).ok());
  CHECK(answered.size() == h.lines.size());
  for (size_t i = 0; i < answered.size(); ++i) CHECK(answered[i] == i);  // in order, batch after batch
  CHECK(repeats >= 1);
  CHECK(pieces.journal_records.durable == h.records);
  CHECK(pieces.journal_records.pending.empty());
  CHECK(partition->applied() == h.lines.size());
  CHECK(partition->engine().StateHash() == h.state_hash);
  // One sync of each log and one commit per batch of 16.
  const uint64_t batches = (h.lines.size() + 15) / 16;
  CHECK(pieces.input_records.syncs == batches);
  CHECK(pieces.state.commits == batches);

  SUBCASE("partition: a new partition over the same store loads the same state") {
    partition.reset();
    auto again = OpenOrFail(pieces);
    CHECK(again->applied() == h.lines.size());
    CHECK(again->engine().StateHash() == h.state_hash);
    CHECK(pieces.journal_records.durable.size() == h.records.size());  // nothing appended twice
  }
}

TEST_CASE("partition: journal behind: the state is written after the journal's sync, never when it failed") {
  const Folded& h = History();
  const uint64_t batches = (h.lines.size() + 15) / 16;
  Pieces pieces;
  Status s;
  {
    auto partition = pieces.Open(Partition::Mode::kRecover, &s, 16, /*journal_behind=*/true);
    REQUIRE(s.ok());
    // Answered: in order, with the whole records; a repeat with its original's.
    std::vector<std::vector<uint8_t>> answered;
    uint64_t next = 0, repeats = 0;
    REQUIRE(partition->Append(h.lines, [&](const Partition::Answer& a) {
      CHECK(a.input == next++);
      for (const auto record : a.records) answered.emplace_back(record.begin(), record.end());
      if (!a.original.empty()) {
        ++repeats;
        const uint64_t of = fb::GetJournalRecord(a.records.front().data())->duplicate_of();
        CHECK(std::equal(a.original.front().begin(), a.original.front().end(), h.records[of].begin(), h.records[of].end()));
      }
    }).ok());
    CHECK(next == h.lines.size());
    CHECK(answered == h.records);
    CHECK(repeats >= 1);
    CHECK(pieces.journal.behind == batches);
    CHECK(pieces.journal_records.syncs == batches);
    CHECK(pieces.journal_records.durable == h.records);
    CHECK(pieces.state.applied == h.lines.size());
    CHECK(partition->engine().StateHash() == h.state_hash);
  }
  {  // no answers wanted: the chain hashed and the records appended on a thread of its own
    Pieces quiet;
    auto partition = quiet.Open(Partition::Mode::kRecover, &s, 16, /*journal_behind=*/true);
    REQUIRE(s.ok());
    const std::span<const events::InputLine> lines(h.lines);
    REQUIRE(partition->Append(lines.first(40), {}).ok());  // two calls: the chain picks up the head
    REQUIRE(partition->Append(lines.subspan(40), {}).ok());
    CHECK(quiet.journal_records.durable == h.records);
    CHECK(quiet.state.applied == h.lines.size());
    CHECK(partition->engine().StateHash() == h.state_hash);
    partition.reset();
    auto reopened = OpenOrFail(quiet);  // the stored head names the journal's last record
    CHECK(reopened->engine().StateHash() == h.state_hash);
  }
  Pieces failing;
  {
    auto partition = failing.Open(Partition::Mode::kRecover, &s, 16, /*journal_behind=*/true);
    REQUIRE(s.ok());
    const std::span<const events::InputLine> lines(h.lines);
    REQUIRE(partition->Append(lines.first(3 * 16), {}).ok());
    failing.journal.fail_behind = true;
    const Status failed = partition->Append(lines.subspan(3 * 16, 16), {});
    CHECK(failed.code() == Status::Code::kIoError);
    CHECK(failed.message() == "the journal's disk is full");
  }
  CHECK(failing.state.applied == 3 * 16);  // not the fourth batch: its journal never became durable
  {  // an append failing on the chain's thread: returned at the batch's end, its state not committed
    Pieces broken;
    auto partition = broken.Open(Partition::Mode::kRecover, &s, 16, /*journal_behind=*/true);
    REQUIRE(s.ok());
    const std::span<const events::InputLine> lines(h.lines);
    REQUIRE(partition->Append(lines.first(2 * 16), {}).ok());
    broken.journal.fail_appends = true;
    const Status failed = partition->Append(lines.subspan(2 * 16, 2 * 16), {});
    CHECK(failed.message() == "the journal's segment is gone");
    CHECK(broken.state.applied == 2 * 16);
    CHECK(broken.state.commits == 2);
  }
  CHECK(failing.state.commits == 3);
  failing.input_records.Crash();
  failing.journal_records.Crash();
  failing.journal.fail_behind = false;
  auto recovered = failing.Open(Partition::Mode::kRecover, &s, 16, /*journal_behind=*/true);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(recovered->applied() == 4 * 16);  // the fourth batch's inputs were durable: folded again
  REQUIRE(recovered->Append(std::span<const events::InputLine>(h.lines).subspan(4 * 16), {}).ok());
  CHECK(failing.journal_records.durable == h.records);
  CHECK(recovered->engine().StateHash() == h.state_hash);
}

TEST_CASE("partition: a batch is logged while the one before it folds: its failure is returned once that one "
          "is committed") {
  const Folded& h = History();
  Pieces pieces;
  pieces.inputs.fail_from = 3;  // the fourth batch's inputs never become durable
  {
    auto partition = OpenOrFail(pieces);
    const Status failed = partition->Append(h.lines, {});
    CHECK(failed.code() == Status::Code::kIoError);
    CHECK(failed.message() == "the actions' disk is full");
    CHECK(partition->applied() == 3 * 16);
  }
  CHECK(pieces.state.applied == 3 * 16);  // the third batch, folded while the fourth was logged, committed
  CHECK(pieces.state.commits == 3);
  CHECK(pieces.journal_records.durable.size() == RecordsBefore(h, 3 * 16));
  pieces.input_records.Crash();  // the fourth batch's inputs, never synced, are lost: never answered either
  pieces.journal_records.Crash();
  pieces.inputs.fail_from.reset();
  auto recovered = OpenOrFail(pieces);
  CHECK(recovered->applied() == 3 * 16);
  REQUIRE(recovered->Append(std::span<const events::InputLine>(h.lines).subspan(3 * 16), {}).ok());
  CHECK(pieces.journal_records.durable == h.records);
  CHECK(recovered->engine().StateHash() == h.state_hash);
}

TEST_CASE("partition: after a crash between the journal's sync and the state's commit, a restart "
          "re-derives the records past the state and compares them") {
  const Folded& h = History();
  Pieces pieces;
  pieces.state.fail_after = 3;
  {
    auto partition = OpenOrFail(pieces);
    CHECK(partition->Append(h.lines, {}).code() == Status::Code::kIoError);
  }
  REQUIRE(pieces.state.applied == 3 * 16);
  REQUIRE(pieces.journal_records.end() == 4 * 16);  // the journal is a batch ahead of the state
  // and the inputs a batch ahead of the journal: the fifth batch was logged while the fourth folded
  REQUIRE(pieces.input_records.durable.size() == 5 * 16);
  pieces.input_records.Crash();
  pieces.journal_records.Crash();
  pieces.state.fail_after.reset();

  SUBCASE("partition: recovery: the same records are not appended twice") {
    auto partition = OpenOrFail(pieces);
    CHECK(partition->applied() == 5 * 16);  // the fourth batch folded again, the fifth for the first time
    CHECK(pieces.journal_records.durable.size() == RecordsBefore(h, 5 * 16));
    REQUIRE(partition->Append(std::span<const events::InputLine>(h.lines).subspan(5 * 16), {}).ok());
    CHECK(pieces.journal_records.durable == h.records);
    CHECK(partition->engine().StateHash() == h.state_hash);
  }
  SUBCASE("partition: recovery: a record past the state that differs from the fold is corruption") {
    pieces.journal_records.durable[3 * 16 + 5].back() ^= 1;
    Status s;
    pieces.Open(Partition::Mode::kRecover, &s);
    CHECK(s.code() == Status::Code::kCorruption);
    CHECK(s.message().find(fmt::format("memory/journal: record {} differs from the fold of input {}", 3 * 16 + 5,
                                       3 * 16 + 5)) != std::string::npos);
  }
  SUBCASE("partition: recovery: records no input explains are corruption") {
    pieces.input_records.durable.resize(3 * 16 + 2);
    Status s;
    pieces.Open(Partition::Mode::kRecover, &s);
    CHECK(s.code() == Status::Code::kCorruption);
    CHECK(s.message().find("memory/journal: 14 records more than the actions log explains") != std::string::npos);
  }
  SUBCASE("partition: a journal whose last record the state reflects was altered is corruption") {
    pieces.journal_records.durable[3 * 16 - 1].back() ^= 1;
    Status s;
    pieces.Open(Partition::Mode::kReadOnly, &s);
    CHECK(s.code() == Status::Code::kCorruption);
    CHECK(s.message().find(fmt::format("memory/journal: record {} hashes to", 3 * 16 - 1)) != std::string::npos);
  }
}

TEST_CASE("partition: read-only opening folds nothing and refuses to append") {
  const Folded& h = History();
  Pieces pieces;
  {
    auto writer = OpenOrFail(pieces);
    REQUIRE(writer->Append(std::span<const events::InputLine>(h.lines).first(20), {}).ok());
    REQUIRE(writer->LogOnly(std::span<const events::InputLine>(h.lines).subspan(20, 30)).ok());
  }
  const auto journal_before = pieces.journal_records.durable;
  const uint64_t commits_before = pieces.state.commits;
  auto reader = OpenOrFail(pieces, Partition::Mode::kReadOnly);
  CHECK(reader->read_only());
  CHECK(reader->applied() == 20);
  CHECK(pieces.input_records.end() == 50);  // 30 pending: not folded
  CHECK(reader->Append(h.lines, {}).code() == Status::Code::kInvalidArgument);
  CHECK(reader->LogOnly(h.lines).code() == Status::Code::kInvalidArgument);
  CHECK(reader->CatchUp({}).code() == Status::Code::kInvalidArgument);
  CHECK(pieces.input_records.end() == 50);
  CHECK(pieces.journal_records.durable == journal_before);
  CHECK(pieces.state.commits == commits_before);
  SUBCASE("partition: the pending inputs are folded when a writer opens") {
    reader.reset();
    auto writer = OpenOrFail(pieces);
    CHECK(writer->applied() == 50);
    CHECK(std::equal(h.records.begin(), h.records.begin() + 50, pieces.journal_records.durable.begin(),
                     pieces.journal_records.durable.end()));
  }
}

// DESIGN §5, "A record has a bound": a crowd's allocation and expiry are written in parts.
const Folded& Crowded() {
  static const Folded folded = [] {
    World world;
    PlayCrowd(world, 5'000);
    Folded f;
    events::Codec codec;
    for (const auto& bytes : world.journal) {
      const fb::JournalRecord* record = fb::GetJournalRecord(bytes.data());
      if (record->part() != 0) continue;
      REQUIRE(record->action() != nullptr);
      f.lines.push_back(events::LineOf(codec.ActionToJson({record->action()->data(), record->action()->size()})));
    }
    Engine engine;
    std::string error;
    for (size_t i = 0; i < f.lines.size(); ++i) {
      ApplyResult result;
      REQUIRE(events::FoldInput(engine, events::EncodeInput(codec, f.lines[i]), i, &result, &error));
      for (const auto record : result.records) f.records.emplace_back(record.begin(), record.end());
    }
    REQUIRE(f.records == world.journal);
    f.state_hash = engine.StateHash();
    return f;
  }();
  return folded;
}

TEST_CASE("partition: an input written in parts: every part appended, answered, and compared on recovery") {
  const Folded& h = Crowded();
  // The first input with parts, and its records.
  uint64_t input = 0, first = 0, parts = 0;
  for (uint64_t s = 0; s < h.records.size() && parts == 0; ++s) {
    const fb::JournalRecord* record = fb::GetJournalRecord(h.records[s].data());
    if (!record->continued()) continue;
    input = record->input_offset();
    first = s;
    while (fb::GetJournalRecord(h.records[s].data())->continued()) ++s;
    parts = s - first + 1;
  }
  REQUIRE(parts >= 3);
  constexpr size_t kBatch = 64;

  SUBCASE("partition: parts: the answer carries every part") {
    Pieces pieces;
    auto partition = OpenOrFail(pieces, Partition::Mode::kRecover);
    size_t answered_parts = 0;
    REQUIRE(partition->Append(h.lines, [&](const Partition::Answer& a) {
      if (a.input == input) answered_parts = a.records.size();
    }).ok());
    CHECK(answered_parts == parts);
    CHECK(pieces.journal_records.durable == h.records);
    CHECK(partition->engine().StateHash() == h.state_hash);
  }
  SUBCASE("partition: parts: a crash between two parts of one input recovers the same bytes") {
    for (const uint64_t kept : {uint64_t{1}, parts - 1}) {  // the journal holds its first part(s) only
      CAPTURE(kept);
      Pieces pieces;
      pieces.state.fail_after = input / kBatch;  // the state stays before the input's batch
      {
        Status s;
        auto partition = pieces.Open(Partition::Mode::kRecover, &s, kBatch);
        REQUIRE(s.ok());
        CHECK(partition->Append(h.lines, {}).code() == Status::Code::kIoError);
      }
      REQUIRE(pieces.state.applied <= input);
      REQUIRE(pieces.journal_records.durable.size() > first + parts);
      pieces.journal_records.durable.resize(first + kept);  // the rest was never written
      pieces.journal_records.Crash();
      pieces.input_records.Crash();
      pieces.state.fail_after.reset();
      Status s;
      auto partition = pieces.Open(Partition::Mode::kRecover, &s, kBatch);
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      REQUIRE(partition->Append(std::span<const events::InputLine>(h.lines).subspan(partition->applied()), {}).ok());
      CHECK(pieces.journal_records.durable == h.records);
      CHECK(partition->engine().StateHash() == h.state_hash);
    }
  }
  SUBCASE("partition: parts: a part past the state that differs from the fold is corruption") {
    Pieces pieces;
    pieces.state.fail_after = input / kBatch;
    {
      Status s;
      auto partition = pieces.Open(Partition::Mode::kRecover, &s, kBatch);
      REQUIRE(s.ok());
      CHECK(partition->Append(h.lines, {}).code() == Status::Code::kIoError);
    }
    pieces.journal_records.durable[first + 1].back() ^= 1;
    pieces.state.fail_after.reset();
    Status s;
    pieces.Open(Partition::Mode::kRecover, &s, kBatch);
    CHECK(s.code() == Status::Code::kCorruption);
    CHECK(s.message().find(fmt::format("memory/journal: record {} differs from the fold of input {}", first + 1, input)) !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace kezek::test
