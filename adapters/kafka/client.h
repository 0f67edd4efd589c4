// The pieces of librdkafka's C API the Kafka edge stands on (Debian 12's librdkafka 2.0.2), with
// their failures as Status: clients that free themselves, keyed produce, watermarks, topic
// creation through the Admin API, and a bounded read of one partition. docs/kafka.md tells the
// topics, the settings and the traps of this client version.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "adapters/status.h"

namespace kezek::adapters::kafka {

// How long one call to the broker may take before it is a failure (an unreachable broker is an
// error, never a hang).
inline constexpr int kCallTimeoutMs = 30'000;

// The topics of one Kezek deployment, named from its prefix: PREFIX.actions (the inputs, keyed by
// locality), PREFIX.journal (the records, one partition per actions partition), PREFIX.state (the
// engine state's changelog, compacted).
struct Topics {
  std::string actions;
  std::string journal;
  std::string state;
  static Topics Of(const std::string& prefix) { return {prefix + ".actions", prefix + ".journal", prefix + ".state"}; }
};

using Settings = std::vector<std::pair<std::string, std::string>>;

struct ClientDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Client = std::unique_ptr<rd_kafka_t, ClientDeleter>;
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

// librdkafka's strings may be null.
std::string Text(const char* s);
// An rd_kafka_error_t as a Status (nullptr: OK); destroys it. *fatal, when given, says whether
// the client may not go on (a fatal error, or one a transaction cannot survive).
Status FromError(rd_kafka_error_t* error, const std::string& what, bool* abortable = nullptr);
Status FromErr(rd_kafka_resp_err_t err, const std::string& what);

// A client of `brokers` with `settings`. `configure`, when given, sets callbacks on the
// configuration before the client is made (its opaque is the caller's).
Status MakeClient(rd_kafka_type_t type, const std::string& brokers, const Settings& settings, Client* client,
                  const std::function<void(rd_kafka_conf_t*)>& configure = {});

// Produces one message (copied) to an explicit partition; `value` nullopt is a tombstone;
// `opaque` is handed to the delivery report. A full local queue waits for room.
Status Produce(rd_kafka_t* rk, const std::string& topic, int32_t partition, std::string_view key,
               std::optional<std::span<const uint8_t>> value, void* opaque = nullptr);

Status Watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition, int64_t* low, int64_t* high);
// The partition count of `topic`; NotFound when it does not exist.
Status PartitionCount(rd_kafka_t* rk, const std::string& topic, int* count);

struct NewTopic {
  std::string name;
  int partitions = 1;
  Settings config;
};
// Makes the topics that do not exist yet; one that exists with another partition count is
// InvalidArgument (the locality -> partition map would change).
Status CreateTopics(rd_kafka_t* rk, const std::vector<NewTopic>& topics, std::vector<std::string>* made);

// Reads one partition, read_committed, from offset `from` to its end as it is when the read
// starts (the last stable offset): visit(offset, key, value) until it returns false.
using MessageVisitor =
    std::function<bool(int64_t offset, std::string_view key, std::optional<std::span<const uint8_t>> value)>;
Status ReadPartition(const std::string& brokers, const std::string& topic, int32_t partition, int64_t from,
                     const MessageVisitor& visit);

}  // namespace kezek::adapters::kafka
