// Against a real broker (KEZEK_KAFKA_BOOTSTRAP, from scripts/kafka.sh run): the pieces of Debian 12's
// librdkafka 2.0.2 that the Kafka runtime will stand on.
//  1. the Admin API makes two topics of 4 partitions;
//  2. an idempotent producer writes keyed records to the input topic, spread over partitions;
//  3. one consume-transform-produce transaction: a read_committed group member reads them all, a
//     transactional producer writes one output per input and commits the input offsets in the same
//     transaction (send_offsets_to_transaction); the group's committed offsets are then the ends;
//  4. a second transaction is written, flushed to the broker and aborted;
//  5. a read_committed reader sees every output exactly once and no aborted record, and reads past
//     them to the end of each partition, while a read_uncommitted reader does see the aborted ones.
// Without KEZEK_KAFKA_BOOTSTRAP it exits 77, which ctest reports as skipped.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "adapters/kafka/client.h"

namespace {

constexpr int kPartitions = 4;
constexpr int kRecords = 40;
constexpr int kTimeoutMs = 30'000;
constexpr int32_t kAnyPartition = -1;  // RD_KAFKA_PARTITION_UA, whose macro is a C cast

using Clock = std::chrono::steady_clock;

using kezek::adapters::kafka::Client;
using kezek::adapters::kafka::Message;
using kezek::adapters::kafka::Text;
using Partitions = kezek::adapters::kafka::PartitionList;
namespace kafka = kezek::adapters::kafka;

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

void Require(bool ok, const std::string& what) {
  if (!ok) Fail(what);
}

void Require(const kezek::adapters::Status& status) { Require(status.ok(), status.ToString()); }

// Takes an rd_kafka_error_t (nullptr is success) and throws with its text and kind.
void Check(rd_kafka_error_t* error, const char* what) { Require(kafka::FromError(error, what)); }

// What the delivery reports said, for a producer that points its opaque here.
struct Deliveries {
  int delivered = 0;
  std::vector<std::string> errors;
  std::set<int32_t> partitions;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* d = static_cast<Deliveries*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    d->errors.push_back(rd_kafka_err2str(m->err));
  } else {
    ++d->delivered;
    d->partitions.insert(m->partition);
  }
}

Client MakeClient(rd_kafka_type_t type, const std::string& bootstrap, const kafka::Settings& settings,
                  Deliveries* deliveries = nullptr) {
  Client client;
  Require(kafka::MakeClient(type, bootstrap, settings, &client, [&](rd_kafka_conf_t* conf) {
    if (deliveries == nullptr) return;
    rd_kafka_conf_set_opaque(conf, deliveries);
    rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  }));
  return client;
}

void CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& names) {
  std::vector<kafka::NewTopic> topics;
  for (const auto& name : names) topics.push_back({name, kPartitions, {}});
  std::vector<std::string> made;
  Require(kafka::CreateTopics(rk, topics, &made));
  Require(made.size() == names.size(), fmt::format("{} of {} topics made", made.size(), names.size()));
}

// Produces one record (copied); a partition of -1 leaves the choice to the partitioner (by key).
void Produce(rd_kafka_t* rk, const std::string& topic, int32_t partition, const std::string& key,
             const std::string& value) {
  Require(kafka::Produce(rk, topic, partition, key,
                         std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size())));
}

void Flush(rd_kafka_t* rk, const Deliveries& d, int expected) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(rk, kTimeoutMs);
  Require(err == RD_KAFKA_RESP_ERR_NO_ERROR, fmt::format("flush: {}", rd_kafka_err2str(err)));
  Require(d.errors.empty(), fmt::format("delivery failed: {}", d.errors.empty() ? "" : d.errors.front()));
  Require(d.delivered == expected, fmt::format("{} delivered, {} expected", d.delivered, expected));
}

// Polls until done() says so; each record (value and partition) goes to on_record. Partition ends
// (enable.partition.eof) go to on_eof with the offset the reader stands at.
void Consume(rd_kafka_t* rk, const std::function<bool()>& done,
             const std::function<void(const rd_kafka_message_t&)>& on_record,
             const std::function<void(int32_t, int64_t)>& on_eof = {}) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (!done()) {
    Require(Clock::now() < deadline, "consume: timed out");
    Message m(rd_kafka_consumer_poll(rk, 100));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (on_eof) on_eof(m->partition, m->offset);
      continue;
    }
    Require(m->err == RD_KAFKA_RESP_ERR_NO_ERROR, fmt::format("consume: {} ({})", Text(rd_kafka_message_errstr(m.get())),
                                                             Text(rd_kafka_err2name(m->err))));
    on_record(*m);
  }
}

std::string ValueOf(const rd_kafka_message_t& m) { return {static_cast<const char*>(m.payload), m.len}; }

// Reads every partition of topic from its start to its end; returns the values by partition and
// the offset each partition's end was reported at.
std::pair<std::map<int32_t, std::vector<std::string>>, std::map<int32_t, int64_t>> ReadAll(
    const std::string& bootstrap, const std::string& topic, const std::string& isolation, const std::string& group) {
  Client c = MakeClient(RD_KAFKA_CONSUMER, bootstrap,
                        {{"group.id", group},
                         {"isolation.level", isolation},
                         {"enable.auto.commit", "false"},
                         {"enable.partition.eof", "true"}});
  Partitions parts(rd_kafka_topic_partition_list_new(kPartitions));
  for (int32_t p = 0; p < kPartitions; ++p) {
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(c.get(), parts.get());
  Require(err == RD_KAFKA_RESP_ERR_NO_ERROR, fmt::format("assign: {}", rd_kafka_err2str(err)));
  std::map<int32_t, std::vector<std::string>> values;
  std::map<int32_t, int64_t> ends;
  Consume(
      c.get(), [&] { return ends.size() == kPartitions; },
      [&](const rd_kafka_message_t& m) { values[m.partition].push_back(ValueOf(m)); },
      [&](int32_t partition, int64_t offset) { ends[partition] = offset; });
  rd_kafka_consumer_close(c.get());
  return {values, ends};
}

int64_t HighWatermark(rd_kafka_t* rk, const std::string& topic, int32_t partition) {
  int64_t low = 0, high = 0;
  Require(kafka::Watermarks(rk, topic, partition, &low, &high));
  return high;
}

class Step {
 public:
  explicit Step(const char* name) : name_(name), start_(Clock::now()) {}
  ~Step() {
    if (std::uncaught_exceptions() == 0) {
      fmt::print("kafka_smoke: {} ({} ms)\n", name_,
                 std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count());
    }
  }
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

 private:
  const char* name_;
  Clock::time_point start_;
};

void Run(const std::string& bootstrap) {
  // Names of their own per run, so a run against a broker that served another finds a clean slate.
  const std::string run = fmt::format("{}-{}", getpid(), Clock::now().time_since_epoch().count() % 1'000'000'007);
  const std::string input = "kezek-smoke-actions-" + run;
  const std::string output = "kezek-smoke-journal-" + run;
  const std::string group = "kezek-smoke-engine-" + run;
  fmt::print("kafka_smoke: librdkafka {} against {}\n", rd_kafka_version_str(), bootstrap);

  {
    Step step("1. Admin API: two topics of 4 partitions made");
    Client admin = MakeClient(RD_KAFKA_PRODUCER, bootstrap, {});
    CreateTopics(admin.get(), {input, output});
  }

  Deliveries actions;
  {
    Step step("2. idempotent producer: 40 keyed records acknowledged");
    Client producer = MakeClient(RD_KAFKA_PRODUCER, bootstrap, {{"enable.idempotence", "true"}}, &actions);
    for (int i = 0; i < kRecords; ++i) {
      Produce(producer.get(), input, kAnyPartition, fmt::format("locality-{}", i % 7),
              fmt::format("action-{}", i));
    }
    Flush(producer.get(), actions, kRecords);
    Require(actions.partitions.size() >= 2, "the keys all went to one partition");
    int64_t total = 0;
    for (int32_t p = 0; p < kPartitions; ++p) total += HighWatermark(producer.get(), input, p);
    Require(total == kRecords, fmt::format("{} records in the input topic, {} expected", total, kRecords));
  }

  Deliveries journal;
  Client txn = MakeClient(RD_KAFKA_PRODUCER, bootstrap, {{"transactional.id", "kezek-smoke-" + run}}, &journal);
  Client engine = MakeClient(RD_KAFKA_CONSUMER, bootstrap,
                             {{"group.id", group},
                              {"isolation.level", "read_committed"},
                              {"enable.auto.commit", "false"},
                              {"auto.offset.reset", "earliest"}});
  {
    Step step("3. consume-transform-produce: 40 in, 40 out and the input offsets in one committed transaction");
    Check(rd_kafka_init_transactions(txn.get(), kTimeoutMs), "init_transactions");
    Partitions topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), input.c_str(), kAnyPartition);
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(engine.get(), topics.get());
    Require(err == RD_KAFKA_RESP_ERR_NO_ERROR, fmt::format("subscribe: {}", rd_kafka_err2str(err)));

    Check(rd_kafka_begin_transaction(txn.get()), "begin_transaction");
    std::map<int32_t, int64_t> next;  // input partition -> the offset after the last one folded
    int folded = 0;
    Consume(
        engine.get(), [&] { return folded == kRecords; },
        [&](const rd_kafka_message_t& m) {
          const std::string key(static_cast<const char*>(m.key), m.key_len);
          Produce(txn.get(), output, m.partition, key, "folded:" + ValueOf(m));
          next[m.partition] = m.offset + 1;
          ++folded;
        });
    Partitions offsets(rd_kafka_topic_partition_list_new(kPartitions));
    for (const auto& [partition, offset] : next) {
      rd_kafka_topic_partition_list_add(offsets.get(), input.c_str(), partition)->offset = offset;
    }
    rd_kafka_consumer_group_metadata_t* metadata = rd_kafka_consumer_group_metadata(engine.get());
    rd_kafka_error_t* sent = rd_kafka_send_offsets_to_transaction(txn.get(), offsets.get(), metadata, kTimeoutMs);
    rd_kafka_consumer_group_metadata_destroy(metadata);
    Check(sent, "send_offsets_to_transaction");
    Check(rd_kafka_commit_transaction(txn.get(), kTimeoutMs), "commit_transaction");
    Require(journal.delivered == kRecords && journal.errors.empty(),
            fmt::format("{} outputs delivered, {} expected", journal.delivered, kRecords));

    // The group's offsets are committed by the transaction, not by the consumer.
    Partitions committed(rd_kafka_topic_partition_list_new(kPartitions));
    for (int32_t p = 0; p < kPartitions; ++p) rd_kafka_topic_partition_list_add(committed.get(), input.c_str(), p);
    const rd_kafka_resp_err_t cerr = rd_kafka_committed(engine.get(), committed.get(), kTimeoutMs);
    Require(cerr == RD_KAFKA_RESP_ERR_NO_ERROR, fmt::format("committed: {}", rd_kafka_err2str(cerr)));
    for (int i = 0; i < committed->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = committed->elems[i];
      const int64_t end = HighWatermark(txn.get(), input, tp.partition);
      const int64_t expected = next.contains(tp.partition) ? next[tp.partition] : RD_KAFKA_OFFSET_INVALID;
      Require(tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset == expected && (end == 0 || tp.offset == end),
              fmt::format("partition {}: committed offset {}, expected {} (end {})", tp.partition, tp.offset, expected,
                          end));
    }
  }
  rd_kafka_consumer_close(engine.get());

  {
    Step step("4. a transaction written to the broker and aborted");
    Check(rd_kafka_begin_transaction(txn.get()), "begin_transaction");
    for (int32_t p = 0; p < kPartitions; ++p) Produce(txn.get(), output, p, "aborted", fmt::format("aborted-{}", p));
    Flush(txn.get(), journal, kRecords + kPartitions);  // the records reached the log before the abort
    Check(rd_kafka_abort_transaction(txn.get(), -1), "abort_transaction");
  }

  {
    Step step("5. read_committed: every output once, nothing aborted, read to each partition's end");
    auto [values, ends] = ReadAll(bootstrap, output, "read_committed", group + "-committed");
    std::multiset<std::string> seen;
    for (const auto& [partition, list] : values) seen.insert(list.begin(), list.end());
    for (int i = 0; i < kRecords; ++i) {
      const std::string want = fmt::format("folded:action-{}", i);
      Require(seen.count(want) == 1, fmt::format("{} seen {} times", want, seen.count(want)));
    }
    Require(seen.size() == kRecords, fmt::format("{} records read, {} expected", seen.size(), kRecords));
    for (int32_t p = 0; p < kPartitions; ++p) {
      const int64_t high = HighWatermark(txn.get(), output, p);
      Require(ends[p] == high, fmt::format("partition {}: the read_committed reader stopped at {} of {}", p, ends[p], high));
    }

    auto [all, unused] = ReadAll(bootstrap, output, "read_uncommitted", group + "-uncommitted");
    int aborted = 0;
    for (const auto& [partition, list] : all) {
      for (const auto& v : list) aborted += v.starts_with("aborted-") ? 1 : 0;
    }
    Require(aborted == kPartitions,
            fmt::format("a read_uncommitted reader sees {} aborted records, {} expected", aborted, kPartitions));
  }
}

}  // namespace

int main() {
  const char* bootstrap = std::getenv("KEZEK_KAFKA_BOOTSTRAP");
  if (bootstrap == nullptr || *bootstrap == '\0') {
    fmt::print("kafka_smoke: skipped: KEZEK_KAFKA_BOOTSTRAP is not set (scripts/kafka.sh run DIR -- CMD sets it)\n");
    return 77;
  }
  const auto start = Clock::now();
  try {
    Run(bootstrap);
  } catch (const std::exception& e) {
    fmt::print(stderr, "kafka_smoke: FAILED: {}\n", e.what());
    return 1;
  }
  fmt::print("kafka_smoke: passed in {} ms\n",
             std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  return 0;
}
