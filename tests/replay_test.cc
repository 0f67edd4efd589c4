// kezek replay verify / rebuild on real data directories: a journal tampered with in each way an
// auditor fears (a changed byte with or without a valid frame, a deleted record, records swapped,
// a forged tail re-chained so every hash is valid) is found at its exact record; a rebuild from the
// actions log alone equals the source; a backup verifies like its source.
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "adapters/embedded/rocksdb_state_store.h"
#include "adapters/embedded/runtime.h"
#include "adapters/embedded/segment_log.h"
#include "engine/sha256.h"
#include "events/codec.h"
#include "events/journal_chain.h"
#include "projections/summary.h"
#include "workload/simulation.h"
#include "replay/verify.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

namespace fs = std::filesystem;
using adapters::Runtime;
using Bytes = std::vector<uint8_t>;

struct Run {
  int status = -1;
  std::string out;
};

// The kezek binary with `args`; its standard output and exit status (standard error dropped).
Run Kezek(const std::string& args) {
  Run run;
  std::FILE* pipe = ::popen(fmt::format("{} {} 2>/dev/null", KEZEK_BINARY, args).c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A city's data directory: a generated history appended in batches.
std::string MakeDataDir(const std::string& name) {
  workload::SimulationOptions options;
  options.seed = 31;
  options.applications = 250;
  options.months = 12;
  events::Codec codec;
  std::vector<std::string> lines;
  workload::SimulationSummary summary;
  std::string error;
  REQUIRE(workload::Simulate(options, [&](std::span<const uint8_t> b) { lines.push_back(codec.ActionToJson(b)); }, &summary,
                           &error));
  lines.insert(lines.begin() + static_cast<long>(lines.size() / 3), "{ not an action");
  const std::string dir = TempDir(name);
  Runtime::Options runtime_options;
  runtime_options.create = true;
  runtime_options.log.segment_bytes = 512 * 1024;  // several segments
  std::unique_ptr<Runtime> runtime;
  REQUIRE(Runtime::Open(dir, runtime_options, &runtime).ok());
  const std::span<const std::string> all(lines);
  for (size_t at = 0; at < all.size(); at += 500) {
    REQUIRE(runtime->Append(all.subspan(at, std::min<size_t>(500, all.size() - at)), {}).ok());
  }
  return dir;
}

std::vector<Bytes> JournalOf(const std::string& dir) {
  std::unique_ptr<Runtime> runtime;
  REQUIRE(Runtime::OpenReadOnly(dir, {}, &runtime).ok());
  std::vector<Bytes> records;
  REQUIRE(runtime->journal_log().Read(0, [&](uint64_t, std::span<const uint8_t> r) {
    records.emplace_back(r.begin(), r.end());
    return true;
  }).ok());
  return records;
}

// A copy of `dir` whose journal is `records` (framed afresh: every frame's checksum valid).
std::string WithJournal(const std::string& dir, const std::string& name, const std::vector<Bytes>& records) {
  const std::string copy = TempDir(name);
  fs::remove_all(copy);
  fs::copy(dir, copy, fs::copy_options::recursive);
  fs::remove_all(fs::path(copy) / "journal");
  std::unique_ptr<adapters::SegmentLog> log;
  adapters::SegmentLog::Recovery recovery;
  adapters::SegmentLog::Options options;
  options.segment_bytes = 512 * 1024;
  REQUIRE(adapters::SegmentLog::Open((fs::path(copy) / "journal").string(), options, &log, &recovery).ok());
  for (const Bytes& r : records) REQUIRE(log->Append(r).ok());
  REQUIRE(log->Sync().ok());
  return copy;
}

// `record` with every occurrence of the 32 bytes `from` replaced by `to` (a prev_sha256).
void Replace(Bytes& record, const Sha256& from, const Sha256& to) {
  for (size_t i = 0; i + from.size() <= record.size(); ++i) {
    if (std::equal(from.begin(), from.end(), record.begin() + static_cast<long>(i))) std::copy(to.begin(), to.end(), record.begin() + static_cast<long>(i));
  }
}

// The first record at or after `from` that places an application in a queue.
size_t EnteredQueueAtOrAfter(const std::vector<Bytes>& records, size_t from) {
  for (size_t i = from; i < records.size(); ++i) {
    const auto* decisions = fb::GetJournalRecord(records[i].data())->decisions();
    if (decisions == nullptr) continue;
    for (const auto* d : *decisions) {
      if (d->body_type() == fb::DecisionBody::EnteredQueue) return i;
    }
  }
  FAIL("no EnteredQueue decision");
  return 0;
}

// `kezek replay rebuild` of `source` into `rebuilt` (removed first, if there).
Run Rebuild(const std::string& source, const std::string& rebuilt) {
  fs::remove_all(rebuilt);
  return Kezek(fmt::format("replay rebuild --data {} --out {}", source, rebuilt));
}

// "record": N of the divergence in `kezek replay verify --json`'s output (-1 if none).
long DivergentRecord(const std::string& json) {
  const size_t at = json.find("\"divergence\": {\"record\": ");
  if (at == std::string::npos) return -1;
  return std::stol(json.substr(at + std::strlen("\"divergence\": {\"record\": ")));
}

// A data directory's logs in memory, as a verification reads them, counting the journal's reads.
struct LogsInMemory {
  std::vector<Bytes> inputs, records;
  uint64_t record_reads = 0;
  replay::VerifySource Source() {
    replay::VerifySource source;
    source.inputs = inputs.size();
    source.records = records.size();
    source.input = [this](uint64_t index, std::vector<uint8_t>* bytes, std::string*) { return *bytes = inputs[index], true; };
    source.record = [this](uint64_t index, std::vector<uint8_t>* bytes, std::string*) {
      ++record_reads;
      return *bytes = records[index], true;
    };
    return source;
  }
};

LogsInMemory LogsOf(const std::string& dir) {
  LogsInMemory logs;
  logs.records = JournalOf(dir);
  std::unique_ptr<Runtime> runtime;
  REQUIRE(Runtime::OpenReadOnly(dir, {}, &runtime).ok());
  REQUIRE(runtime->actions_log().Read(0, [&](uint64_t, std::span<const uint8_t> payload) {
    logs.inputs.emplace_back(payload.begin(), payload.end());
    return true;
  }).ok());
  return logs;
}

// Verify's report on `logs` by its two passes (as Verify runs them, and the exact pass alone):
// the same JSON either way.
struct Passes {
  std::string json;
  uint64_t reads = 0;       // of journal records, by the first Verify
  bool exact_pass = false;  // the first Verify's report is the exact pass's
};
Passes BothPasses(LogsInMemory& logs, const std::function<void(replay::VerifySource&)>& adjust = {}) {
  replay::VerifySource source = logs.Source();
  if (adjust) adjust(source);
  logs.record_reads = 0;
  const replay::VerifyReport first = replay::Verify(source, {});
  Passes passes{replay::VerifyJson(first), logs.record_reads, first.exact_pass};
  replay::VerifySource again = logs.Source();
  if (adjust) adjust(again);
  replay::VerifyOptions exact;
  exact.exact = true;
  const replay::VerifyReport second = replay::Verify(again, exact);
  CHECK(second.exact_pass);
  CHECK(passes.json == replay::VerifyJson(second));
  return passes;
}

// `source` with a stored state after `applied` inputs, its hash `stored` (zeros: the fold's),
// counting the calls in *asked.
std::function<void(replay::VerifySource&)> StoredState(uint64_t applied, const Sha256& stored, int* asked) {
  return [=](replay::VerifySource& source) {
    source.state_applied = applied;
    source.state_hash = [=](const Sha256& fold, std::string*) -> std::optional<Sha256> {
      ++*asked;
      return stored == Sha256{} ? fold : stored;
    };
  };
}

// The first record of input `input` (the embedded log's offsets are its indexes).
size_t FirstRecordOf(const std::vector<Bytes>& records, uint64_t input) {
  size_t i = 0;
  while (i < records.size() && fb::GetJournalRecord(records[i].data())->input_offset() < input) ++i;
  return i;
}

}  // namespace

TEST_CASE("replay verify: a stored state that does not load is the state's finding; the logs are verified all the same") {
  const std::string dir = MakeDataDir("replay-state-damaged");
  const std::string head = projections::Hex(Sha256Hasher().Of(JournalOf(dir).back()));
  uint64_t applied = 0;
  {
    std::unique_ptr<Runtime> runtime;
    REQUIRE(Runtime::OpenReadOnly(dir, {}, &runtime).ok());
    applied = runtime->applied();
  }
  {  // an entry that decodes as no child, beside meta entries that still describe the logs
    std::unique_ptr<adapters::RocksDbStateStore> store;
    REQUIRE(adapters::RocksDbStateStore::Open((fs::path(dir) / "state").string(), {}, &store).ok());
    adapters::StateCommit commit;
    commit.applied = applied;
    commit.changes = [](const std::function<void(const state_codec::Put&)>& put) {
      put({state_codec::Family::kChildren, "no child", "\x01 not an entry", false});
    };
    REQUIRE(store->Commit(commit).ok());
  }
  std::unique_ptr<Runtime> runtime;
  CHECK(Runtime::OpenReadOnly(dir, {}, &runtime).code() == adapters::Status::Code::kCorruption);
  const Run run = Kezek(fmt::format("replay verify --data {} --json", dir));
  CHECK(run.status == 1);
  CHECK(run.out.find("\"verified\": false") != std::string::npos);
  CHECK(run.out.find("\"chain\": {\"intact\": true") != std::string::npos);
  CHECK(DivergentRecord(run.out) == -1);  // the fold equals the journal
  CHECK(run.out.find("the stored state does not load") != std::string::npos);
  CHECK(run.out.find("column family children: an entry of") != std::string::npos);
  const Run text = Kezek(fmt::format("replay verify --data {}", dir));
  CHECK(text.status == 1);
  CHECK(text.out.find("state: DIFFERS: the stored state does not load") != std::string::npos);

  // kezek status says what the logs hold and what is wrong (exit 1), rather than only the error.
  const Run status = Kezek(fmt::format("status --data {}", dir));
  CHECK(status.status == 1);
  CHECK(status.out.find(fmt::format("applied:        {} inputs (0 pending)", applied)) != std::string::npos);
  CHECK(status.out.find("journal:        ") != std::string::npos);
  CHECK(status.out.find("head " + head) != std::string::npos);
  CHECK(status.out.find("state:          DOES NOT LOAD: ") != std::string::npos);
  CHECK(status.out.find("column family children: an entry of") != std::string::npos);

  // A rebuild reads the actions log alone: the damaged state does not stop it, and its result is a
  // whole data directory (exit 1: the source's state could not be compared).
  const std::string rebuilt = dir + "-rebuilt";
  const Run rebuild = Rebuild(dir, rebuilt);
  CHECK(rebuild.status == 1);
  CHECK(rebuild.out.find("journal: equal to the source's") != std::string::npos);
  CHECK(rebuild.out.find("state: not compared: the source's stored state does not load") != std::string::npos);
  CHECK(Kezek(fmt::format("replay verify --data {}", rebuilt)).status == 0);
  CHECK(Kezek(fmt::format("status --data {}", rebuilt)).status == 0);
  // Checkpoints come from the logs too.
  const Run checkpoints = Kezek(fmt::format("replay checkpoint --data {} --every 1000", dir));
  CHECK(checkpoints.status == 0);
  CHECK(std::atol(checkpoints.out.c_str()) > 0);  // "N checkpoints written, ..."
  fs::remove_all(rebuilt);
  fs::remove_all(dir);
}

TEST_CASE("replay: a directory whose state contradicts its logs (a journal cut short), or has none, is read from its logs") {
  const std::string dir = MakeDataDir("replay-cut-journal");
  std::vector<Bytes> records = JournalOf(dir);
  const std::string head = projections::Hex(Sha256Hasher().Of(records[records.size() - 2]));
  // The journal's last record gone: the state reflects one record more than the journal holds.
  records.pop_back();
  const std::string cut = WithJournal(dir, "replay-cut-journal-copy", records);
  std::unique_ptr<Runtime> runtime;
  REQUIRE(Runtime::OpenReadOnly(cut, {}, &runtime).code() == adapters::Status::Code::kCorruption);

  const Run status = Kezek(fmt::format("status --data {}", cut));
  CHECK(status.status == 1);
  CHECK(status.out.find(fmt::format("journal:        {} records", records.size())) != std::string::npos);
  CHECK(status.out.find("head " + head) != std::string::npos);
  CHECK(status.out.find("applied:") == std::string::npos);  // the state is not read at all
  CHECK(status.out.find("state:          NOT READ: the data directory does not open: ") != std::string::npos);

  const std::string rebuilt = dir + "-rebuilt";
  const Run rebuild = Rebuild(cut, rebuilt);
  CHECK(rebuild.status == 1);
  CHECK(rebuild.out.find("state: not compared: the data directory does not open: ") != std::string::npos);
  CHECK(Kezek(fmt::format("replay verify --data {}", rebuilt)).status == 0);
  CHECK(Kezek(fmt::format("run --data {}", cut)).status == 1);  // a writer refuses it
  fs::remove_all(rebuilt);
  fs::remove_all(cut);

  // No state directory at all: the logs are read as they are; a writer derives the state again.
  const std::string stateless = dir + "-stateless";
  fs::remove_all(stateless);
  fs::copy(dir, stateless, fs::copy_options::recursive);
  fs::remove_all(fs::path(stateless) / "state");
  const Run bare = Kezek(fmt::format("status --data {}", stateless));
  CHECK(bare.status == 1);
  CHECK(bare.out.find("state:          NOT READ: the data directory has no state") != std::string::npos);
  const Run verify = Kezek(fmt::format("replay verify --data {}", stateless));
  CHECK(verify.status == 1);
  CHECK(verify.out.find("fold: equal") != std::string::npos);
  const Run again = Rebuild(stateless, rebuilt);
  CHECK(again.status == 1);
  CHECK(again.out.find("journal: equal to the source's") != std::string::npos);
  CHECK(Kezek(fmt::format("run --data {}", stateless)).status == 0);
  CHECK(Kezek(fmt::format("status --data {}", stateless)).status == 0);
  fs::remove_all(rebuilt);
  fs::remove_all(stateless);
  fs::remove_all(dir);
}

TEST_CASE("replay verify: an untouched data directory, its backup, and a rebuild verify; --expect-head holds") {
  const std::string dir = MakeDataDir("replay-intact");
  Run run = Kezek(fmt::format("replay verify --data {} --json", dir));
  CHECK(run.status == 0);
  CHECK(run.out.find("\"verified\": true") != std::string::npos);
  CHECK(run.out.find("\"compared\": true, \"problem\": null") != std::string::npos);  // the stored state's hash
  CHECK(DivergentRecord(run.out) == -1);
  const std::vector<Bytes> records = JournalOf(dir);
  const std::string head = projections::Hex(Sha256Hasher().Of(records.back()));
  CHECK(run.out.find(fmt::format("\"head\": \"{}\"", head)) != std::string::npos);
  CHECK(Kezek(fmt::format("replay verify --data {} --expect-head {}", dir, head)).status == 0);
  std::string other = head;
  other[0] = other[0] == '0' ? '1' : '0';
  run = Kezek(fmt::format("replay verify --data {} --expect-head {}", dir, other));
  CHECK(run.status == 1);
  CHECK(run.out.find("head: DIFFERS") != std::string::npos);
  CHECK(Kezek(fmt::format("replay verify --data {} --expect-head nothex", dir)).status == 2);

  const std::string backup = TempDir("replay-backup");
  fs::remove_all(backup);
  REQUIRE(Kezek(fmt::format("backup --data {} --to {}", dir, backup)).status == 0);
  CHECK(Kezek(fmt::format("replay verify --data {}", backup)).status == 0);

  const std::string rebuilt = TempDir("replay-rebuilt");
  fs::remove_all(rebuilt);
  run = Kezek(fmt::format("replay rebuild --data {} --out {}", backup, rebuilt));
  CHECK(run.status == 0);
  CHECK(run.out.find(fmt::format("journal: equal to the source's, {} records byte for byte", records.size())) != std::string::npos);
  CHECK(run.out.find("state: equal to the source's (state hash)") != std::string::npos);
  CHECK(JournalOf(rebuilt) == records);
  CHECK(Kezek(fmt::format("replay verify --data {}", rebuilt)).status == 0);
  CHECK(Kezek(fmt::format("projections verify --data {}", rebuilt)).status == 0);
  // The target must be new.
  CHECK(Kezek(fmt::format("replay rebuild --data {} --out {}", dir, rebuilt)).status == 2);

  // Inputs logged and not folded yet are pending, not a difference.
  {
    std::unique_ptr<Runtime> runtime;
    REQUIRE(Runtime::Open(dir, {}, &runtime).ok());
    const std::vector<std::string> more = {"{ still not an action", "{}"};
    REQUIRE(runtime->LogOnly(std::span<const std::string>(more)).ok());
  }
  run = Kezek(fmt::format("replay verify --data {} --json", dir));
  CHECK(run.status == 0);
  CHECK(run.out.find("\"pending_inputs\": 2") != std::string::npos);
}

TEST_CASE("replay verify: each tampering is found at its record") {
  const std::string dir = MakeDataDir("replay-tamper");
  const std::vector<Bytes> records = JournalOf(dir);
  REQUIRE(records.size() > 1000);
  const size_t k = EnteredQueueAtOrAfter(records, records.size() / 2);
  REQUIRE(k + 2 < records.size());
  Sha256Hasher hasher;

  SUBCASE("a changed byte, the frame's checksum made valid again") {
    std::vector<Bytes> tampered = records;
    tampered[k][tampered[k].size() - 5] ^= 0x01;
    const Run run = Kezek(fmt::format("replay verify --data {} --json", WithJournal(dir, "replay-byte", tampered)));
    CHECK(run.status == 1);
    CHECK(DivergentRecord(run.out) == static_cast<long>(k));
    // The chain breaks there too: at the record itself (if the byte fails the Verifier) or the next.
    CHECK((run.out.find(fmt::format("\"problem\": \"record {}:", k)) != std::string::npos ||
           run.out.find(fmt::format("\"problem\": \"record {}:", k + 1)) != std::string::npos));
  }
  SUBCASE("a changed byte of prev_sha256 (the fold leaves the hashing to the journal's side, and still finds it)") {
    std::vector<Bytes> tampered = records;
    const auto* prev = fb::GetJournalRecord(tampered[k].data())->prev_sha256();
    tampered[k][static_cast<size_t>(prev->data() - tampered[k].data()) + 7] ^= 0x10;
    const Run run = Kezek(fmt::format("replay verify --data {} --json", WithJournal(dir, "replay-prev", tampered)));
    CHECK(run.status == 1);
    CHECK(DivergentRecord(run.out) == static_cast<long>(k));
    CHECK(run.out.find("\"field\": \"prev_sha256\"") != std::string::npos);
    CHECK(run.out.find(fmt::format("\"problem\": \"record {}: breaks the hash chain", k)) != std::string::npos);
  }
  SUBCASE("a changed byte in the segment file (its checksum no longer matches)") {
    const std::string copy = WithJournal(dir, "replay-raw", records);
    bool changed = false;
    for (const auto& entry : fs::directory_iterator(fs::path(copy) / "journal")) {
      if (entry.path().extension() != ".seg") continue;
      Bytes file = ReadFileBytes(entry.path().string());
      const auto at = std::search(file.begin(), file.end(), records[k].begin(), records[k].end());
      if (at == file.end()) continue;
      *(at + 20) ^= 0x40;
      WriteFileBytes(entry.path().string(), file);
      changed = true;
    }
    REQUIRE(changed);
    const Run run = Kezek(fmt::format("replay verify --data {} --json", copy));
    CHECK(run.status == 1);
    CHECK(DivergentRecord(run.out) == static_cast<long>(k));
    CHECK(run.out.find(fmt::format("record {} cannot be read", k)) != std::string::npos);
  }
  SUBCASE("a deleted record") {
    std::vector<Bytes> tampered = records;
    tampered.erase(tampered.begin() + static_cast<long>(k));
    const Run run = Kezek(fmt::format("replay verify --data {} --json", WithJournal(dir, "replay-deleted", tampered)));
    CHECK(run.status == 1);
    CHECK(DivergentRecord(run.out) == static_cast<long>(k));
    CHECK(run.out.find(fmt::format("holds sequence {}", k + 1)) != std::string::npos);
  }
  SUBCASE("two records swapped") {
    std::vector<Bytes> tampered = records;
    std::swap(tampered[k], tampered[k + 1]);
    const Run run = Kezek(fmt::format("replay verify --data {} --json", WithJournal(dir, "replay-swapped", tampered)));
    CHECK(run.status == 1);
    CHECK(DivergentRecord(run.out) == static_cast<long>(k));
  }
  SUBCASE("a forged tail: a queue position changed, every later record re-chained (all hashes valid)") {
    std::vector<Bytes> tampered = records;
    fb::JournalRecordT forged;
    fb::GetJournalRecord(records[k].data())->UnPackTo(&forged);
    bool moved = false;
    for (auto& decision : forged.decisions) {
      if (auto* entered = decision->body.AsEnteredQueue(); entered != nullptr && !moved) {
        entered->position += 1;
        moved = true;
      }
    }
    REQUIRE(moved);
    flatbuffers::FlatBufferBuilder builder;
    fb::FinishJournalRecordBuffer(builder, fb::JournalRecord::Pack(builder, &forged));
    tampered[k].assign(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
    for (size_t i = k + 1; i < tampered.size(); ++i) Replace(tampered[i], hasher.Of(records[i - 1]), hasher.Of(tampered[i - 1]));
    const Run run = Kezek(fmt::format("replay verify --data {} --json", WithJournal(dir, "replay-forged", tampered)));
    CHECK(run.status == 1);
    CHECK(run.out.find("\"chain\": {\"intact\": true") != std::string::npos);  // the forgery's hashes are valid
    CHECK(DivergentRecord(run.out) == static_cast<long>(k));
    CHECK(run.out.find("\"field\": \"position\"") != std::string::npos);
  }
  SUBCASE("records appended that no input explains") {
    std::vector<Bytes> tampered = records;
    tampered.push_back(records.back());
    const Run run = Kezek(fmt::format("replay verify --data {} --json", WithJournal(dir, "replay-extra", tampered)));
    CHECK(run.status == 1);
    CHECK(DivergentRecord(run.out) == static_cast<long>(records.size()));
  }
  SUBCASE("a journal cut short of what the state reflects") {
    std::vector<Bytes> tampered(records.begin(), records.begin() + static_cast<long>(k));
    const Run run = Kezek(fmt::format("replay verify --data {} --json", WithJournal(dir, "replay-cut", tampered)));
    CHECK(run.status == 1);
    // The data directory does not open (its state reflects more); the state's finding says where.
    CHECK(run.out.find(fmt::format("but the journal holds {}", k)) != std::string::npos);
    CHECK(run.out.find("\"verified\": false") != std::string::npos);
  }
}

TEST_CASE("replay verify: the pass for an equal journal reads each record once and reports as the exact pass does") {
  const std::string dir = MakeDataDir("replay-passes");
  LogsInMemory logs = LogsOf(dir);
  const uint64_t records = logs.records.size();
  const uint64_t inputs = logs.inputs.size();
  REQUIRE(records > 1000);

  SUBCASE("an untouched journal: the first pass alone, each record read once") {
    const Passes passes = BothPasses(logs);
    CHECK(passes.json.find("\"verified\": true") != std::string::npos);
    CHECK(!passes.exact_pass);
    CHECK(passes.reads == records);
  }
  SUBCASE("a stored state, equal or not, is compared once; a difference there is a finding, not a second pass") {
    int asked = 0;
    const Passes equal = BothPasses(logs, StoredState(inputs, {}, &asked));
    CHECK(asked == 2);  // once a Verify
    CHECK(!equal.exact_pass);
    CHECK(equal.json.find("\"state\": {\"compared\": true, \"problem\": null") != std::string::npos);
    Sha256 other{};
    other[0] = 1;
    const Passes differs = BothPasses(logs, StoredState(inputs, other, &asked));
    CHECK(!differs.exact_pass);
    CHECK(differs.json.find("the stored state (after ") != std::string::npos);
    CHECK(differs.json.find("\"verified\": false") != std::string::npos);
  }
  SUBCASE("a stored state half-way and a changed record after it: asked once, though both passes reach it") {
    const uint64_t half = inputs / 2;
    const size_t k = EnteredQueueAtOrAfter(logs.records, FirstRecordOf(logs.records, half) + 10);
    logs.records[k][logs.records[k].size() - 5] ^= 0x01;
    int asked = 0;
    replay::VerifySource source = logs.Source();
    StoredState(half, {}, &asked)(source);
    const replay::VerifyReport report = replay::Verify(source, {});
    CHECK(report.exact_pass);
    CHECK(asked == 1);
    CHECK(report.state_compared);
    CHECK(report.state_problem.empty());
    REQUIRE(report.divergence);
    CHECK(report.divergence->record == k);
  }
  SUBCASE("a journal that ends between two inputs: the rest is pending") {
    const uint64_t input = inputs / 2;
    const size_t cut = FirstRecordOf(logs.records, input);
    logs.records.resize(cut);
    const Passes passes = BothPasses(logs);
    CHECK(!passes.exact_pass);
    CHECK(passes.reads == cut);
    CHECK(passes.json.find("\"verified\": true") != std::string::npos);
    CHECK(passes.json.find(fmt::format("\"pending_inputs\": {},", inputs - input)) != std::string::npos);
  }
  SUBCASE("a changed byte: the exact pass names it") {
    const size_t k = EnteredQueueAtOrAfter(logs.records, records / 2);
    logs.records[k][logs.records[k].size() - 5] ^= 0x01;
    const Passes passes = BothPasses(logs);
    CHECK(passes.exact_pass);
    CHECK(DivergentRecord(passes.json) == static_cast<long>(k));
  }
  SUBCASE("a record no input explains") {
    logs.records.push_back(logs.records.back());
    const Passes passes = BothPasses(logs);
    CHECK(passes.exact_pass);
    CHECK(DivergentRecord(passes.json) == static_cast<long>(records));
  }
  SUBCASE("an input that cannot be folded") {
    logs.inputs[inputs / 2] = Bytes{0xEE, 0x01};  // an unknown frame tag
    const Passes passes = BothPasses(logs);
    CHECK(passes.exact_pass);
    CHECK(passes.json.find("cannot be folded") != std::string::npos);
  }
  SUBCASE("the chain's checks without the Verifier (the first pass's) find a record skipped or a torn end") {
    Sha256Hasher sha256;
    events::JournalChain whole, skipped;
    for (const Bytes& r : logs.records) CHECK(whole.AddBuilt(r, sha256.Of(r)).empty());
    CHECK(whole.End().empty());
    CHECK(whole.head() == sha256.Of(logs.records.back()));
    CHECK(skipped.AddBuilt(logs.records[0], sha256.Of(logs.records[0])).empty());
    CHECK(skipped.AddBuilt(logs.records[2], sha256.Of(logs.records[2])).find("breaks the hash chain") != std::string::npos);
  }
  fs::remove_all(dir);
}

}  // namespace kezek::test
