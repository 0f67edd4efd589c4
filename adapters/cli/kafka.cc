// kezek kafka (init, journal, route), and the Kafka forms of run and append: the engine as a
// consumer-group member (adapters/kafka/member.h) and the publisher of actions.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/cli/line_reader.h"
#include "adapters/embedded/journal_file.h"
#include "adapters/kafka/client.h"
#include "adapters/kafka/journal_topic.h"
#include "adapters/kafka/member.h"
#include "adapters/kafka/router.h"
#include "adapters/limits.h"
#include "decisions_generated.h"
#include "events/answer.h"
#include "engine/sha256.h"
#include "events/codec.h"
#include "events/input.h"
#include "projections/summary.h"

namespace kezek::cli {
namespace {

namespace kafka = adapters::kafka;
using adapters::Status;

constexpr const char* kConnection = R"(  --brokers HOST:PORT[,...]   the Kafka bootstrap servers (required)
  --prefix P        the topics' prefix: P.actions, P.journal, P.state (default kezek)
  --config FILE     settings as 'key = value' lines (brokers, prefix, group, instance, data,
                    partitions, batch: one file for every Kafka command, each taking the keys it
                    has flags for); a flag given too wins; '#' starts a comment
)";

constexpr const char* kKafkaUsage = R"(usage: kezek kafka init --brokers B --partitions N [--prefix P]
       kezek kafka journal --brokers B --partition N [--journal FILE] [--prefix P]
       kezek kafka route --partitions N --out DIR [INPUT]

init      makes the topics (docs/kafka.md): P.actions and P.journal with N partitions each, kept
          forever (retention -1), and P.state, the engine state's compacted changelog, with N.
          Topics that exist with N partitions are kept; another count is refused (a locality's
          partition is its number mod N, fixed from the start).
journal   reads partition N of P.journal (read_committed), checks every record (a JournalRecord,
          sequences without gap or repeat, the SHA-256 chain, input offsets never going back),
          prints the count and the head's hash, and with --journal writes the records as a journal
          file (the framing of 'kezek fold --journal': comparable byte for byte).
route     splits INPUT's lines (JSON lines of actions, standard input without INPUT) the way
          'kezek append --kafka' publishes them, into DIR/partition-K.jsonl for each partition K:
          what the embedded runtime must fold to give partition K's journal.

options:
)";

constexpr const char* kRunKafkaUsage = R"(usage: kezek run --kafka --brokers B --data DIR [options]

Runs the engine as a member of a Kafka consumer group over P.actions (docs/kafka.md): each
partition it is assigned is folded by the partition loop, its journal records, state changes and
input offset committed in one Kafka transaction; RocksDB state in DIR/partition-K, restored from
P.state when it is missing or behind. Runs until SIGTERM or Ctrl-C (then leaves the group).

options:
  --data DIR        the member's state directory (required)
  --group G         the consumer group (default kezek-engine)
  --instance NAME   a static group member name (group.instance.id): a restart takes its
                    partitions back at once instead of after the session timeout
  --batch N         inputs per transaction at most (default 4096)
  --exit-when-idle MS   exit once every assigned partition is folded to its end and no input
                    came for MS milliseconds (tests, one-off catch-ups)
  --crash-at N      tests: SIGKILL at a partition's N-th crash point
  --at-least-once   benchmarks only: no transactions (records flushed, then the offset committed):
                    a crash may journal a batch twice
)";

constexpr const char* kAppendKafkaUsage = R"(usage: kezek append --kafka --brokers B [options] [INPUT]

Publishes actions (JSON lines, standard input without INPUT) to P.actions through an idempotent
producer, each to its locality's partition (docs/kafka.md, "Routing"; the catalogue, the calendar,
policies, archivals and clock ticks to every partition), keyed by locality. Each line becomes an
input exactly as in 'kezek append'; a line that is no action goes to partition 0, where it is
journaled as its rejection. Prints one JSON line per input, once the broker acknowledged it:
{"line": N, "published": [{"partition": K, "offset": O}, ...]}. The engine members fold them.

options:
  --quiet           no line per input, only the summary on standard error
  --wait SEC        print each input's answer instead, as 'kezek append' does (schemas/answers.fbs),
                    once an engine member journaled it: read from P.journal (read_committed),
                    waiting at most SEC seconds for each batch's records (1..3600; an input
                    published to every partition is answered from the first; its "partition"
                    names it: "input" and "sequence" count there). A repeat is answered
                    Duplicate without the original's decisions.
)";

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int Fail(const char* what, const Status& s) { return fmt::print(stderr, "kezek {}: {}\n", what, s.ToString()), 1; }

int Init(const Args& args) {
  const auto brokers = Brokers(args);
  const auto partitions = Number(args, "--partitions", 0);
  if (!brokers || !partitions) return 2;
  if (*partitions < 1 || *partitions > 1'000) {
    return fmt::print(stderr, "kezek kafka init: --partitions takes 1..1000\n"), 2;
  }
  const int n = static_cast<int>(*partitions);
  const kafka::Topics topics = kafka::Topics::Of(Prefix(args));
  const kafka::Settings forever{{"retention.ms", "-1"}, {"retention.bytes", "-1"}, {"cleanup.policy", "delete"}};
  const kafka::Settings compacted{{"cleanup.policy", "compact"}};
  kafka::Client admin;
  if (Status s = kafka::MakeClient(RD_KAFKA_PRODUCER, *brokers, {}, &admin); !s.ok()) return Fail("kafka init", s);
  std::vector<std::string> made;
  if (Status s = kafka::CreateTopics(admin.get(),
                                     {{topics.actions, n, forever}, {topics.journal, n, forever}, {topics.state, n, compacted}},
                                     &made);
      !s.ok()) return Fail("kafka init", s);
  fmt::print("kezek kafka init: {}, {} and {} with {} partitions each ({} made, the rest were there)\n", topics.actions,
             topics.journal, topics.state, n, made.size());
  return 0;
}

int JournalExport(const Args& args) {
  const auto brokers = Brokers(args);
  const auto partition = Number(args, "--partition", 0);
  if (!brokers || !partition) return 2;
  if (!args.options.contains("--partition")) return fmt::print(stderr, "kezek kafka journal: --partition N is required\n"), 2;
  const kafka::Topics topics = kafka::Topics::Of(Prefix(args));
  {
    kafka::Client client;
    int count = 0;
    if (Status s = kafka::MakeClient(RD_KAFKA_PRODUCER, *brokers, {}, &client); !s.ok()) return Fail("kafka journal", s);
    if (Status s = kafka::PartitionCount(client.get(), topics.journal, &count); !s.ok()) return Fail("kafka journal", s);
    if (*partition >= static_cast<uint64_t>(count)) {
      return fmt::print(stderr, "kezek kafka journal: {} has partitions 0..{}, not {}\n", topics.journal, count - 1,
                        *partition), 2;
    }
  }
  adapters::JournalFileWriter writer;
  std::string error;
  const bool write = args.options.contains("--journal");
  if (write && !writer.Open(args.options.at("--journal"), &error)) return fmt::print(stderr, "kezek kafka journal: {}\n", error), 1;
  uint64_t records = 0;
  uint64_t last_input = 0;
  Sha256 head{};
  Sha256Hasher sha256;
  const Status read = kafka::ReadJournal(*brokers, topics.journal, static_cast<int32_t>(*partition),
                                         [&](const kafka::JournalEntry& e) {
    ++records;
    last_input = e.input_offset;
    head = sha256.Of(e.record);
    return !write || writer.Append(e.record, &error);
  });
  if (!read.ok()) return Fail("kafka journal", read);
  if (!error.empty() || (write && !writer.Close(&error))) return fmt::print(stderr, "kezek kafka journal: {}\n", error), 1;
  fmt::print("{} partition {}: {} records, chain intact, last input {}, head {}\n", topics.journal, *partition, records,
             records == 0 ? std::string("-") : std::to_string(last_input),
             records == 0 ? std::string("-") : projections::Hex(head));
  return 0;
}

int Route(const Args& args) {
  const auto partitions = Number(args, "--partitions", 0);
  if (!partitions) return 2;
  if (*partitions < 1 || *partitions > 1'000 || !args.options.contains("--out")) {
    return fmt::print(stderr, "kezek kafka route: --partitions 1..1000 and --out DIR are required\n"), 2;
  }
  if (RefusedDashAsDirectory("kafka route", "--out", args.options.at("--out"))) return 2;  // a directory of files
  const std::string input = args.positional.size() > 1 ? args.positional[1] : "-";
  std::unique_ptr<adapters::LineReader> reader;
  if (Status s = adapters::LineReader::Open(input, &reader); !s.ok()) return Fail("kafka route", s);
  const std::filesystem::path out = args.options.at("--out");
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return fmt::print(stderr, "kezek kafka route: {}: {}\n", out.string(), ec.message()), 1;
  std::vector<std::ofstream> files;
  for (uint64_t k = 0; k < *partitions; ++k) {
    files.emplace_back(out / fmt::format("partition-{}.jsonl", k), std::ios::binary | std::ios::trunc);
    if (!files.back()) return fmt::print(stderr, "kezek kafka route: cannot write in {}\n", out.string()), 1;
  }
  // On any failure nothing half-routed is left to be compared.
  const auto failed = [&]() {
    files.clear();
    for (uint64_t k = 0; k < *partitions; ++k) std::filesystem::remove(out / fmt::format("partition-{}.jsonl", k), ec);
    return 1;
  };
  events::Codec codec;
  events::InputLine line;
  uint64_t lines = 0;
  for (bool got = true;;) {
    if (Status s = reader->Next(&line, &got); !s.ok()) return Fail("kafka route", s), failed();
    if (!got) break;
    if (line.oversize) {
      fmt::print(stderr, "kezek kafka route: line {} is over the line limit ({} bytes): route keeps lines whole and wrote "
                         "nothing (replay verify --kafka checks such a log's partitions)\n", lines + 1, limits::kJsonLineBytesMax);
      return failed();
    }
    ++lines;
    const kafka::Route route = kafka::RouteOf(events::EncodeInput(codec, line), static_cast<int32_t>(*partitions));
    for (const int32_t k : route.partitions) files[static_cast<size_t>(k)] << line.text << '\n';
  }
  for (auto& f : files) {
    f.flush();
    if (!f) return fmt::print(stderr, "kezek kafka route: writing in {} failed (nothing left)\n", out.string()), failed();
  }
  fmt::print(stderr, "kezek kafka route: {} lines into {} partitions in {}\n", lines, *partitions, out.string());
  return 0;
}

// Delivery reports of the publisher: per input, where each of its messages landed.
struct Placements {
  std::vector<std::vector<std::pair<int32_t, int64_t>>> of_input;
  std::string error;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* p = static_cast<Placements*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (p->error.empty()) p->error = fmt::format("partition {}: {}", m->partition, rd_kafka_err2str(m->err));
    return;
  }
  const auto input = reinterpret_cast<uintptr_t>(m->_private);
  if (input < p->of_input.size()) p->of_input[input].emplace_back(m->partition, m->offset);
}

// --wait: the journal records of published inputs, read from P.journal (read_committed) from
// where each partition ended when the publisher started: every record of its inputs comes after.
class Answers {
 public:
  Status Open(const std::string& brokers, const std::string& journal, int partitions) {
    journal_ = journal;
    if (Status s = kafka::MakeClient(RD_KAFKA_CONSUMER, brokers,
                                     {{"group.id", "kezek-append"},
                                      {"isolation.level", "read_committed"},
                                      {"enable.auto.commit", "false"}},
                                     &consumer_);
        !s.ok()) return s;
    kafka::PartitionList list(rd_kafka_topic_partition_list_new(partitions));
    for (int32_t k = 0; k < partitions; ++k) {
      int64_t low = 0, high = 0;
      if (Status s = kafka::Watermarks(consumer_.get(), journal, k, &low, &high); !s.ok()) return s;
      rd_kafka_topic_partition_list_add(list.get(), journal.c_str(), k)->offset = high;
    }
    return kafka::FromErr(rd_kafka_assign(consumer_.get(), list.get()), "assign");
  }

  // Reads until each (partition, input offset) in `want` has its record, or `wait_ms` passed.
  Status Collect(const std::set<std::pair<int32_t, int64_t>>& want, int wait_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    size_t have = 0;
    for (const auto& key : want) {
      const auto it = records_.find(key);
      have += it != records_.end() && it->second.complete ? 1 : 0;
    }
    while (have < want.size()) {
      if (std::chrono::steady_clock::now() > deadline) {
        for (const auto& key : want) {
          if (!records_.contains(key) || !records_.at(key).complete) {
            return Status::IoError(fmt::format(
                "no journal record of the input at partition {} offset {} within {} s: is an engine member running "
                "(kezek run --kafka)?", key.first, key.second, wait_ms / 1000));
          }
        }
      }
      kafka::Message m(rd_kafka_consumer_poll(consumer_.get(), 100));
      if (!m || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // transient: librdkafka reconnects
      const std::span<const uint8_t> value(static_cast<const uint8_t*>(m->payload), m->len);
      flatbuffers::Verifier verifier(value.data(), value.size());
      if (!fb::VerifyJournalRecordBuffer(verifier)) {
        return Status::Corruption(fmt::format("{} partition {} offset {}: not a JournalRecord", journal_, m->partition,
                                              m->offset));
      }
      const fb::JournalRecord* record = fb::GetJournalRecord(value.data());
      const auto key = std::make_pair(m->partition, static_cast<int64_t>(record->input_offset()));
      Input& of = records_[key];
      if (of.complete || record->part() != of.parts.size()) continue;  // a part seen already
      of.parts.emplace_back(value.begin(), value.end());
      of.complete = !record->continued();
      have += of.complete && want.contains(key) ? 1 : 0;
    }
    return Status::Ok();
  }

  // The records (every part) of an input Collect found, then forgotten.
  std::vector<std::vector<uint8_t>> Take(const std::pair<int32_t, int64_t>& key) {
    auto node = records_.extract(key);
    return node ? std::move(node.mapped().parts) : std::vector<std::vector<uint8_t>>{};
  }

  ~Answers() {
    if (consumer_) rd_kafka_consumer_close(consumer_.get());
  }

 private:
  struct Input {
    std::vector<std::vector<uint8_t>> parts;  // its records, part 0 first
    bool complete = false;                    // the last part (not `continued`) is in
  };
  std::string journal_;
  kafka::Client consumer_;
  std::map<std::pair<int32_t, int64_t>, Input> records_;
};

}  // namespace

int Kafka(int argc, char** argv) {
  auto args = Parse(argc, argv, 2, {"--brokers", "--prefix", "--config", "--partitions", "--partition", "--journal", "--out"}, {});
  if (!args) return 2;
  if (args->help || args->positional.empty()) {
    fmt::print(args->help ? stdout : stderr, "{}{}", kKafkaUsage, kConnection);
    return args->help ? 0 : 2;
  }
  if (!MergeConfig(&*args, {"--brokers", "--prefix", "--partitions"})) return 2;
  // Files written (a journal, the routed partitions) never inside a data directory: they could
  // overwrite its logs or state.
  for (const char* option : {"--journal", "--out"}) {
    if (args->options.contains(option) && RefusedInsideDataDir("kafka", option, args->options.at(option))) return 2;
  }
  const std::string& sub = args->positional.front();
  // Only route takes an argument (its INPUT): another is a mistake (a journal file meant for
  // --journal would be ignored, the summary printed, no file written).
  if (args->positional.size() > (sub == "route" ? 2u : 1u)) {
    return fmt::print(stderr, "kezek kafka {}: unexpected argument '{}'{}\n", adapters::Printable(sub),
                      adapters::Printable(args->positional.back()),
                      sub == "journal" ? " (the file to write goes with --journal FILE)" : ""), 2;
  }
  if (sub == "init") return Init(*args);
  if (sub == "journal") return JournalExport(*args);
  if (sub == "route") return Route(*args);
  return fmt::print(stderr, "kezek kafka: unknown subcommand '{}' (init, journal, route)\n", sub), 2;
}

int KafkaRun(int argc, char** argv) {
  auto args = Parse(argc, argv, 2,
                    {"--brokers", "--prefix", "--config", "--data", "--group", "--instance", "--batch", "--exit-when-idle",
                     "--crash-at"},
                    {"--kafka", "--at-least-once"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}{}", kRunKafkaUsage, kConnection), 0;
  if (!MergeConfig(&*args, {"--brokers", "--prefix", "--data", "--group", "--instance", "--batch"})) return 2;
  const auto brokers = Brokers(*args);
  const auto batch = Number(*args, "--batch", limits::kBatchInputsDefault);
  const auto idle = Number(*args, "--exit-when-idle", 0);
  const auto crash_at = Number(*args, "--crash-at", 0);
  if (!brokers || !batch || !idle || !crash_at) return 2;
  if (!args->options.contains("--data")) return fmt::print(stderr, "kezek run --kafka: --data DIR is required\n"), 2;
  // A member's directory is its partitions' states, not an embedded data directory nor inside
  // one (it made partition-0/ inside one, beside its logs and state).
  if (std::error_code e; std::filesystem::is_regular_file(std::filesystem::path(args->options.at("--data")) / "KEZEK", e)) {
    return fmt::print(stderr, "kezek run --kafka: --data {} is an embedded data directory ('kezek run --data' takes it); a "
                              "member keeps its partitions' states in a directory of its own\n",
                      adapters::Printable(args->options.at("--data"))), 2;
  }
  if (RefusedNewDataDirInside("run --kafka", "--data", args->options.at("--data"))) return 2;
  if (!args->positional.empty()) {
    return fmt::print(stderr, "kezek run --kafka: unexpected argument '{}' (the member reads the actions topic)\n",
                      adapters::Printable(args->positional.front())), 2;
  }
  if (*batch < 1 || *batch > limits::kBatchInputsMax || *idle > 86'400'000 ||
      (args->options.contains("--exit-when-idle") && *idle == 0)) {
    return fmt::print(stderr, "kezek run --kafka: --batch takes 1..{}, --exit-when-idle 1..86400000 (ms, at most a day)\n",
                      limits::kBatchInputsMax), 2;
  }
  kafka::MemberOptions options;
  options.brokers = *brokers;
  options.prefix = Prefix(*args);
  if (args->options.contains("--group")) options.group = args->options.at("--group");
  if (args->options.contains("--instance")) options.instance = args->options.at("--instance");
  options.data = args->options.at("--data");
  options.batch_max = *batch;
  options.crash_at = *crash_at;
  options.exit_when_idle_ms = static_cast<int>(*idle);
  options.at_least_once = args->options.contains("--at-least-once");
  options.say = [](const std::string& text) { fmt::print(stderr, "kezek run --kafka: {}\n", text); };
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const Status s = kafka::RunMember(options, g_stop);
  if (!s.ok()) return Fail("run --kafka", s);
  return 0;
}

int KafkaAppend(int argc, char** argv) {
  auto args = Parse(argc, argv, 2, {"--brokers", "--prefix", "--config", "--wait"}, {"--kafka", "--quiet"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}{}", kAppendKafkaUsage, kConnection), 0;
  if (!MergeConfig(&*args, {"--brokers", "--prefix"})) return 2;
  const auto brokers = Brokers(*args);
  if (!brokers) return 2;
  if (args->positional.size() > 1) return fmt::print(stderr, "kezek append --kafka: one INPUT at most\n"), 2;
  const std::string input = args->positional.empty() ? "-" : args->positional.front();
  const bool quiet = args->options.contains("--quiet");
  const auto wait = Number(*args, "--wait", 0);
  if (!wait) return 2;
  if (args->options.contains("--wait") && (*wait < 1 || *wait > 3600)) {
    return fmt::print(stderr, "kezek append --kafka: --wait takes 1..3600 seconds\n"), 2;
  }
  std::unique_ptr<adapters::LineReader> reader;
  if (Status s = adapters::LineReader::Open(input, &reader); !s.ok()) return Fail("append --kafka", s);
  const kafka::Topics topics = kafka::Topics::Of(Prefix(*args));
  Placements placements;
  kafka::Client producer;
  if (Status s = kafka::MakeClient(RD_KAFKA_PRODUCER, *brokers,
                                   {{"enable.idempotence", "true"}, {"acks", "all"}, {"linger.ms", "5"}}, &producer,
                                   [&](rd_kafka_conf_t* conf) {
                                     rd_kafka_conf_set_opaque(conf, &placements);
                                     rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
                                   });
      !s.ok()) return Fail("append --kafka", s);
  int partitions = 0;
  if (Status s = kafka::PartitionCount(producer.get(), topics.actions, &partitions); !s.ok()) return Fail("append --kafka", s);
  // Routed by the actions topic's count, which must be the journal's (partitions added to the
  // actions topic alone would send inputs where no journal partition, and no member, folds them,
  // and where a running member counting the old number refuses them as WrongPartition).
  int journal_partitions = 0;
  if (Status s = kafka::PartitionCount(producer.get(), topics.journal, &journal_partitions); !s.ok()) {
    return Fail("append --kafka", s);
  }
  if (journal_partitions != partitions) {
    return Fail("append --kafka",
                Status::InvalidArgument(fmt::format("{} has {} partitions and {} has {}: not topics kezek kafka init made "
                                                    "(a topic's partitions added by hand re-route inputs: docs/kafka.md, "
                                                    "\"Routing\")", topics.actions, partitions, topics.journal,
                                                    journal_partitions)));
  }
  std::unique_ptr<Answers> answers;
  if (*wait > 0) {
    answers = std::make_unique<Answers>();
    if (Status s = answers->Open(*brokers, topics.journal, partitions); !s.ok()) return Fail("append --kafka", s);
  }
  events::Codec codec;
  events::InputLine line;
  uint64_t lines = 0;
  uint64_t messages = 0;
  uint64_t printed = 0;
  uint64_t base = 0;  // lines printed before the current batch
  const auto started = std::chrono::steady_clock::now();
  // Prints the placements of the batch's inputs not printed yet, in order.
  const auto print_published = [&]() {
    for (; printed < placements.of_input.size(); ++printed) {
      auto& placed = placements.of_input[printed];
      std::sort(placed.begin(), placed.end());
      if (quiet) continue;
      std::string json = fmt::format("{{\"line\": {}, \"published\": [", base + printed + 1);
      for (size_t i = 0; i < placed.size(); ++i) {
        json += fmt::format("{}{{\"partition\": {}, \"offset\": {}}}", i == 0 ? "" : ", ", placed[i].first, placed[i].second);
      }
      fmt::print("{}]}}\n", json);
    }
  };
  // Waits for every acknowledgement so far, then prints the inputs' placements in order.
  const auto flush = [&]() -> Status {
    if (Status s = kafka::FromErr(rd_kafka_flush(producer.get(), kafka::kCallTimeoutMs), "flush"); !s.ok()) return s;
    if (!placements.error.empty()) return Status::IoError("publishing: " + placements.error);
    if (answers) {
      // Each input answered from its first partition's record, in input order.
      std::set<std::pair<int32_t, int64_t>> want;
      for (auto& placed : placements.of_input) {
        std::sort(placed.begin(), placed.end());
        if (!placed.empty()) want.insert(placed.front());
      }
      if (Status s = answers->Collect(want, static_cast<int>(*wait) * 1000); !s.ok()) {
        // The batch is published though unanswered: its placements are said, so that what is in
        // the topic is known (it said nothing of them).
        const size_t published = placements.of_input.size();
        print_published();
        std::fflush(stdout);
        return Status::IoError(fmt::format("{}; lines {}..{} were published{} and are folded when a member runs", s.message(),
                                           base + 1, base + published, quiet ? "" : " (their placements above)"));
      }
      for (const auto& placed : placements.of_input) {
        if (placed.empty()) continue;
        const std::vector<std::vector<uint8_t>> parts = answers->Take(placed.front());
        const std::vector<std::span<const uint8_t>> records(parts.begin(), parts.end());
        if (!quiet) {
          fmt::print("{}\n", codec.AnswerToJson(events::AnswerOf(static_cast<uint64_t>(placed.front().second), records, {},
                                                                 nullptr, placed.front().first)));
        }
      }
      printed = placements.of_input.size();
    }
    print_published();
    base += placements.of_input.size();
    placements.of_input.clear();
    printed = 0;
    std::fflush(stdout);
    return Status::Ok();
  };
  for (bool got = true;;) {
    if (!placements.of_input.empty() && !reader->Ready(limits::kBatchWaitMsMax)) {
      if (Status s = flush(); !s.ok()) return Fail("append --kafka", s);
    }
    if (Status s = reader->Next(&line, &got); !s.ok()) return Fail("append --kafka", s);
    if (!got) break;
    const std::vector<uint8_t> payload = events::EncodeInput(codec, line);
    const kafka::Route route = kafka::RouteOf(payload, partitions);
    const uintptr_t index = placements.of_input.size();
    placements.of_input.emplace_back();
    for (const int32_t k : route.partitions) {
      if (Status s = kafka::Produce(producer.get(), topics.actions, k, route.key, payload, reinterpret_cast<void*>(index));
          !s.ok()) return Fail("append --kafka", s);
      ++messages;
    }
    ++lines;
    if (placements.of_input.size() == limits::kBatchInputsDefault) {
      if (Status s = flush(); !s.ok()) return Fail("append --kafka", s);
    }
    rd_kafka_poll(producer.get(), 0);
  }
  if (Status s = flush(); !s.ok()) return Fail("append --kafka", s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print(stderr, "kezek append --kafka: {} inputs published as {} messages to {} ({} partition{}) in {:.3f} s\n", lines,
             messages, topics.actions, partitions, partitions == 1 ? "" : "s", seconds);
  return 0;
}

}  // namespace kezek::cli
