// The embedded durable runtime: exactly-once across crashes. A crash campaign kills the runtime
// with SIGKILL at seeded points (a child process dies at its n-th crash point: inputs durable but
// not folded, records buffered, journal durable but state not written, state written) while it
// folds a long history; after every restart the journal must equal, byte for byte, the journal of
// an uncrashed in-memory fold, and the state hash must match: nothing duplicated, nothing lost.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "adapters/embedded/rocksdb_state_store.h"
#include "adapters/embedded/runtime.h"
#include "workload/simulation.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

namespace fs = std::filesystem;
using adapters::Runtime;


struct History {
  std::vector<std::string> lines;
  std::vector<std::vector<uint8_t>> records;  // of an uncrashed in-memory fold
  Sha256 state_hash{};
};

void FoldAll(History* h);

History MakeHistory(uint64_t seed, uint32_t applications) {
  workload::SimulationOptions options;
  options.seed = seed;
  options.applications = applications;
  options.months = 12;
  events::Codec codec;
  History h;
  workload::SimulationSummary summary;
  std::string error;
  REQUIRE(workload::Simulate(options, [&](std::span<const uint8_t> b) { h.lines.push_back(codec.ActionToJson(b)); }, &summary, &error));
  h.lines.insert(h.lines.begin() + static_cast<long>(h.lines.size() / 2), "{ this line is no JSON");
  FoldAll(&h);
  return h;
}

// The records and state hash of h->lines folded in memory by one codec and one engine.
void FoldAll(History* h) {
  events::Codec codec;
  Engine engine;
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < h->lines.size(); ++i) {
    const events::CodecError e = codec.ParseAction(h->lines[i], &bytes);
    const ApplyResult r = e.code == fb::RejectionCode::None
                              ? engine.Apply(bytes, i)
                              : engine.RejectInput({reinterpret_cast<const uint8_t*>(h->lines[i].data()), h->lines[i].size()},
                                                   e.code, e.reason, i);
    for (const auto record : r.records) h->records.emplace_back(record.begin(), record.end());
  }
  h->state_hash = engine.StateHash();
}

Runtime::Options Quiet(size_t batch = 25) {
  Runtime::Options options;
  options.create = true;
  options.batch_max = batch;
  options.log.segment_bytes = 256 * 1024;  // several segments
  return options;
}

std::unique_ptr<Runtime> OpenOrFail(const std::string& dir, const Runtime::Options& options) {
  std::unique_ptr<Runtime> runtime;
  const adapters::Status s = Runtime::Open(dir, options, &runtime);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return runtime;
}

void CheckAgainst(const History& h, const std::string& dir) {
  auto runtime = OpenOrFail(dir, Quiet());
  CHECK(runtime->actions().end() == h.lines.size());
  CHECK(runtime->applied() == h.lines.size());
  REQUIRE(runtime->journal().end() == h.records.size());
  uint64_t differing = 0;
  REQUIRE(runtime->journal_log().Read(0, [&](uint64_t i, std::span<const uint8_t> r) {
    differing += !std::equal(r.begin(), r.end(), h.records[i].begin(), h.records[i].end());
    return true;
  }).ok());
  CHECK(differing == 0);
  CHECK(runtime->engine().StateHash() == h.state_hash);
}

// Runs the kezek binary with `args` in a child process (fork + exec: nothing of this process's
// threads is inherited); true if it was killed by SIGKILL, false if it exited 0.
bool RunKezek(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  const std::string binary = KEZEK_BINARY;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) {
    REQUIRE(WTERMSIG(status) == SIGKILL);
    return true;
  }
  REQUIRE_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0), "kezek ", args.front(), " ended with status ", status);
  return false;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& line : lines) out << line << '\n';
}

}  // namespace

TEST_CASE("runtime: a durable fold equals the in-memory fold, and resumes after reopening") {
  const History h = MakeHistory(11, 300);
  const std::string dir = TempDir("resume");
  const auto applied_as_read = [&] {
    std::unique_ptr<Runtime> reader;  // read-only: folds nothing, shows the state as stored
    const adapters::Status s = Runtime::OpenReadOnly(dir, Quiet(100), &reader);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return reader->applied();
  };
  {
    // Write-behind (kezek append's): each batch's state write lands beside the next batch's fold;
    // once settled, a reader opening the directory (the writer still open) finds all 700.
    Runtime::Options options = Quiet(100);
    options.write_behind = true;
    auto runtime = OpenOrFail(dir, options);
    const std::span<const std::string> all(h.lines);
    REQUIRE(runtime->Append(all.first(600), {}).ok());
    REQUIRE(runtime->Settle().ok());
    CHECK(applied_as_read() == 600);
    REQUIRE(runtime->Append(all.subspan(600, 100), {}).ok());
  }
  CHECK(applied_as_read() == 700);  // closing landed the last write
  {
    auto runtime = OpenOrFail(dir, Quiet(100));
    CHECK(runtime->applied() == 700);
    std::vector<uint64_t> answered;
    REQUIRE(runtime->Append(std::span<const std::string>(h.lines).subspan(700), [&](const Runtime::Answer& a) {
      answered.push_back(a.input);
    }).ok());
    CHECK(answered.size() == h.lines.size() - 700);
    CHECK(answered.front() == 700);
  }
  CheckAgainst(h, dir);
  fs::remove_all(dir);
}

TEST_CASE("runtime: the state store writes a commit only after the journal's sync it waits for succeeded") {
  const std::string dir = TempDir("state-after");
  fs::create_directories(dir);
  for (const bool pipelined : {false, true}) {
    CAPTURE(pipelined);
    const std::string path = (fs::path(dir) / (pipelined ? "pipelined" : "direct")).string();
    adapters::RocksDbStateStore::Options options;
    options.pipelined = pipelined;
    std::unique_ptr<adapters::RocksDbStateStore> store;
    REQUIRE(adapters::RocksDbStateStore::Open(path, options, &store).ok());
    Engine engine;
    const auto commit = [&](uint64_t applied, adapters::Status journal) {
      adapters::StateCommit c;
      c.applied = applied;
      c.changes = [&](const std::function<void(const state_codec::Put&)>& put) { engine.DrainChanges(put); };
      std::promise<adapters::Status> synced;
      c.after = synced.get_future().share();
      std::thread journal_side([&synced, journal] {  // the journal's sync ends later, on another thread
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        synced.set_value(journal);
      });
      adapters::Status s = store->Commit(c);
      if (s.ok()) s = store->Drain();
      journal_side.join();
      return s;
    };
    REQUIRE(commit(5, adapters::Status::Ok()).ok());
    const adapters::Status failed = commit(9, adapters::Status::IoError("the journal's disk is full"));
    CHECK(failed.code() == adapters::Status::Code::kIoError);
    CHECK(failed.message() == "the journal's disk is full");
    adapters::StateStore::Meta meta;
    REQUIRE(store->LoadMeta(&meta).ok());
    CHECK(meta.applied == 5);  // the second commit was never written
  }
  fs::remove_all(dir);
}

TEST_CASE("runtime: read-only with the state deferred: the logs checked against what it reflects, the state loaded later is the opening's") {
  const History h = MakeHistory(41, 200);
  const std::string dir = TempDir("deferred");
  const std::span<const std::string> all(h.lines);
  const size_t half = h.lines.size() / 2;
  REQUIRE(OpenOrFail(dir, Quiet(100))->Append(all.first(half), {}).ok());
  Sha256 at_half{};
  {
    std::unique_ptr<Runtime> whole;
    REQUIRE(Runtime::OpenReadOnly(dir, {}, &whole).ok());
    at_half = whole->engine().StateHash();
  }
  Runtime::Options deferred;
  deferred.defer_state = true;
  std::unique_ptr<Runtime> reader;
  REQUIRE(Runtime::OpenReadOnly(dir, deferred, &reader).ok());
  CHECK(reader->applied() == half);
  CHECK(reader->engine().state().next_sequence == 0);  // not loaded yet
  // A writer goes on meanwhile (and flushes its state when it closes); the reader's state is still
  // the one its opening checked: its entries' bytes hash to that state's hash without loading
  // them (verify's fast path), and it loads on another thread as kezek replay verify loads it.
  {
    auto writer = OpenOrFail(dir, Quiet(100));
    REQUIRE(writer->Append(all.subspan(half), {}).ok());
  }
  Sha256 entries{};
  REQUIRE(reader->StoredEntriesHash(&entries).ok());
  CHECK(entries == at_half);
  auto loaded = std::async(std::launch::async, [&] { return reader->LoadState(); });
  const adapters::Status s = loaded.get();
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(reader->applied() == half);
  CHECK(reader->engine().StateHash() == at_half);
  CHECK(reader->engine().state().next_sequence > 0);
  reader.reset();
  CheckAgainst(h, dir);
  fs::remove_all(dir);
}

TEST_CASE("runtime: a reader opening while a writer appends sees no journal record whose input it does not see") {
  const History h = MakeHistory(43, 150);
  const std::string dir = TempDir("reader-beside-writer");
  const std::span<const std::string> all(h.lines);
  const size_t half = h.lines.size() / 2;
  auto writer = OpenOrFail(dir, Quiet(50));
  REQUIRE(writer->Append(all.first(half), {}).ok());
  const uint64_t records_at_half = writer->journal().end();
  // The writer appends the rest (inputs logged, folded, records in the journal) between the
  // reader's two log openings: the worst moment.
  Runtime::Options options;
  options.between_logs = [&] { REQUIRE(writer->Append(all.subspan(half), {}).ok()); };
  std::unique_ptr<Runtime> reader;
  const adapters::Status s = Runtime::OpenReadOnly(dir, options, &reader);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(reader->journal().end() == records_at_half);  // the journal as it was
  CHECK(reader->actions().end() == h.lines.size());   // every input, the rest pending to this reader
  CHECK(writer->journal().end() > records_at_half);
  reader.reset();
  writer.reset();
  CheckAgainst(h, dir);
  fs::remove_all(dir);
}

TEST_CASE("runtime: a large batch's lines, encoded on two threads, give the journal of one codec folding them in order") {
  // Batches of at least 1024 lines are encoded on two threads (adapters/partition.cc, LogInputs):
  // the inputs logged, the records and the state are still those of one codec and one engine,
  // rejected lines (no JSON, an unknown kind, a wrong type, a too-long line) among them.
  History h = MakeHistory(12, 600);
  REQUIRE(h.lines.size() > 4096 + 1024);  // a full batch, and a last one still on two threads
  for (size_t at = 7; at < h.lines.size(); at += 613) {
    h.lines.insert(h.lines.begin() + static_cast<long>(at),
                   std::vector<std::string>{"[]", R"({"schema_version": 1, "body_type": "Nothing"})",
                                            R"({"schema_version": "one"})", std::string(70'000, ' ') + "{}"}[at % 4]);
  }
  h.records.clear();
  FoldAll(&h);
  const std::string dir = TempDir("two-threads");
  {
    auto runtime = OpenOrFail(dir, Quiet(4096));
    REQUIRE(runtime->Append(h.lines, {}).ok());
  }
  CheckAgainst(h, dir);
  fs::remove_all(dir);
}

TEST_CASE("runtime: crash campaign: SIGKILL at seeded points, journal byte-identical after every restart") {
  const char* seed_text = std::getenv("KEZEK_TEST_SEED");
  const uint64_t seed = seed_text == nullptr ? 4242 : std::strtoull(seed_text, nullptr, 10);
  MESSAGE("crash campaign seed ", seed, " (replay with KEZEK_TEST_SEED=", seed, ")");
  workload::Random random(seed);
  uint64_t crashes = 0;
  for (int pass = 0; pass < 3; ++pass) {
    CAPTURE(pass);
    const History h = MakeHistory(100 + static_cast<uint64_t>(pass), 250);
    const std::string dir = TempDir(fmt::format("crash-{}", pass));
    const bool through_append = pass == 2;  // passes 0-1: log first, then fold; pass 2: append path
    const std::string input = dir + ".jsonl";
    WriteLines(input, h.lines);
    if (!through_append) REQUIRE_FALSE(RunKezek({"append", "--data", dir, "--log-only", "--quiet", input}));
    for (int round = 0;; ++round) {
      REQUIRE(round < 2000);
      const std::string crash_at = std::to_string(1 + random.Below(9));
      const bool crashed =
          through_append
              ? RunKezek({"append", "--data", dir, "--batch", "20", "--resume", "--quiet", "--crash-at", crash_at, input})
              : RunKezek({"run", "--data", dir, "--batch", "20", "--crash-at", crash_at});
      if (!crashed) break;
      ++crashes;
    }
    fs::remove(input);
    CheckAgainst(h, dir);
    fs::remove_all(dir);
  }
  MESSAGE(crashes, " crashes survived");
  CHECK(crashes >= 100);
}

TEST_CASE("runtime: a second process on the same data directory is refused with a clear message") {
  const std::string dir = TempDir("lock");
  auto first = OpenOrFail(dir, Quiet());
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const std::string binary = KEZEK_BINARY;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // another process: kezek run (a writer) on the same directory
    ::dup2(pipe_fds[1], 2);
    ::close(pipe_fds[0]);
    ::execl(binary.c_str(), binary.c_str(), "run", "--data", dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(message.find("in use by another process") != std::string::npos);
  CHECK(message.find(fmt::format("pid {}", ::getpid())) != std::string::npos);
  first.reset();
  CHECK(OpenOrFail(dir, Quiet()) != nullptr);  // free again once the first closes
  fs::remove_all(dir);
}

TEST_CASE("runtime: missing and foreign directories are refused, nothing in them touched") {
  const std::string missing = TempDir("missing");
  std::unique_ptr<Runtime> runtime;
  Runtime::Options options = Quiet();
  options.create = false;
  adapters::Status s = Runtime::Open(missing, options, &runtime);
  CHECK(s.code() == adapters::Status::Code::kNotFound);
  CHECK_FALSE(fs::exists(missing));

  const std::string foreign = TempDir("foreign");
  fs::create_directories(foreign);
  std::ofstream(fs::path(foreign) / "notes.txt") << "someone's files";
  s = Runtime::Open(foreign, Quiet(), &runtime);
  CHECK(s.code() == adapters::Status::Code::kInvalidArgument);
  CHECK(s.message().find("foreign directory") != std::string::npos);
  CHECK(std::distance(fs::directory_iterator(foreign), fs::directory_iterator{}) == 1);
  fs::remove_all(foreign);
}

TEST_CASE("runtime: a backup opens as a data directory with the same state, and goes on alone") {
  const History h = MakeHistory(21, 200);
  const std::string dir = TempDir("backup-source");
  const std::string copy = TempDir("backup-copy");
  const size_t half = h.lines.size() / 2;
  {
    auto runtime = OpenOrFail(dir, Quiet(200));
    REQUIRE(runtime->Append(std::span<const std::string>(h.lines).first(half), {}).ok());
    const adapters::Status s = runtime->Backup(copy);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    CHECK(runtime->Backup(copy).code() == adapters::Status::Code::kInvalidArgument);  // never overwrites
  }
  {
    auto restored = OpenOrFail(copy, Quiet(200));
    CHECK(restored->applied() == half);
    REQUIRE(restored->Append(std::span<const std::string>(h.lines).subspan(half), {}).ok());
  }
  CheckAgainst(h, copy);
  fs::remove_all(dir);
  fs::remove_all(copy);
}

TEST_CASE("runtime: a journal altered behind the state's back is found when the record is re-derived") {
  const History h = MakeHistory(31, 120);
  const std::string dir = TempDir("altered");
  {
    auto runtime = OpenOrFail(dir, Quiet(50));
    REQUIRE(runtime->LogOnly(h.lines).ok());
  }
  // Fold in a child that dies right after the journal is durable and before the state is written.
  // crash point 2 of a run: after the first batch's journal fsync, before its state write
  REQUIRE(RunKezek({"run", "--data", dir, "--batch", "50", "--crash-at", "2"}));
  // Alter one byte of the first journal record's payload (its frame checksum updated to match).
  std::string segment;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "journal")) segment = e.path().string();
  std::vector<uint8_t> bytes = ReadFileBytes(segment);
  REQUIRE(bytes.size() > 100);
  const uint32_t length = uint32_t{bytes[4]} | uint32_t{bytes[5]} << 8 | uint32_t{bytes[6]} << 16 | uint32_t{bytes[7]} << 24;
  bytes[12 + length - 1] ^= 0x01;
  const uint32_t check = adapters::FrameChecksum(length, {bytes.data() + 12, length});
  for (int i = 0; i < 4; ++i) bytes[8 + static_cast<size_t>(i)] = static_cast<uint8_t>(check >> (8 * i));
  WriteFileBytes(segment, bytes);
  std::unique_ptr<Runtime> runtime;
  const adapters::Status s = Runtime::Open(dir, Quiet(50), &runtime);
  CHECK(s.code() == adapters::Status::Code::kCorruption);
  CHECK(s.message().find("record 0 differs") != std::string::npos);
  fs::remove_all(dir);
}

}  // namespace kezek::test

TEST_CASE("runtime: Printable escapes control characters, C1 controls, directional marks and bytes that are not UTF-8, and keeps UTF-8 text") {
  using kezek::adapters::Printable;
  CHECK(Printable("Алматы/data-1") == "Алматы/data-1");
  CHECK(Printable("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(Printable("a\nb") == "a\\x0ab");
  CHECK(Printable("a\nb", /*keep_newlines=*/true) == "a\nb");
  CHECK(Printable("\xc2\x9b" "31m") == "\\xc2\\x9b31m");           // U+009B, an 8-bit CSI
  CHECK(Printable("a\xe2\x80\xae" "b") == "a\\xe2\\x80\\xaeb");    // U+202E, right-to-left override
  CHECK(Printable("\xff\xfe") == "\\xff\\xfe");                    // not UTF-8
  CHECK(Printable("\xd0") == "\\xd0");                              // a sequence cut short
  CHECK(Printable("\xc0\xaf") == "\\xc0\\xaf");                    // an overlong '/'
  CHECK(Printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");           // a surrogate
  CHECK(Printable("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");      // U+1F600 stays
}
