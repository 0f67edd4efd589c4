#include "adapters/kafka/client.h"

#include <map>
#include <thread>

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>

namespace kezek::adapters::kafka {

std::string Text(const char* s) { return s != nullptr ? s : "(none)"; }

Status FromError(rd_kafka_error_t* error, const std::string& what, bool* abortable) {
  if (abortable != nullptr) *abortable = false;
  if (error == nullptr) return Status::Ok();
  const bool fatal = rd_kafka_error_is_fatal(error) != 0;
  const bool needs_abort = rd_kafka_error_txn_requires_abort(error) != 0;
  if (abortable != nullptr) *abortable = needs_abort && !fatal;
  std::string text = fmt::format("{}: {} ({}{}{})", what, Text(rd_kafka_error_string(error)),
                                 Text(rd_kafka_error_name(error)), fatal ? ", fatal" : "",
                                 needs_abort ? ", the transaction must abort" : "");
  rd_kafka_error_destroy(error);
  return Status::IoError(std::move(text));
}

Status FromErr(rd_kafka_resp_err_t err, const std::string& what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return Status::IoError(fmt::format("{}: {} ({})", what, rd_kafka_err2str(err), Text(rd_kafka_err2name(err))));
}

Status MakeClient(rd_kafka_type_t type, const std::string& brokers, const Settings& settings, Client* client,
                  const std::function<void(rd_kafka_conf_t*)>& configure) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Settings all{{"bootstrap.servers", brokers}, {"log_level", "3"}};
  all.insert(all.end(), settings.begin(), settings.end());
  for (const auto& [key, value] : all) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument(fmt::format("Kafka setting {}={}: {}", key, value, errstr));
    }
  }
  if (configure) configure(conf);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(fmt::format("a Kafka client of {}: {}", brokers, errstr));
  }
  if (type == RD_KAFKA_CONSUMER) rd_kafka_poll_set_consumer(rk);
  client->reset(rk);
  return Status::Ok();
}

Status Produce(rd_kafka_t* rk, const std::string& topic, int32_t partition, std::string_view key,
               std::optional<std::span<const uint8_t>> value, void* opaque) {
  rd_kafka_vu_t vu[6];
  vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vu[0].u.cstr = topic.c_str();
  vu[1].vtype = RD_KAFKA_VTYPE_KEY;
  vu[1].u.mem.ptr = const_cast<char*>(key.data());
  vu[1].u.mem.size = key.size();
  vu[2].vtype = RD_KAFKA_VTYPE_VALUE;
  vu[2].u.mem.ptr = value ? const_cast<uint8_t*>(value->data()) : nullptr;
  vu[2].u.mem.size = value ? value->size() : 0;
  vu[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vu[3].u.i = RD_KAFKA_MSG_F_COPY;
  vu[4].vtype = RD_KAFKA_VTYPE_PARTITION;
  vu[4].u.i32 = partition;
  vu[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vu[5].u.ptr = opaque;
  for (;;) {
    rd_kafka_error_t* error = rd_kafka_produceva(rk, vu, 6);
    // A full local queue is back-pressure, not failure: serve the delivery reports and retry.
    if (error != nullptr && rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_error_destroy(error);
      rd_kafka_poll(rk, 100);
      continue;
    }
    return FromError(error, fmt::format("producing to {} partition {}", topic, partition));
  }
}

Status Watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition, int64_t* low, int64_t* high) {
  return FromErr(rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, low, high, kCallTimeoutMs),
                 fmt::format("the watermarks of {} partition {}", topic, partition));
}

Status PartitionCount(rd_kafka_t* rk, const std::string& topic, int* count) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &metadata, kCallTimeoutMs);
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Most often no broker answers: say which were asked.
    char brokers[1024] = "";
    size_t size = sizeof brokers;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "bootstrap.servers", brokers, &size) != RD_KAFKA_CONF_OK) brokers[0] = '\0';
    return FromErr(err, fmt::format("the metadata of {} from {}", topic, brokers[0] != '\0' ? brokers : "the brokers"));
  }
  Status result = Status::NotFound(fmt::format("topic {} does not exist (kezek kafka init makes it)", topic));
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    *count = metadata->topics[0].partition_cnt;
    result = Status::Ok();
  } else if (metadata->topic_cnt == 1 && metadata->topics[0].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    result = FromErr(metadata->topics[0].err, fmt::format("the metadata of {}", topic));
  }
  rd_kafka_metadata_destroy(metadata);
  return result;
}

namespace {

// An existing topic's settings (DescribeConfigs: each one's value in force, a default included).
Status TopicSettings(rd_kafka_t* rk, const std::string& topic, std::map<std::string, std::string>* out) {
  char errstr[512];
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(options, kCallTimeoutMs, errstr, sizeof errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_DescribeConfigs(rk, &resource, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kCallTimeoutMs + 5'000);
  Status result;
  if (event == nullptr) {
    result = Status::IoError(fmt::format("describing topic {}: no answer from the broker", topic));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result = Status::IoError(fmt::format("describing topic {}: {}", topic, Text(rd_kafka_event_error_string(event))));
  } else {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count);
    for (size_t i = 0; i < count && result.ok(); ++i) {
      if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = Status::IoError(fmt::format("describing topic {}: {}", topic,
                                             Text(rd_kafka_ConfigResource_error_string(resources[i]))));
        break;
      }
      size_t entries = 0;
      const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(resources[i], &entries);
      for (size_t k = 0; k < entries; ++k) {
        const char* value = rd_kafka_ConfigEntry_value(configs[k]);
        (*out)[rd_kafka_ConfigEntry_name(configs[k])] = value != nullptr ? value : "";
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_ConfigResource_destroy(resource);
  return result;
}

// An existing topic `topic` names (with `count` partitions) is taken only as init would make it: a
// topic made before (by hand, auto-created by a broker on first use, or by another init at the
// same moment) keeps its own partitions and settings, and one whose count differs or whose
// settings would delete what must be kept for ever (a retention) or compact what must not be is
// refused, not taken as it is.
Status CheckExisting(rd_kafka_t* rk, const NewTopic& topic, int count) {
  if (count != topic.partitions) {
    return Status::InvalidArgument(fmt::format(
        "topic {} exists with {} partitions, not {}: a partition count is fixed when the topics are made (the "
        "locality -> partition map depends on it)", topic.name, count, topic.partitions));
  }
  std::map<std::string, std::string> settings;
  if (Status s = TopicSettings(rk, topic.name, &settings); !s.ok()) return s;
  for (const auto& [key, value] : topic.config) {
    const auto it = settings.find(key);
    if (it != settings.end() && it->second != value) {
      return Status::InvalidArgument(fmt::format(
          "topic {} exists with {}={}, not {}: set it (kafka-configs.sh --alter --entity-type topics --entity-name {} "
          "--add-config {}={}) or remove the topic, then run init again", topic.name, key, it->second, value,
          topic.name, key, value));
    }
  }
  return Status::Ok();
}

}  // namespace

Status CreateTopics(rd_kafka_t* rk, const std::vector<NewTopic>& topics, std::vector<std::string>* made) {
  char errstr[512];
  std::vector<rd_kafka_NewTopic_t*> requests;
  Status failure;
  for (const NewTopic& topic : topics) {
    int count = 0;
    const Status exists = PartitionCount(rk, topic.name, &count);
    if (exists.ok()) {
      if (failure = CheckExisting(rk, topic, count); !failure.ok()) break;
      continue;
    }
    if (exists.code() != Status::Code::kNotFound) {
      failure = exists;
      break;
    }
    rd_kafka_NewTopic_t* request = rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions, -1, errstr, sizeof errstr);
    if (request == nullptr) {
      failure = Status::InvalidArgument(fmt::format("topic {}: {}", topic.name, errstr));
      break;
    }
    for (const auto& [key, value] : topic.config) rd_kafka_NewTopic_set_config(request, key.c_str(), value.c_str());
    requests.push_back(request);
    made->push_back(topic.name);
  }
  if (failure.ok() && !requests.empty()) {
    rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    // Wait until the controller has made them, not only accepted the request.
    rd_kafka_AdminOptions_set_operation_timeout(options, kCallTimeoutMs, errstr, sizeof errstr);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, requests.data(), requests.size(), options, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kCallTimeoutMs + 5'000);
    if (event == nullptr) {
      failure = Status::IoError("creating topics: no answer from the broker");
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = Status::IoError(fmt::format("creating topics: {}", Text(rd_kafka_event_error_string(event))));
    } else {
      size_t count = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
      for (size_t i = 0; i < count && failure.ok(); ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        const std::string name = rd_kafka_topic_result_name(results[i]);
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          // Made meanwhile by someone else (two inits at once): not ours, and taken only if it is
          // what this init would have made (another init may have asked another partition count).
          std::erase(*made, name);
          const auto topic = std::find_if(topics.begin(), topics.end(), [&](const NewTopic& t) { return t.name == name; });
          // The broker's metadata may not list it yet for a moment: asked again for a few seconds.
          int partitions = 0;
          for (int attempt = 0; attempt < 50; ++attempt) {
            failure = PartitionCount(rk, name, &partitions);
            if (failure.code() != Status::Code::kNotFound) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
          if (failure.ok() && topic != topics.end()) failure = CheckExisting(rk, *topic, partitions);
        } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          failure = Status::IoError(fmt::format("creating topic {}: {}", name,
                                                Text(rd_kafka_topic_result_error_string(results[i]))));
        }
      }
    }
    if (event != nullptr) rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_AdminOptions_destroy(options);
  }
  for (rd_kafka_NewTopic_t* request : requests) rd_kafka_NewTopic_destroy(request);
  return failure;
}

Status ReadPartition(const std::string& brokers, const std::string& topic, int32_t partition, int64_t from,
                     const MessageVisitor& visit) {
  Client reader;
  // A group id librdkafka asks for; nothing joins a group or commits (assign, no auto commit).
  if (Status s = MakeClient(RD_KAFKA_CONSUMER, brokers,
                            {{"group.id", "kezek-reader"},
                             {"isolation.level", "read_committed"},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "true"},
                             // An offset gone from the topic (records deleted by retention or
                             // DeleteRecords) is an error, never a jump to the end or the start.
                             {"auto.offset.reset", "error"}},
                            &reader);
      !s.ok()) return s;
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = from;
  if (Status s = FromErr(rd_kafka_assign(reader.get(), list.get()), "assign"); !s.ok()) return s;
  const std::string where = fmt::format("reading {} partition {}", topic, partition);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCallTimeoutMs);
  Status result;
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) {
      result = Status::IoError(where + ": timed out (is the broker up?)");
      break;
    }
    Message m(rd_kafka_consumer_poll(reader.get(), 100));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) break;
    if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
      result = Status::Corruption(fmt::format("{}: offset {} is gone from the topic ({}): its records before the ones "
                                              "left were deleted (retention or DeleteRecords)", where, from,
                                              Text(rd_kafka_message_errstr(m.get()))));
      break;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = Status::IoError(fmt::format("{}: {}", where, Text(rd_kafka_message_errstr(m.get()))));
      break;
    }
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCallTimeoutMs);
    const std::string_view key(static_cast<const char*>(m->key), m->key != nullptr ? m->key_len : 0);
    std::optional<std::span<const uint8_t>> value;
    if (m->payload != nullptr) value = std::span<const uint8_t>(static_cast<const uint8_t*>(m->payload), m->len);
    if (!visit(m->offset, key, value)) break;
  }
  rd_kafka_consumer_close(reader.get());
  return result;
}

}  // namespace kezek::adapters::kafka
