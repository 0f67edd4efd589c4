// kezek replay: the auditor's tools over a data directory or a backup of one (docs/audit.md):
// verify (the hash chain and a fresh fold compared record by record, replay/verify.h) and rebuild
// (state, journal and read models made anew from the actions log alone, compared with the source).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/checkpoints.h"
#include "adapters/kafka/client.h"
#include "adapters/kafka/router.h"
#include "events/input.h"
#include "events/journal_chain.h"
#include "adapters/embedded/projection_store.h"
#include "adapters/embedded/runtime.h"
#include "adapters/embedded/segment_log.h"
#include "projections/summary.h"
#include "replay/verify.h"

namespace kezek::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kReplayUsage = R"(usage: kezek replay verify --data DIR [--expect-head HEX] [--json]
       kezek replay verify --kafka --brokers B --partition K|all [--prefix P] [--expect-head HEX] [--json]
       kezek replay rebuild --data DIR --out NEWDIR [--inputs-from-journal]
       kezek replay checkpoint --data DIR [--every N] [--keep K]
       kezek replay checkpoints --data DIR

The auditor's tools. DIR is a data directory ('kezek append', 'kezek serve') or a backup of one
('kezek backup'); both are read-only here and may be read while a writer appends.

  verify    checks the journal's SHA-256 hash chain end to end, then folds the actions log afresh
            with a new engine and compares every record it gives, byte for byte, with the
            journal's; then compares the fold's state hash with the stored state's. On the first
            difference it names the record, its input, the field, what was expected and what was
            found. Exit 0 when verified, 1 when not (or when a log cannot be read), 130 when
            interrupted (Ctrl-C or SIGTERM).
  rebuild   makes a new data directory NEWDIR (which must not exist) from DIR's actions log alone:
            the inputs copied, folded into a new journal and state, and the read models built
            from that journal; then compares the new journal with DIR's byte for byte and the
            state hashes. DIR's state is read only for that comparison: one that does not load is
            no obstacle (docs/audit.md, "A damaged state"). Exit 0 when equal, 1 when they differ
            or DIR's state does not load (NEWDIR is kept: when its journal is equal, it is the
            repair); a state DIR has not brought up to its actions log yet (inputs logged, not yet
            folded) is not compared, and said so. 130 when interrupted (Ctrl-C or SIGTERM, at any point before
            NEWDIR is whole: nothing is left, NEWDIR.rebuilding removed; a second one stops it at once
            and leaves NEWDIR.rebuilding marked unfinished, to remove). When DIR's actions log is the
            damaged log (or with --inputs-from-journal), the inputs are recovered from DIR's journal
            instead, its hash chain checked as it is read: each record's action, or the refusal it
            keeps (docs/audit.md, "A damaged actions log").

  checkpoint
            writes the checkpoints that as-of questions start from (docs/audit.md, "As of"):
            DIR/checkpoints/<record>.kzc, the state and the read models after every N journal
            records (at the end of the input that reaches each multiple), from the newest
            existing checkpoint on, folding the actions afresh and comparing each record with
            the journal's. Deterministic: the same journal gives the same files. Run it after
            'kezek append'/'run' ('kezek serve' writes them itself); it writes only there.
            With --keep K, at most K of its spacing stay: the newest, and older ones thinned to
            an even spacing that doubles as the history grows (docs/audit.md, "Retention":
            which of another --every count as its own); the ones removed are said. Exit 0, 1 when a log
            cannot be read, the fold differs or a checkpoint to thin could not be removed, 130
            when interrupted (the checkpoints written so far stay, each whole).
  checkpoints
            lists the checkpoints: record, inputs, engine time, head, state hash, size.

  verify --kafka
            the same over a Kafka deployment's partition K (docs/kafka.md): P.actions partition K
            folded afresh (each message at its offset, another producer's message as its
            refusal, as the engine member folds them) and compared with P.journal partition K,
            both read with read_committed; the state is the member's and is not compared.
            --partition all: every partition, one per core at a time, each report in partition
            order, then "all N partitions verified" (exit 0) or which were not (exit 1).

  --data DIR           the data directory or backup
  --expect-head HEX    (verify) the journal's last record must have this SHA-256 (an earlier
                       'kezek status' or 'kezek journal' printed it): a journal and actions log
                       forged together, consistently, are found only this way
  --json               (verify) print the report as one JSON object on standard output
  --out NEWDIR         (rebuild) where to build
  --inputs-from-journal
                       (rebuild) the inputs from DIR's journal, not its actions log
  --every N            (checkpoint) journal records between checkpoints (default 250000)
  --keep K             (checkpoint) keep at most K checkpoints, thinning the older (default 0:
                       keep every one; 'kezek serve' keeps 16)
  --kafka --brokers HOST:PORT[,...] --partition K|all [--prefix P (default kezek)] [--config FILE]
                       (verify) a Kafka deployment's partition (or all of them) instead of --data
  --help               this text

Progress goes to standard error: a line that redraws itself on a terminal, a line every 10 s
otherwise.
)";

int Fail(const adapters::Status& s) { return fmt::print(stderr, "kezek replay: {}\n", s.ToString()), 1; }

std::optional<Sha256> ParseHex(const std::string& hex) {
  Sha256 out{};
  if (hex.size() != 64) return std::nullopt;
  for (size_t i = 0; i < 32; ++i) {
    unsigned value = 0;
    for (const char c : hex.substr(2 * i, 2)) {
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
      else return std::nullopt;
    }
    out[i] = static_cast<uint8_t>(value);
  }
  return out;
}

// A runtime's messages, on standard error.
void SayReplay(const std::string& message) { fmt::print(stderr, "kezek replay: {}\n", message); }

// --expect-head, when given, into *expect; false (after saying why) when it is no SHA-256.
bool ExpectedHead(const Args& args, std::optional<Sha256>* expect) {
  if (!args.options.contains("--expect-head")) return true;
  *expect = ParseHex(args.options.at("--expect-head"));
  if (!*expect) fmt::print(stderr, "kezek replay: --expect-head takes 64 hex digits (a SHA-256)\n");
  return expect->has_value();
}

// Runs the verification of `source` with progress and Ctrl-C, prints its report (after `heading`,
// or as JSON), and gives the exit status: 0 verified, 1 not, 130 interrupted.
int Verified(const Args& args, const replay::VerifySource& source, const std::optional<Sha256>& expect,
             const std::string& heading) {
  Progress progress("replay", "verify: records", source.records);
  replay::VerifyOptions options;
  options.expect_head = expect;
  options.progress = [&](uint64_t done) { progress.Update(done); };
  options.stop = &Interrupted();
  CatchInterrupt(true);
  const replay::VerifyReport report = replay::Verify(source, options);
  CatchInterrupt(false);
  progress.Done();
  if (args.options.contains("--json")) {
    fmt::print("{}\n", replay::VerifyJson(report));
  } else {
    fmt::print("{}{}", heading, replay::VerifyText(report));
  }
  if (report.interrupted) return 130;
  return report.ok() ? 0 : 1;
}

int VerifyCommand(const Args& args) {
  std::optional<Sha256> expect;
  if (!ExpectedHead(args, &expect)) return 2;
  // The stored state is opened with the logs (what it reflects, and its head checked against the
  // journal); a state the logs contradict is itself a finding, and the logs are then verified
  // without it. The state itself is not loaded unless it must be (see state_hash below).
  const std::string data = args.options.at("--data");
  LogsOfDir logs;
  if (const auto s = OpenLogsOf(data, SayReplay, &logs); !s.ok()) {
    // Nothing to report on but why: a JSON consumer still gets its one object.
    if (args.options.contains("--json")) {
      fmt::print("{{\"verified\": false, \"problem\": {}}}\n", projections::JsonQuoted(s.ToString()));
    }
    return Fail(s);
  }
  std::unique_ptr<adapters::Runtime>& runtime = logs.runtime;
  std::future<std::pair<adapters::Status, Sha256>> stored;  // the stored entries hashed beside the fold
  replay::VerifySource source;
  if (runtime) {
    source.state_applied = runtime->applied();
    stored = std::async(std::launch::async, [&runtime] {
      Sha256 hash{};
      const adapters::Status read = runtime->StoredEntriesHash(&hash);
      return std::pair{read, hash};
    });
    // The stored entries' bytes equal to the fold's are the state; otherwise the state is loaded
    // as an opening loads it, and its hash (or why it does not load) is the finding.
    source.state_hash = [&stored, &runtime](const Sha256& fold_hash, std::string* problem) -> std::optional<Sha256> {
      const auto [read, hash] = stored.get();
      if (read.ok() && hash == fold_hash) return hash;
      if (const adapters::Status loaded = runtime->LoadState(); !loaded.ok()) {
        *problem = fmt::format("the stored state does not load: {}", loaded.ToString());
        return std::nullopt;
      }
      return runtime->engine().StateHash();
    };
  } else {
    source.state_problem = logs.open_problem;
  }
  adapters::SegmentLog& actions_log = logs.actions_log();
  adapters::SegmentLog& journal_log = logs.journal_log();
  source.inputs = actions_log.end();
  source.records = journal_log.end();
  source.input = [&](uint64_t index, std::vector<uint8_t>* bytes, std::string* error) {
    const auto s = actions_log.ReadRecord(index, bytes);
    if (!s.ok()) *error = s.ToString();
    return s.ok();
  };
  source.record = [&](uint64_t index, std::vector<uint8_t>* bytes, std::string* error) {
    const auto s = journal_log.ReadRecord(index, bytes);
    if (!s.ok()) *error = s.ToString();
    return s.ok();
  };
  const int code = Verified(args, source, expect, "");
  if (stored.valid()) {  // never compared (interrupted, or a difference first): leave without waiting for the hash
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);  // read-only: nothing to close
  }
  return code;
}

// A Kafka partition's inputs and records, read with read_committed, in memory, as a verification
// reads them (another producer's message as the engine member folds it: its refusal).
struct KafkaPartition {
  std::vector<std::vector<uint8_t>> inputs, records;
  std::vector<uint64_t> input_offsets;  // moved into the source (not copied: millions of them)
  replay::VerifySource Source() {
    replay::VerifySource source;
    source.inputs = inputs.size();
    source.records = records.size();
    source.input_offsets = std::move(input_offsets);
    source.input = [this](uint64_t index, std::vector<uint8_t>* bytes, std::string*) { return *bytes = inputs[index], true; };
    source.record = [this](uint64_t index, std::vector<uint8_t>* bytes, std::string*) { return *bytes = records[index], true; };
    return source;
  }
};

// How many partitions `topic` has.
adapters::Status TopicPartitions(const std::string& brokers, const std::string& topic, int* partitions) {
  adapters::kafka::Client client;
  adapters::Status s = adapters::kafka::MakeClient(RD_KAFKA_PRODUCER, brokers, {}, &client);
  return s.ok() ? adapters::kafka::PartitionCount(client.get(), topic, partitions) : s;
}

// Partition k of the `partitions` of the topics, read as the engine member folds it.
adapters::Status ReadKafkaPartition(const std::string& brokers, const adapters::kafka::Topics& topics, int32_t k,
                                    int partitions, KafkaPartition* out) {
  if (k >= partitions) {
    return adapters::Status::InvalidArgument(fmt::format("{} has {} partitions: there is no partition {}", topics.actions,
                                                         partitions, k));
  }
  adapters::Status s = adapters::kafka::ReadPartition(
      brokers, topics.actions, k, 0, [&](int64_t offset, std::string_view, std::optional<std::span<const uint8_t>> value) {
        std::vector<uint8_t> payload = value ? std::vector<uint8_t>(value->begin(), value->end()) : std::vector<uint8_t>();
        // As the engine member folds it: another producer's message or an action of another
        // partition becomes its refusal.
        if (auto refusal = adapters::kafka::Refusal(payload, k, partitions)) payload = std::move(*refusal);
        out->inputs.push_back(std::move(payload));
        out->input_offsets.push_back(static_cast<uint64_t>(offset));
        return !Interrupted().load();
      });
  if (!s.ok()) return s;
  return adapters::kafka::ReadPartition(brokers, topics.journal, k, 0,
                                        [&](int64_t, std::string_view, std::optional<std::span<const uint8_t>> value) {
                                          out->records.emplace_back(value ? std::vector<uint8_t>(value->begin(), value->end())
                                                                          : std::vector<uint8_t>());
                                          return !Interrupted().load();
                                        });
}

// verify --kafka --partition all: every partition, each read and verified on its own thread (one
// per core, partitions taken in turn), the reports printed in partition order once all are done.
int VerifyAllKafkaPartitions(const Args& args, const std::string& brokers, const std::string& prefix) {
  const auto topics = adapters::kafka::Topics::Of(prefix);
  int actions_partitions = 0, journal_partitions = 0;
  adapters::Status counted = TopicPartitions(brokers, topics.actions, &actions_partitions);
  if (counted.ok()) counted = TopicPartitions(brokers, topics.journal, &journal_partitions);
  if (!counted.ok()) return Fail(counted);
  if (actions_partitions != journal_partitions) {
    return Fail(adapters::Status::Corruption(fmt::format("{} has {} partitions and {} has {}: they must be equal",
                                                         topics.actions, actions_partitions, topics.journal,
                                                         journal_partitions)));
  }
  const int n = actions_partitions;
  const int threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, n);
  fmt::print(stderr, "kezek replay: verifying the {} partitions of {} and {} on {} threads (read_committed)\n", n,
             topics.actions, topics.journal, threads);
  struct Outcome {
    adapters::Status read;
    replay::VerifyReport report;
    double seconds = 0;
  };
  std::vector<Outcome> outcomes(static_cast<size_t>(n));
  std::atomic<int> next{0};
  std::mutex say;
  replay::VerifyOptions options;
  options.stop = &Interrupted();
  const auto work = [&] {
    for (int k = next++; k < n && !Interrupted().load(); k = next++) {
      const auto started = std::chrono::steady_clock::now();
      Outcome& outcome = outcomes[static_cast<size_t>(k)];
      KafkaPartition partition;
      outcome.read = ReadKafkaPartition(brokers, topics, k, n, &partition);
      if (outcome.read.ok()) outcome.report = replay::Verify(partition.Source(), options);
      outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::lock_guard lock(say);
      fmt::print(stderr, "kezek replay: partition {}: {} ({} inputs, {} records, {:.1f} s)\n", k,
                 !outcome.read.ok() ? "cannot be read" : outcome.report.interrupted ? "interrupted"
                 : outcome.report.ok()                  ? "verified" : "NOT verified",
                 partition.inputs.size(), partition.records.size(), outcome.seconds);
    }
  };
  CatchInterrupt(true);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  CatchInterrupt(false);
  const bool interrupted = Interrupted().load();
  int verified = 0, unreadable = 0;
  std::string text, json;
  for (int k = 0; k < n; ++k) {
    const Outcome& o = outcomes[static_cast<size_t>(k)];
    if (o.read.ok() && !o.report.interrupted && o.report.ok()) ++verified;
    if (!o.read.ok()) ++unreadable;
    if (!json.empty()) json += ", ";
    if (!o.read.ok()) {
      text += fmt::format("partition {} of {}.journal\ncannot be read: {}\n\n", k, prefix, o.read.ToString());
      json += fmt::format(R"({{"partition": {}, "read_problem": {}}})", k, projections::JsonQuoted(o.read.ToString()));
    } else {
      text += fmt::format("partition {} of {}.journal\n{}\n", k, prefix, replay::VerifyText(o.report));
      json += fmt::format(R"({{"partition": {}, "report": {}}})", k, replay::VerifyJson(o.report));
    }
  }
  const bool all = verified == n;
  if (args.options.contains("--json")) {
    fmt::print(R"({{"prefix": {}, "partitions": {}, "verified": {}, "all_verified": {}, "interrupted": {}, "reports": [{}]}})"
               "\n", projections::JsonQuoted(prefix), n, verified, all, interrupted, json);
  } else {
    fmt::print("{}{}\n", text, interrupted ? fmt::format("interrupted: {} of {} partitions verified", verified, n)
                               : all       ? fmt::format("all {} partitions verified", n)
                                           : fmt::format("NOT verified: {} of {} partitions verified{}", verified, n,
                                                         unreadable ? fmt::format(", {} unreadable", unreadable) : ""));
  }
  if (interrupted) return 130;
  return all ? 0 : 1;
}

// verify --kafka: the partition's inputs and records, read with read_committed, in memory.
int VerifyKafkaCommand(const Args& args) {
  const std::string brokers = args.options.at("--brokers");
  const std::string prefix = args.options.contains("--prefix") ? args.options.at("--prefix") : "kezek";
  if (args.options.at("--partition") == "all") {
    if (args.options.contains("--expect-head")) {
      return fmt::print(stderr, "kezek replay: --expect-head names one journal's head: give one --partition K\n"), 2;
    }
    return VerifyAllKafkaPartitions(args, brokers, prefix);
  }
  std::optional<Sha256> expect;
  if (!ExpectedHead(args, &expect)) return 2;
  const std::string& named = args.options.at("--partition");
  const bool digits = !named.empty() && named.size() <= 5 && named.find_first_not_of("0123456789") == std::string::npos;
  const std::optional<uint64_t> partition = digits ? std::optional<uint64_t>(std::stoul(named)) : std::nullopt;
  if (!partition || *partition > 65'535) {
    return fmt::print(stderr, "kezek replay: --partition is a partition number (0..65535) or all, not '{}'\n", adapters::Printable(named)), 2;
  }
  const auto topics = adapters::kafka::Topics::Of(prefix);
  const auto k = static_cast<int32_t>(*partition);
  fmt::print(stderr, "kezek replay: reading {} and {} partition {} (read_committed)\n", topics.actions, topics.journal, k);
  KafkaPartition data;
  int partitions = 0;
  adapters::Status s = TopicPartitions(brokers, topics.actions, &partitions);
  // A partition the topic does not have is a wrong argument, exit 2 (as `kezek kafka journal`
  // says it), not a partition that does not verify.
  if (s.ok() && k >= partitions) {
    return fmt::print(stderr, "kezek replay: {} has {} partitions: there is no partition {}\n", topics.actions, partitions, k), 2;
  }
  if (s.ok()) s = ReadKafkaPartition(brokers, topics, k, partitions, &data);
  if (!s.ok()) return Fail(s);
  return Verified(args, data.Source(), expect, fmt::format("partition {} of {}.journal\n", k, prefix));
}

int RebuildCommand(const Args& args) {
  // "DEST/" is DEST: the directory is made beside it as DEST.rebuilding, then renamed.
  std::string out = args.options.at("--out");
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  std::error_code error;
  if (fs::exists(out, error) || fs::is_symlink(out, error)) return fmt::print(stderr, "kezek replay: {}: already exists\n", adapters::Printable(out)), 2;
  // The source's logs are what a rebuild reads; its state only answers the comparison at the end,
  // so a state that does not load (what a rebuild repairs) does not stop it.
  const std::string data = args.options.at("--data");
  if (const auto s = adapters::CheckOutside(data, out); !s.ok()) return fmt::print(stderr, "kezek replay: {}\n", s.ToString()), 2;
  if (RefusedNewDataDirInside("replay", "--out", out)) return 2;
  LogsOfDir logs;
  // A journal damaged beyond a torn tail (a changed byte inside it) does not stop a rebuild either:
  // the actions log is opened alone, and the journal is not compared. Nor does a damaged actions
  // log: the journal holds every input it folded (each record its action, or the refusal with the
  // bytes kept), so the inputs are recovered from it (docs/audit.md, "A damaged actions log").
  std::string journal_problem, actions_problem;
  const bool asked_from_journal = args.options.contains("--inputs-from-journal");
  if (const auto s = OpenLogsOf(data, SayReplay, &logs); !s.ok()) {
    // One of the logs does not open (damaged, missing, not readable; a state that does not open
    // is read past by OpenLogsOf): the other one is what the rebuild reads, whichever it is. Not
    // for what is no data directory of this kind (no marker, a marker that says another).
    // Nor for a log this reader merely cannot read (an I/O error: permission, file descriptors):
    // the source is not damaged, and its inputs not yet folded would not be counted (a rebuild
    // from the journal then advised replacing a healthy source).
    std::error_code e;
    if (s.code() == adapters::Status::Code::kInvalidArgument || s.code() == adapters::Status::Code::kBusy ||
        s.code() == adapters::Status::Code::kIoError || !fs::is_regular_file(fs::path(data) / "KEZEK", e)) {
      return Fail(s);
    }
    adapters::SegmentLog::Options read_only;
    read_only.read_only = true;
    adapters::SegmentLog::Recovery recovery;
    logs = LogsOfDir{};
    if (adapters::SegmentLog::Open((fs::path(data) / "actions").string(), read_only, &logs.actions, &recovery).ok()) {
      journal_problem = s.ToString();
      logs.open_problem = "the source's journal does not open";
    } else if (adapters::SegmentLog::Open((fs::path(data) / "journal").string(), read_only, &logs.journal, &recovery).ok()) {
      actions_problem = s.ToString();
      logs.open_problem = "the source's actions log does not open";
    } else {
      return Fail(s);  // both logs damaged: nothing to rebuild from
    }
  }
  const bool from_journal = !actions_problem.empty() || asked_from_journal;
  if (from_journal && !journal_problem.empty()) {
    return fmt::print(stderr, "kezek replay: --inputs-from-journal: the source's journal does not open: {}\n", journal_problem), 1;
  }
  // Made under a name of its own and renamed to `out` once whole: a rebuild killed at any point,
  // inside the opening too (before the mark below is written), leaves no `out` that `run` would
  // take for an empty data directory.
  const std::string building = out + ".rebuilding";
  if (fs::exists(building, error) || fs::is_symlink(building, error)) {
    return fmt::print(stderr, "kezek replay: {} exists: a rebuild that stopped before it finished left it (or one "
                              "is running): remove it and rebuild\n", adapters::Printable(building)), 2;
  }
  // Until the new directory is whole (its journal, state and read models), a file in it says it is
  // not: a directory a rebuild left half-made is refused by every opening, not a short copy that
  // verifies. Marked before it is opened (a rebuild killed inside its opening left a directory
  // without the mark); made here, so that of two rebuilds to one NEWDIR the second is refused.
  // Ctrl-C from here on stops the rebuild at its next step and removes what it made (the fold's
  // chunks, below, are such steps); set before the directory is made, so that none is left unmarked.
  CatchInterrupt(true);
  if (fs::path(building).has_parent_path()) fs::create_directories(fs::path(building).parent_path(), error);
  if (::mkdir(building.c_str(), 0755) != 0) {
    const int why = errno;
    if (why == EEXIST) {
      return fmt::print(stderr, "kezek replay: {} exists: a rebuild that stopped before it finished left it (or one "
                                "is running): remove it and rebuild\n", adapters::Printable(building)), 2;
    }
    return Fail(adapters::Status::IoError(fmt::format("cannot create {}: {}", building, std::strerror(why))));
  }
  const fs::path unfinished = fs::path(building) / adapters::kUnfinishedFile;
  if (const auto s = adapters::MarkUnfinished(building, "a rebuild ('kezek replay rebuild') that stopped before it "
                                                        "finished: remove this directory and rebuild");
      !s.ok()) {
    fs::remove_all(building, error);
    return Fail(s);
  }
  adapters::Runtime::Options options;
  options.create = true;
  options.marked_unfinished = true;
  std::unique_ptr<adapters::Runtime> target;
  if (const auto s = adapters::Runtime::Open(building, options, &target); !s.ok()) {
    fs::remove_all(building, error);
    return Fail(s);
  }
  bool finished = false;
  const auto remove_unfinished = [&]() {
    if (finished) return;
    target.reset();
    fs::remove_all(building, error);
  };
  // The inputs copied (or recovered from the journal) and folded a chunk at a time, so that Ctrl-C
  // stops between chunks.
  constexpr uint64_t kChunk = 65'536;
  uint64_t inputs = 0, refusals = 0;
  std::string torn_tail;        // from the journal: its last input's later parts were not written
  uint64_t not_recovered = 0;   // from the journal: inputs the source's actions log holds past it
  const auto fold_chunk = [&]() {
    adapters::Status s = target->actions_log().Sync();
    return s.ok() ? target->CatchUp({}) : s;
  };
  // Ctrl-C, at any step before the name is given: what was made goes (`when` says where it stopped).
  const auto abandon = [&](const std::string& when) {
    target.reset();
    fs::remove_all(building, error);
    return fmt::print(stderr, "kezek replay: interrupted {}; {} removed\n", when, adapters::Printable(out)), 130;
  };
  const auto interrupted = [&](uint64_t done, uint64_t of, const char* what) {
    return abandon(fmt::format("after {} of {} {}", done, of, what));
  };
  if (!from_journal) {
    adapters::SegmentLog& source_actions = logs.actions_log();
    inputs = source_actions.end();
    Progress progress("replay", "rebuild: inputs", inputs);
    std::vector<uint8_t> payload;
    for (uint64_t from = 0; from < inputs; from += kChunk) {
      if (Interrupted().load()) return progress.Done(), interrupted(from, inputs, "inputs");
      for (uint64_t i = from; i < std::min(inputs, from + kChunk); ++i) {
        adapters::Status s = source_actions.ReadRecord(i, &payload);
        if (!s.ok() && s.code() == adapters::Status::Code::kCorruption) {
          // A sealed segment is read only now (the opening checks the last one): damage there
          // is found here, and the journal holds the same inputs.
          remove_unfinished();
          fmt::print(stderr, "kezek replay: {}\nkezek replay: the actions log is damaged at input {}: 'kezek replay "
                             "rebuild --data {} --out {} --inputs-from-journal' recovers the inputs from the journal\n",
                     s.ToString(), i, adapters::Printable(data), adapters::Printable(out));
          return 1;
        }
        if (s.ok()) s = target->actions_log().Append(payload);
        if (!s.ok()) return remove_unfinished(), Fail(s);
      }
      if (auto s = fold_chunk(); !s.ok()) return remove_unfinished(), Fail(s);
      progress.Update(std::min(inputs, from + kChunk));
    }
    progress.Done();
  } else {
    // Each input from its first record, the journal's chain checked as it is read: a journal that
    // is not whole gives no inputs to trust.
    adapters::SegmentLog& source_journal = logs.journal_log();
    const uint64_t records = source_journal.end();
    Progress progress("replay", "rebuild: journal records", records);
    events::JournalChain chain;
    std::string problem;
    adapters::Status failed;
    bool stopped = false;
    uint64_t at = 0;
    const adapters::Status read = source_journal.Read(0, [&](uint64_t index, std::span<const uint8_t> record) {
      at = index;
      if (Interrupted().load()) return stopped = true, false;
      if (problem = chain.Add(record); !problem.empty()) return false;
      events::RecoveredInput input = events::InputOfRecord(record);
      if (!input.first_part) return true;
      if (input.input_offset != inputs) {
        problem = fmt::format("record {} is of input {}, where input {} was next", index, input.input_offset, inputs);
        return false;
      }
      if (failed = target->actions_log().Append(input.payload); !failed.ok()) return false;
      refusals += input.refusal ? 1 : 0;
      if (++inputs % kChunk == 0) {
        if (failed = fold_chunk(); !failed.ok()) return false;
        progress.Update(index + 1);
      }
      return true;
    });
    progress.Done();
    if (stopped) return interrupted(at, records, "journal records");
    // A journal that ends inside an input (its later parts not written: a writer stopped between
    // them, or one writes beside this read) still holds the input's first part, so the input is
    // recovered and folded whole, its parts all written anew.
    if (problem.empty() && read.ok() && failed.ok()) torn_tail = chain.End();
    if (!problem.empty()) {
      remove_unfinished();
      return fmt::print(stderr, "kezek replay: the inputs cannot be recovered from the source's journal: {}\n", problem), 1;
    }
    if (!read.ok()) return remove_unfinished(), Fail(read);
    if (!failed.ok()) return remove_unfinished(), Fail(failed);
    if (auto s = fold_chunk(); !s.ok()) return remove_unfinished(), Fail(s);
    // Logged, not yet folded: the journal has no record of them (the actions log, when it opens,
    // says how many).
    if (logs.runtime || logs.actions) {
      const uint64_t logged = logs.actions_log().end();
      not_recovered = logged > inputs ? logged - inputs : 0;
    }
  }
  if (Interrupted().load()) return abandon("after the fold");
  // The read models from the new journal alone.
  std::unique_ptr<adapters::ProjectionStore> store;
  projections::ReadModels models;
  if (const auto s = adapters::OpenProjections((fs::path(building) / "projections").string(), target->journal_log(),
                                               /*rebuild=*/true, &store, &models, SayReplay);
      !s.ok()) {
    return Fail(s);
  }
  Sha256 projections_hash{};
  uint64_t entries = 0;
  if (const auto s = store->ContentHash(&projections_hash, &entries); !s.ok()) return Fail(s);
  if (Interrupted().load()) return store.reset(), abandon("after the fold");
  finished = true;
  // The new journal against the source's, record by record, over what the source had journaled.
  const uint64_t source_records = journal_problem.empty() ? logs.journal_log().end() : 0;
  const uint64_t records = std::min(source_records, target->journal().end());
  uint64_t differing = 0, first_differing = 0;
  std::vector<uint8_t> theirs;
  if (const auto s = target->journal_log().Read(0, [&](uint64_t index, std::span<const uint8_t> ours) {
        if (index >= records) return false;
        if (const auto r = logs.journal_log().ReadRecord(index, &theirs); !r.ok() ||
            !std::equal(ours.begin(), ours.end(), theirs.begin(), theirs.end())) {
          if (differing++ == 0) first_differing = index;
        }
        return true;
      });
      !s.ok()) {
    return Fail(s);
  }
  // The source's state, loaded only now.
  std::string source_state_problem;
  if (!logs.runtime) {
    source_state_problem = logs.open_problem;
  } else if (const auto loaded = logs.runtime->LoadState(); !loaded.ok()) {
    source_state_problem = fmt::format("the source's stored state does not load: {}", loaded.ToString());
  }
  const bool state_readable = source_state_problem.empty();
  const bool state_comparable = state_readable && logs.runtime->applied() == target->applied();
  const bool state_equal =
      state_comparable && logs.runtime->engine().StateHash() == target->engine().StateHash();
  fmt::print("rebuilt {} from {} inputs{}: {} journal records, state hash {}, read models {} entries (sha256 {})\n",
             adapters::Printable(out), inputs, from_journal ? " recovered from the source's journal" : "",
             target->journal().end(), projections::Hex(target->engine().StateHash()), entries,
             projections::Hex(projections_hash));
  if (from_journal) {
    // What the new actions log holds: each input as its record gives it. A refused line was never
    // kept whole (only the refusal and its first bytes), so it comes back as that refusal.
    fmt::print("actions: {}; {} inputs recovered as the refusals their records keep\n",
               actions_problem.empty() ? "recovered from the journal, as asked (--inputs-from-journal)"
                                       : fmt::format("recovered from the journal: the source's actions log does not open: {}",
                                                     actions_problem),
               refusals);
    if (!torn_tail.empty()) fmt::print("actions: the source's journal ends inside its last input ({}): that input was "
                                       "recovered from its first part and folded whole\n", torn_tail);
    if (not_recovered > 0) {
      fmt::print("actions: NOT RECOVERED: {} inputs the source logged after its journal's last record (not yet folded: "
                 "the journal has no record of them; 'kezek run --data {}' folds them, then rebuild)\n",
                 not_recovered, adapters::Printable(data));
    }
  }
  const bool journal_equal = journal_problem.empty() && differing == 0 && source_records <= target->journal().end();
  if (!journal_problem.empty()) {
    fmt::print("journal: not compared: the source's journal does not open: {}\n", journal_problem);
    fmt::print(stderr, "kezek replay: {} holds the journal the source's actions log gives; before it takes the source's "
                       "place, compare its head ('kezek status --data {}') with one published earlier\n",
               adapters::Printable(out), adapters::Printable(out));
  } else if (journal_equal) {
    fmt::print("journal: equal to the source's, {} records byte for byte{}\n", records,
               target->journal().end() <= records ? ""
               : !torn_tail.empty()
                   ? fmt::format(" (and {} more: the rest of its torn last input)", target->journal().end() - records)
                   : fmt::format(" (and {} more for inputs the source had not folded yet)", target->journal().end() - records));
  } else if (differing > 0) {
    fmt::print("journal: DIFFERS from the source's at {} of {} records, first at record {} ('kezek replay verify --data {}' "
               "names what)\n", differing, records, first_differing, adapters::Printable(data));
  } else {
    fmt::print("journal: the source holds {} records, the rebuild {}: the source's journal runs past its actions{}\n",
               source_records, target->journal().end(),
               from_journal ? "" : " ('--inputs-from-journal' recovers the inputs from the journal)");
  }
  if (!state_readable) {
    fmt::print("state: not compared: {}\n", source_state_problem);
    if (journal_equal && from_journal) {
      fmt::print(stderr, "kezek replay: {} is a whole data directory whose actions were recovered from the source's "
                         "journal, its journal equal to the source's: to recover, stop whatever writes {} and put {} in "
                         "its place (inputs the source logged after its journal's last record, not yet folded, are not "
                         "in it: send them again)\n",
                 adapters::Printable(out), adapters::Printable(data), adapters::Printable(out));
    } else if (journal_equal) {
      fmt::print(stderr, "kezek replay: {} is a whole data directory made from the actions log alone, its journal equal "
                         "to the source's: to recover, stop whatever writes {} and put {} in its place\n",
                 adapters::Printable(out), adapters::Printable(data), adapters::Printable(out));
    }
  } else if (state_comparable) {
    fmt::print("state: {}\n", state_equal ? "equal to the source's (state hash)" : "DIFFERS from the source's state hash");
  } else {
    fmt::print("state: not compared (the source's state reflects {} inputs, the rebuild {})\n", logs.runtime->applied(),
               target->applied());
  }
  // Whole: closed, and given its name (unless interrupted meanwhile: then nothing is left).
  store.reset();
  target.reset();
  // The handler stays to the end: a first Ctrl-C from here on is too late to stop anything (the
  // rebuild is whole) and does not kill the process either (its report would be lost, its exit
  // status say 130 beside a whole NEWDIR); a second one does (CatchInterrupt), leaving
  // NEWDIR.rebuilding marked unfinished.
  if (Interrupted().load()) return abandon("before it was named");
  // The mark goes only now, just before the name: a rebuild killed during its comparison left a
  // whole NEWDIR.rebuilding without it, which every command took (its comparison never said).
  if (!fs::remove(unfinished, error) || error) {
    return Fail(adapters::Status::IoError(fmt::format("cannot remove {}: {}", unfinished.string(), error.message())));
  }
  if (fs::rename(building, out, error); error) {
    // Marked again: a NEWDIR.rebuilding left unnamed is not taken for a whole directory.
    const std::error_code rename_error = error;
    (void)adapters::MarkUnfinished(building, "a rebuild ('kezek replay rebuild') that could not give its directory "
                                             "its name: remove this directory and rebuild");
    return Fail(adapters::Status::IoError(fmt::format("cannot rename {} to {}: {}", building, out, rename_error.message())));
  }
  return journal_equal && state_readable && (state_equal || !state_comparable) && not_recovered == 0 ? 0 : 1;
}

int CheckpointCommand(const Args& args) {
  const auto every = Number(args, "--every", adapters::kCheckpointEveryDefault);
  if (!every) return 2;
  if (*every == 0) return fmt::print(stderr, "kezek replay: --every is at least 1\n"), 2;
  const auto keep = Number(args, "--keep", 0);
  if (!keep) return 2;
  if (*keep > adapters::kCheckpointsMax) {
    return fmt::print(stderr, "kezek replay: --keep: 0 (keep every one) or how many to keep, at most {}\n",
                      adapters::kCheckpointsMax), 2;
  }
  // Checkpoints come from the logs alone (folded afresh, each record compared with the journal's):
  // the stored state is not loaded.
  const std::string data = args.options.at("--data");
  LogsOfDir logs;
  if (const auto s = OpenLogsOf(data, SayReplay, &logs); !s.ok()) return Fail(s);
  CatchInterrupt(true);
  Progress progress("replay", "checkpoint: records", logs.journal_log().end());
  adapters::CheckpointBuild build;
  build.every = *every;
  build.keep = *keep;
  build.stop = &Interrupted();
  build.progress = [&](uint64_t done) { progress.Update(done); };
  build.written = [&](const adapters::CheckpointInfo& c) {
    progress.Say(fmt::format("checkpoint at record {} ({} inputs, {}): {} bytes, state hash {}", c.sequence, c.inputs,
                             IsoUtc(InstantMs{c.engine_time_ms}), c.bytes, projections::Hex(c.state_hash)));
  };
  build.removed = [&](const adapters::CheckpointInfo& c) {
    progress.Say(fmt::format("checkpoint at record {} removed (--keep {}): {} bytes", c.sequence, build.keep, c.bytes));
  };
  adapters::CheckpointBuildReport report;
  const auto s = adapters::BuildCheckpoints(data, logs.actions_log(), logs.journal_log(), build, &report);
  progress.Done();
  CatchInterrupt(false);
  for (const std::string& note : report.notes) fmt::print(stderr, "kezek replay: {}\n", note);
  if (!s.ok()) return Fail(s);
  fmt::print("{} checkpoint{} written, {} records folded from {}{}{}\n", report.written, report.written == 1 ? "" : "s",
             report.folded,
             report.started_at == 0 ? std::string("the journal's start") : fmt::format("the checkpoint at record {}", report.started_at),
             report.removed == 0 ? std::string() : fmt::format("; {} older removed (--keep {})", report.removed, build.keep),
             report.interrupted ? " (interrupted)" : "");
  if (report.not_removed > 0) {
    fmt::print(stderr, "kezek replay: {} checkpoint{} --keep {} thins could not be removed (above)\n", report.not_removed,
               report.not_removed == 1 ? "" : "s", build.keep);
  }
  return report.interrupted ? 130 : report.not_removed > 0 ? 1 : 0;
}

int CheckpointsCommand(const Args& args) {
  std::vector<adapters::CheckpointInfo> checkpoints;
  std::vector<std::string> skipped;
  if (const auto s = adapters::ListCheckpoints(args.options.at("--data"), &checkpoints, &skipped); !s.ok()) return Fail(s);
  for (const std::string& why : skipped) fmt::print(stderr, "kezek replay: not a usable checkpoint: {}\n", why);
  fmt::print("{:>12} {:>12} {:<24} {:<64} {:>12}\n", "record", "inputs", "engine time", "state hash", "bytes");
  for (const auto& c : checkpoints) {
    fmt::print("{:>12} {:>12} {:<24} {:<64} {:>12}\n", c.sequence, c.inputs, IsoUtc(InstantMs{c.engine_time_ms}),
               projections::Hex(c.state_hash), c.bytes);
  }
  return 0;
}

}  // namespace

int Replay(int argc, char** argv) {
  if (argc < 3) return fmt::print(stderr, "{}", kReplayUsage), 2;
  const std::string action = argv[2];
  if (action == "--help" || action == "-h") return fmt::print("{}", kReplayUsage), 0;
  if (action != "verify" && action != "rebuild" && action != "checkpoint" && action != "checkpoints") {
    return fmt::print(stderr, "kezek replay: unknown action '{}' (verify, rebuild, checkpoint, checkpoints)\n{}",
                      adapters::Printable(action), kReplayUsage), 2;
  }
  auto args = Parse(argc, argv, 3, {"--data", "--out", "--expect-head", "--every", "--keep", "--brokers", "--prefix", "--config",
                                     "--partition"}, {"--json", "--kafka", "--inputs-from-journal"});
  if (!args) return fmt::print(stderr, "{}", kReplayUsage), 2;
  if (args->help) return fmt::print("{}", kReplayUsage), 0;
  if (args->options.contains("--kafka")) {
    if (!MergeConfig(&*args, {"--brokers", "--prefix"})) return 2;
    if (action != "verify" || args->options.contains("--data") || args->options.contains("--out") ||
        args->options.contains("--inputs-from-journal") ||
        args->options.contains("--every") || args->options.contains("--keep") || !args->options.contains("--brokers") || !args->options.contains("--partition") ||
        !args->positional.empty()) {
      return fmt::print(stderr, "kezek replay: --kafka goes with verify, --brokers and --partition (not --data)\n{}",
                        kReplayUsage), 2;
    }
    return VerifyKafkaCommand(*args);
  }
  for (const char* kafka_only : {"--brokers", "--prefix", "--config", "--partition"}) {
    if (args->options.contains(kafka_only)) {
      return fmt::print(stderr, "kezek replay: {} goes with --kafka\n{}", kafka_only, kReplayUsage), 2;
    }
  }
  if (!args->positional.empty()) {
    return fmt::print(stderr, "kezek replay: unexpected argument '{}'\n{}", args->positional[0], kReplayUsage), 2;
  }
  if (!args->options.contains("--data")) return fmt::print(stderr, "kezek replay: --data is required\n{}", kReplayUsage), 2;
  // Each action's own options; another is named ("--json does not go with checkpoint").
  static const std::map<std::string_view, std::set<std::string_view>> kOwn = {
      {"verify", {"--data", "--expect-head", "--json"}},
      {"rebuild", {"--data", "--out", "--inputs-from-journal"}},
      {"checkpoint", {"--data", "--every", "--keep"}},
      {"checkpoints", {"--data"}}};
  for (const auto& [option, value] : args->options) {
    if (!kOwn.at(action).contains(option)) {
      return fmt::print(stderr, "kezek replay: {} does not go with {}\n{}", option, action, kReplayUsage), 2;
    }
  }
  if (action == "checkpoint") return CheckpointCommand(*args);
  if (action == "checkpoints") return CheckpointsCommand(*args);
  if (action == "verify") return VerifyCommand(*args);
  if (!args->options.contains("--out")) {
    return fmt::print(stderr, "kezek replay: rebuild needs --out NEWDIR\n{}", kReplayUsage), 2;
  }
  return RebuildCommand(*args);
}

}  // namespace kezek::cli
