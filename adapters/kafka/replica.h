// The Kafka side of `kezek serve --kafka` (docs/kafka.md, "Serving from Kafka"): a read replica
// of the whole country and a publisher of posted inputs.
//
// Following: one read_committed consumer, assigned every partition of PREFIX.journal from its
// start (no consumer group: every replica reads everything), hands each partition's records over
// in order, each checked as ReadJournal checks it (journal_topic.h: Verifier, sequences, SHA-256
// chain, parts of an input, input offsets never back). A partition whose journal is refused stops
// there (its failure is reported; nothing after it is handed over); the others go on.
// Publishing: an idempotent producer (acks=all) puts inputs in PREFIX.actions, partitioned and
// keyed by the router (router.h); each message's placement (partition, offset) is reported, and
// the engine member's journal record of that input names the same offset as its input_offset.
//
// Thread-safety: Run is one thread (the replica's); every callback is called on it. Publish and
// Stop may be called from any thread; States from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "adapters/kafka/client.h"
#include "adapters/kafka/journal_topic.h"
#include "adapters/status.h"

namespace kezek::adapters::kafka {

class Replica {
 public:
  struct Options {
    std::string brokers;
    std::string prefix = "kezek";
    Settings settings;  // more librdkafka settings for both clients
    // How long a message may wait for the broker's acknowledgement (a broker down) before its
    // placement reports a failure (librdkafka's message.timeout.ms).
    int publish_timeout_ms = 30'000;
    std::function<void(const std::string&)> say;
  };
  // One journal record as read: its partition and the topic offset it sits at.
  struct Record {
    int32_t partition = 0;
    int64_t offset = 0;
    std::span<const uint8_t> bytes;  // valid during the callback
  };
  // Where a published message landed, or why it did not (status not OK).
  using Placed = std::function<void(Status status, int32_t partition, int64_t offset)>;

  // Connects, learns the partition count of PREFIX.journal (NotFound: run `kezek kafka init`)
  // and checks PREFIX.actions has as many.
  static Status Open(Options options, std::unique_ptr<Replica>* replica);
  ~Replica();

  int partitions() const { return partitions_; }
  const Topics& topics() const { return topics_; }

  // Publishes one input's payload (events/input.h) to each partition the router names;
  // `placed` is called once per message on the replica's thread. An error here (the local queue
  // refused it) is returned and nothing is called.
  Status Publish(std::span<const uint8_t> payload, const std::vector<int32_t>& partitions, std::string_view key,
                 Placed placed);

  // The journal records of one input whose first part sits at `offset` in `partition` (every part,
  // read_committed; a separate read, for the original of a repeat). Corruption when they are not.
  Status ReadInput(int32_t partition, int64_t offset, std::vector<std::vector<uint8_t>>* parts) const;

  // Follows the journal until Stop: `on_records` takes each poll's records (in order per
  // partition); `idle` is called at least every 100 ms (timeouts, a ticker).
  void Run(const std::function<void(std::span<const Record>)>& on_records, const std::function<void()>& idle);
  void Stop() { stopping_ = true; }

  struct PartitionState {
    uint64_t records = 0;      // records handed over
    int64_t position = 0;      // the next topic offset to read
    int64_t end = 0;           // the partition's end (high watermark) as last seen
    bool caught_up = false;    // reached the end at least once since start
    std::string failure;       // why the partition's journal was refused ("" if not)
  };
  std::vector<PartitionState> States() const;

  // Whether the brokers answer. Unreachable from librdkafka's report that every broker is down
  // (a connection refused or lost), or a message not delivered in time (a broker that stopped
  // answering with its connections open), until a record is read, a message delivered, or a
  // metadata request (tried every second meanwhile, on the replica's thread) is answered. Reads are served
  // meanwhile from what was read; posts wait for the broker up to their timeouts.
  struct Broker {
    bool reachable = true;
    int64_t unreachable_ms = 0;  // for how long
  };
  Broker BrokerState() const;

 private:
  Replica() = default;
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  static void OnError(rd_kafka_t*, int err, const char* reason, void* opaque);
  void Reachable();
  void Unreachable(const std::string& why);

  Options options_;
  Topics topics_;
  int partitions_ = 0;
  Client consumer_, producer_;
  std::vector<std::unique_ptr<JournalCheck>> checks_;  // by partition
  mutable std::mutex states_mutex_;
  std::vector<PartitionState> states_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> detached_{false};  // destroyed: delivery reports are dropped
  std::atomic<int64_t> unreachable_since_ms_{0};  // steady clock; 0: reachable
};

}  // namespace kezek::adapters::kafka
