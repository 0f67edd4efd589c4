#include "adapters/kafka/replica.h"

#include <chrono>

#include <flatbuffers/flatbuffers.h>
#include <fmt/format.h>

#include "decisions_generated.h"

namespace kezek::adapters::kafka {
namespace {

// The most messages handed over in one call of on_records (one lock of the read models).
constexpr size_t kBatchMessagesMax = 2'048;

// What a message's opaque points to: its input's report.
struct Delivery {
  Replica::Placed placed;
};

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void Replica::OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* replica = static_cast<Replica*>(opaque);
  if (replica->detached_) return;
  if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {  // logged, as librdkafka logs them without this callback
    replica->options_.say(fmt::format("kafka: {}: {}", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)), Text(reason)));
    return;
  }
  replica->Unreachable(Text(reason));
}

void Replica::Unreachable(const std::string& why) {
  int64_t reachable = 0;
  if (unreachable_since_ms_.compare_exchange_strong(reachable, std::max<int64_t>(SteadyMs(), 1))) {
    options_.say(fmt::format("the broker is unreachable ({}): reads are served from what was read, posts wait for it "
                             "(/healthz says broker: unreachable)", why));
  }
}

void Replica::Reachable() {
  if (unreachable_since_ms_.load(std::memory_order_relaxed) == 0) return;  // the usual case: no write on every delivery
  const int64_t since = unreachable_since_ms_.exchange(0);
  if (since != 0) options_.say(fmt::format("the broker is reachable again after {:.1f} s", (SteadyMs() - since) / 1000.0));
}

Replica::Broker Replica::BrokerState() const {
  const int64_t since = unreachable_since_ms_.load();
  if (since == 0) return {};
  return Broker{false, std::max<int64_t>(0, SteadyMs() - since)};
}

void Replica::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* delivery = static_cast<Delivery*>(m->_private);
  if (delivery == nullptr) return;
  if (static_cast<Replica*>(opaque)->detached_) {  // being destroyed: nobody to tell
    delete delivery;
    return;
  }
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Not delivered in time, or the connection failed: a broker that stopped answering without
    // closing its connections (frozen, a partition without resets) is reported so (the consumer,
    // fetching, sees it only once its requests time out).
    if (m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || m->err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
        m->err == RD_KAFKA_RESP_ERR__TRANSPORT) {
      static_cast<Replica*>(opaque)->Unreachable(fmt::format("a message not delivered: {}", rd_kafka_err2str(m->err)));
    }
    delivery->placed(Status::IoError(fmt::format("publishing to partition {}: {}", m->partition, rd_kafka_err2str(m->err))),
                     m->partition, -1);
  } else {
    static_cast<Replica*>(opaque)->Reachable();
    delivery->placed(Status::Ok(), m->partition, m->offset);
  }
  delete delivery;
}

Status Replica::Open(Options options, std::unique_ptr<Replica>* replica) {
  std::unique_ptr<Replica> r(new Replica());
  r->options_ = std::move(options);
  if (!r->options_.say) r->options_.say = [](const std::string&) {};
  r->topics_ = Topics::Of(r->options_.prefix);
  Settings producer_settings{{"enable.idempotence", "true"},
                             {"acks", "all"},
                             {"linger.ms", "2"},
                             {"message.timeout.ms", std::to_string(r->options_.publish_timeout_ms)}};
  producer_settings.insert(producer_settings.end(), r->options_.settings.begin(), r->options_.settings.end());
  if (Status s = MakeClient(RD_KAFKA_PRODUCER, r->options_.brokers, producer_settings, &r->producer_,
                            [&r](rd_kafka_conf_t* conf) {
                              rd_kafka_conf_set_opaque(conf, r.get());
                              rd_kafka_conf_set_dr_msg_cb(conf, &Replica::OnDelivery);
                            });
      !s.ok()) return s;
  if (Status s = PartitionCount(r->producer_.get(), r->topics_.journal, &r->partitions_); !s.ok()) return s;
  int actions = 0;
  if (Status s = PartitionCount(r->producer_.get(), r->topics_.actions, &actions); !s.ok()) return s;
  if (actions != r->partitions_) {
    return Status::InvalidArgument(fmt::format("{} has {} partitions and {} has {}: not topics kezek kafka init made",
                                               r->topics_.actions, actions, r->topics_.journal, r->partitions_));
  }
  // A group id librdkafka asks for; nothing joins a group or commits (assign, no auto commit).
  Settings consumer_settings{{"group.id", "kezek-replica"},
                             {"isolation.level", "read_committed"},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "true"}};
  consumer_settings.insert(consumer_settings.end(), r->options_.settings.begin(), r->options_.settings.end());
  if (Status s = MakeClient(RD_KAFKA_CONSUMER, r->options_.brokers, consumer_settings, &r->consumer_,
                            [&r](rd_kafka_conf_t* conf) {
                              // The consumer's report only: it fetches all the time, where an idle
                              // producer's connection closed by the broker (connections.max.idle.ms)
                              // would be reported as every broker down.
                              rd_kafka_conf_set_opaque(conf, r.get());
                              rd_kafka_conf_set_error_cb(conf, &Replica::OnError);
                            });
      !s.ok()) return s;
  PartitionList list(rd_kafka_topic_partition_list_new(r->partitions_));
  for (int32_t k = 0; k < r->partitions_; ++k) {
    rd_kafka_topic_partition_list_add(list.get(), r->topics_.journal.c_str(), k)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (Status s = FromErr(rd_kafka_assign(r->consumer_.get(), list.get()), "assign"); !s.ok()) return s;
  for (int k = 0; k < r->partitions_; ++k) r->checks_.push_back(std::make_unique<JournalCheck>());
  r->states_.resize(static_cast<size_t>(r->partitions_));
  *replica = std::move(r);
  return Status::Ok();
}

Replica::~Replica() {
  // What Run did not flush is dropped unreported: the callers' answers are gone with them.
  detached_ = true;
  if (producer_) {
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(producer_.get(), 1'000);
  }
  if (consumer_) rd_kafka_consumer_close(consumer_.get());
}

Status Replica::Publish(std::span<const uint8_t> payload, const std::vector<int32_t>& partitions, std::string_view key,
                        Placed placed) {
  for (const int32_t k : partitions) {
    auto* delivery = new Delivery{placed};
    if (Status s = Produce(producer_.get(), topics_.actions, k, key, payload, delivery); !s.ok()) {
      delete delivery;
      return s;
    }
  }
  return Status::Ok();
}

Status Replica::ReadInput(int32_t partition, int64_t offset, std::vector<std::vector<uint8_t>>* parts) const {
  parts->clear();
  Status problem;
  Status read = ReadPartition(options_.brokers, topics_.journal, partition, offset,
                              [&](int64_t at, std::string_view, std::optional<std::span<const uint8_t>> value) {
    flatbuffers::Verifier verifier(value ? value->data() : nullptr, value ? value->size() : 0);
    if (!value || !fb::VerifyJournalRecordBuffer(verifier) ||
        fb::GetJournalRecord(value->data())->part() != parts->size()) {
      problem = Status::Corruption(fmt::format("{} partition {} offset {}: not the next part of the input at offset {}",
                                               topics_.journal, partition, at, offset));
      return false;
    }
    parts->emplace_back(value->begin(), value->end());
    return fb::GetJournalRecord(value->data())->continued();
  });
  if (!read.ok()) return read;
  if (!problem.ok()) return problem;
  if (parts->empty() || fb::GetJournalRecord(parts->back().data())->continued()) {
    return Status::Corruption(fmt::format("{} partition {}: the input at offset {} is not whole", topics_.journal, partition, offset));
  }
  return Status::Ok();
}

std::vector<Replica::PartitionState> Replica::States() const {
  std::lock_guard lock(states_mutex_);
  return states_;
}

void Replica::Run(const std::function<void(std::span<const Record>)>& on_records, const std::function<void()>& idle) {
  std::vector<Message> messages;
  std::vector<Record> records;
  auto last_idle = std::chrono::steady_clock::now();
  auto last_probe = last_idle;
  while (!stopping_) {
    if (unreachable_since_ms_.load() != 0 && std::chrono::steady_clock::now() - last_probe >= std::chrono::seconds(1)) {
      // The broker reported down: is it back? (An idle consumer at the end of its partitions and
      // no posts would tell nothing otherwise.)
      last_probe = std::chrono::steady_clock::now();
      const rd_kafka_metadata_t* metadata = nullptr;
      if (rd_kafka_metadata(producer_.get(), 0, nullptr, &metadata, 500) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_metadata_destroy(metadata);
        Reachable();
      }
    }
    messages.clear();
    records.clear();
    rd_kafka_poll(producer_.get(), 0);  // delivery reports
    for (int timeout = 50; messages.size() < kBatchMessagesMax; timeout = 0) {
      Message m(rd_kafka_consumer_poll(consumer_.get(), timeout));
      if (!m) break;
      const auto k = static_cast<size_t>(m->partition);
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        Reachable();
        std::lock_guard lock(states_mutex_);
        if (k < states_.size()) {
          // At the end of what may be read (read_committed: the last stable offset, before a
          // transaction's closing marker, which the high watermark counts).
          states_[k].caught_up = true;
          states_[k].position = m->offset;
          states_[k].end = m->offset;
        }
        continue;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Transient (a broker restart, a leader change): librdkafka reconnects and goes on.
        options_.say(fmt::format("reading {}: {}", topics_.journal, Text(rd_kafka_message_errstr(m.get()))));
        continue;
      }
      if (k >= states_.size() || !states_[k].failure.empty()) continue;
      const std::span<const uint8_t> value(static_cast<const uint8_t*>(m->payload), m->payload ? m->len : 0);
      std::string wrong = m->payload == nullptr ? "an empty message where a journal record belongs" : checks_[k]->Add(value);
      std::lock_guard lock(states_mutex_);
      states_[k].position = m->offset + 1;
      int64_t low = 0, high = 0;
      if (rd_kafka_get_watermark_offsets(consumer_.get(), topics_.journal.c_str(), m->partition, &low, &high) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        states_[k].end = std::max(states_[k].end, high);
      }
      if (!wrong.empty()) {
        states_[k].failure = fmt::format("{} partition {} offset {}: {}", topics_.journal, m->partition, m->offset, wrong);
        options_.say(fmt::format("the journal is refused, partition {} is no longer followed: {}", m->partition,
                                 states_[k].failure));
        continue;
      }
      ++states_[k].records;
      records.push_back(Record{m->partition, m->offset, value});
      messages.push_back(std::move(m));
    }
    if (!records.empty()) on_records(records);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_idle >= std::chrono::milliseconds(100) || records.empty()) {
      last_idle = now;
      idle();
    }
  }
  rd_kafka_flush(producer_.get(), 5'000);
  rd_kafka_poll(producer_.get(), 0);
}

}  // namespace kezek::adapters::kafka
