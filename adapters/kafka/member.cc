#include "adapters/kafka/member.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <flatbuffers/flatbuffers.h>

#include "adapters/embedded/rocksdb_state_store.h"
#include "adapters/kafka/client.h"
#include "adapters/kafka/journal_topic.h"
#include "adapters/kafka/router.h"
#include "adapters/partition.h"
#include "events/input.h"
#include "decisions_generated.h"
#include "engine/bytes.h"

namespace kezek::adapters::kafka {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// A partition failing this many times in a row without a commit in between stops the member.
constexpr int kReopensMax = 5;
// How often send_offsets_to_transaction and commit_transaction are tried on a retriable error.
constexpr int kTxnAttempts = 5;

// The changelog's key of a state entry: its family's byte and its key.
std::string ChangelogKey(state_codec::Family family, std::string_view key) {
  std::string out(1, static_cast<char>(family));
  out.append(key);
  return out;
}
constexpr std::string_view kAppliedKey = "applied";  // in the meta family, as RocksDbStateStore keeps it

// The partition's actions as the group consumer hands them over: a buffer the loop folds from.
class TopicInputs final : public InputLog {
 public:
  explicit TopicInputs(uint64_t next) : next_(next) {}
  void Push(int64_t offset, std::span<const uint8_t> payload) {
    if (offset < 0 || static_cast<uint64_t>(offset) < next_) return;  // already folded or buffered
    pending_.emplace_back(static_cast<uint64_t>(offset), std::vector<uint8_t>(payload.begin(), payload.end()));
    next_ = static_cast<uint64_t>(offset) + 1;
  }
  bool has_pending() const { return !pending_.empty(); }
  size_t pending() const { return pending_.size(); }

  Status Append(std::span<const uint8_t>) override {
    return Status::InvalidArgument("the actions topic is written by publishers, not by the engine");
  }
  Status Sync() override { return Status::Ok(); }
  uint64_t end() const override { return next_; }
  Status Read(uint64_t from, const RecordVisitor& visit) override {
    while (!pending_.empty()) {
      auto [offset, payload] = std::move(pending_.front());
      pending_.pop_front();
      if (offset < from) continue;
      if (!visit(offset, payload)) break;
    }
    return Status::Ok();
  }

 private:
  uint64_t next_;
  std::deque<std::pair<uint64_t, std::vector<uint8_t>>> pending_;
};

// One partition's transaction: the producer whose transactional.id names the partition.
struct Transaction {
  Client producer;
  bool open = false;
  bool transactional = true;  // false: at-least-once (benchmarks): no transaction, offsets after a flush
  Status Begin() {
    if (open || !transactional) return Status::Ok();
    if (Status s = FromError(rd_kafka_begin_transaction(producer.get()), "begin_transaction"); !s.ok()) return s;
    open = true;
    return Status::Ok();
  }
};

// The journal topic's partition, written inside the partition's transaction.
class JournalTopic final : public JournalSink {
 public:
  JournalTopic(Transaction* txn, std::string brokers, std::string topic, int32_t partition, JournalTail tail)
      : txn_(txn), brokers_(std::move(brokers)), topic_(std::move(topic)), partition_(partition), tail_(std::move(tail)) {}

  Status Append(std::span<const uint8_t> record) override {
    if (Status s = txn_->Begin(); !s.ok()) return s;
    if (Status s = Produce(txn_->producer.get(), topic_, partition_, {}, record); !s.ok()) return s;
    tail_.records += 1;
    tail_.last.assign(record.begin(), record.end());
    return Status::Ok();
  }
  Status Sync() override { return Status::Ok(); }  // durable when the transaction commits
  uint64_t end() const override { return tail_.records; }
  Status ReadRecord(uint64_t sequence, std::vector<uint8_t>* record) override {
    if (sequence + 1 == tail_.records) {
      *record = tail_.last;
      return Status::Ok();
    }
    bool found = false;
    Status s = Read(sequence, [&](uint64_t, std::span<const uint8_t> payload) {
      record->assign(payload.begin(), payload.end());
      found = true;
      return false;
    });
    if (s.ok() && !found) s = Status::NotFound(fmt::format("{} partition {}: no record {}", topic_, partition_, sequence));
    return s;
  }
  // Committed records only (read_committed), from the partition's start: a rare path (a state
  // behind its journal), never the loop's.
  Status Read(uint64_t from, const RecordVisitor& visit) override {
    return ReadJournal(brokers_, topic_, partition_, [&](const JournalEntry& e) {
      return e.sequence < from ? true : visit(e.sequence, e.record);
    });
  }

 private:
  Transaction* txn_;
  std::string brokers_;
  std::string topic_;
  int32_t partition_;
  JournalTail tail_;
};

// RocksDB beside the changelog: Commit is where the partition's transaction commits.
class ChangelogStore final : public StateStore {
 public:
  ChangelogStore(Transaction* txn, rd_kafka_t* consumer, RocksDbStateStore* local, std::string actions,
                 std::string changelog, int32_t partition)
      : txn_(txn), consumer_(consumer), local_(local), actions_(std::move(actions)), changelog_(std::move(changelog)),
        partition_(partition) {}

  Status Load(Engine* engine, uint64_t* applied) override { return local_->Load(engine, applied); }

  double commit_seconds = 0;  // in committing the transaction (or flushing and committing offsets)

  Status Commit(const StateCommit& commit) override {
    if (Status s = commit.JournalSynced(); !s.ok()) return s;  // the journal's records first
    std::vector<state_codec::Put> puts;
    commit.changes([&](const state_codec::Put& put) { puts.push_back(put); });
    if (Status s = txn_->Begin(); !s.ok()) return s;
    rd_kafka_t* producer = txn_->producer.get();
    for (const state_codec::Put& put : puts) {
      const std::string key = ChangelogKey(put.family, put.key);
      std::optional<std::span<const uint8_t>> value;
      if (!put.erase) value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(put.value.data()), put.value.size());
      if (Status s = Produce(producer, changelog_, partition_, key, value); !s.ok()) return s;
    }
    const std::string applied = bytes::Out().U64(commit.applied).Take();  // as RocksDbStateStore keeps it
    if (Status s = Produce(producer, changelog_, partition_, ChangelogKey(state_codec::Family::kMeta, kAppliedKey),
                           std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(applied.data()), applied.size()));
        !s.ok()) return s;
    const auto committing = Clock::now();
    if (txn_->transactional) {
      if (Status s = SendOffsets(commit.applied); !s.ok()) return s;
      if (Status s = CommitTransaction(); !s.ok()) return s;
    } else if (Status s = FlushAndCommitOffsets(commit.applied); !s.ok()) {
      return s;
    }
    commit_seconds += std::chrono::duration<double>(Clock::now() - committing).count();
    // Kafka holds the batch: RocksDB may follow (a crash before it is a state behind, restored).
    StateCommit local{commit.applied, [&](const std::function<void(const state_codec::Put&)>& put) {
                        for (const state_codec::Put& p : puts) put(p);
                      }};
    return local_->Commit(local);
  }

 private:
  // At-least-once: every message acknowledged, then the offset committed by the consumer; a crash
  // between the two folds the batch again and journals it twice (what exactly-once prevents).
  Status FlushAndCommitOffsets(uint64_t applied) {
    if (Status s = FromErr(rd_kafka_flush(txn_->producer.get(), kCallTimeoutMs), "flush"); !s.ok()) return s;
    PartitionList offsets(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(offsets.get(), actions_.c_str(), partition_)->offset = static_cast<int64_t>(applied);
    return FromErr(rd_kafka_commit(consumer_, offsets.get(), 0), "committing the offset");
  }

  Status SendOffsets(uint64_t applied) {
    PartitionList offsets(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(offsets.get(), actions_.c_str(), partition_)->offset = static_cast<int64_t>(applied);
    Status s;
    for (int attempt = 0; attempt < kTxnAttempts; ++attempt) {
      rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer_);
      rd_kafka_error_t* error =
          rd_kafka_send_offsets_to_transaction(txn_->producer.get(), offsets.get(), group, kCallTimeoutMs);
      rd_kafka_consumer_group_metadata_destroy(group);
      // librdkafka 2.0.2 ignores the timeout here: a retriable error is answered by sending the
      // same offsets again.
      const bool retriable = error != nullptr && rd_kafka_error_is_retriable(error);
      s = FromError(error, "send_offsets_to_transaction");
      if (s.ok() || !retriable) break;
    }
    return s;
  }

  Status CommitTransaction() {
    Status s;
    for (int attempt = 0; attempt < kTxnAttempts; ++attempt) {
      rd_kafka_error_t* error = rd_kafka_commit_transaction(txn_->producer.get(), kCallTimeoutMs);
      const bool retriable = error != nullptr && rd_kafka_error_is_retriable(error);
      bool abortable = false;
      s = FromError(error, "commit_transaction", &abortable);
      if (s.ok()) {
        txn_->open = false;
        return s;
      }
      if (abortable) {
        // Nothing of the batch is visible; the caller reopens the partition from what Kafka holds.
        const Status aborted = FromError(rd_kafka_abort_transaction(txn_->producer.get(), -1), "abort");
        txn_->open = false;
        return aborted.ok() ? s : Status::IoError(s.message() + "; then " + aborted.message());
      }
      if (!retriable) break;
    }
    return s;  // ambiguous or fatal: the producer is dropped, the next one's epoch settles it
  }

  Transaction* txn_;
  rd_kafka_t* consumer_;
  RocksDbStateStore* local_;
  std::string actions_;
  std::string changelog_;
  int32_t partition_;
};

// Everything of one assigned partition.
struct Slot {
  int32_t partition = 0;
  Transaction txn;
  std::unique_ptr<RocksDbStateStore> local;
  std::unique_ptr<TopicInputs> inputs;
  std::unique_ptr<JournalTopic> journal;
  std::unique_ptr<ChangelogStore> store;
  std::unique_ptr<Partition> loop;
  int failures = 0;  // in a row
  bool at_end = false;  // the consumer reported the partition's end, and nothing came after it
};

class Member {
 public:
  Member(const MemberOptions& options, const std::atomic<bool>& stop)
      : o_(options), topics_(Topics::Of(options.prefix)), stop_(stop) {}

  Status Run();
  void Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);

 private:
  void Say(const std::string& text) const {
    if (o_.say) o_.say(text);
  }
  Status CheckTopics();
  Status Open(int32_t partition, std::unique_ptr<Slot>* slot);
  Status Restore(int32_t partition, const std::string& path, uint64_t committed, std::unique_ptr<RocksDbStateStore>* local);
  Status Committed(int32_t partition, uint64_t* offset);
  void Close(std::unique_ptr<Slot>& slot);
  Status Fold(int32_t partition);
  Status Seek(int32_t partition, uint64_t offset);
  bool CaughtUp();

  MemberOptions o_;
  Topics topics_;
  const std::atomic<bool>& stop_;
  Client consumer_;
  int partitions_ = 0;
  std::map<int32_t, std::unique_ptr<Slot>> slots_;
  Status failure_;
  struct {
    uint64_t inputs = 0;   // folded and committed
    uint64_t batches = 0;  // CatchUp calls (each one or more commits)
    double seconds = 0;    // in them
    double commit_seconds = 0;  // of which in committing
  } stats_;
};

void OnRebalance(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<Member*>(opaque)->Rebalance(err, partitions);
}

Status Member::CheckTopics() {
  const int want = partitions_;
  for (const std::string* topic : {&topics_.journal, &topics_.state}) {
    int count = 0;
    if (Status s = PartitionCount(consumer_.get(), *topic, &count); !s.ok()) return s;
    if (count != want) {
      return Status::InvalidArgument(fmt::format("{} has {} partitions but {} has {}: one journal and one changelog "
                                                 "partition per actions partition", *topic, count, topics_.actions, want));
    }
  }
  return Status::Ok();
}

Status Member::Committed(int32_t partition, uint64_t* offset) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topics_.actions.c_str(), partition);
  if (Status s = FromErr(rd_kafka_committed(consumer_.get(), list.get(), kCallTimeoutMs), "the group's committed offsets");
      !s.ok()) return s;
  const rd_kafka_topic_partition_t& tp = list->elems[0];
  if (Status s = FromErr(tp.err, "the group's committed offset"); !s.ok()) return s;
  *offset = tp.offset < 0 ? 0 : static_cast<uint64_t>(tp.offset);
  return Status::Ok();
}

// A fresh RocksDB state in `path` from the changelog partition: every key's newest value (a
// tombstone deletes it). Its input offset must be the group's committed offset.
Status Member::Restore(int32_t partition, const std::string& path, uint64_t committed,
                       std::unique_ptr<RocksDbStateStore>* local) {
  std::error_code error;
  fs::remove_all(path, error);
  if (error) return Status::IoError(fmt::format("removing {}: {}", path, error.message()));
  std::map<std::string, std::optional<std::string>> entries;
  uint64_t messages = 0;
  if (Status s = ReadPartition(o_.brokers, topics_.state, partition, 0,
                               [&](int64_t, std::string_view key, std::optional<std::span<const uint8_t>> value) {
                                 ++messages;
                                 if (value) {
                                   entries[std::string(key)] = std::string(value->begin(), value->end());
                                 } else {
                                   entries[std::string(key)] = std::nullopt;
                                 }
                                 return true;
                               });
      !s.ok()) return s;
  uint64_t applied = 0;
  std::vector<state_codec::Put> puts;
  for (auto& [key, value] : entries) {
    if (!value) continue;
    const auto known = [](uint8_t byte) {
      return std::any_of(std::begin(state_codec::kFamilies), std::end(state_codec::kFamilies),
                         [&](state_codec::Family f) { return static_cast<uint8_t>(f) == byte; });
    };
    if (key.empty() || !known(static_cast<uint8_t>(key[0]))) {
      return Status::Corruption(fmt::format("{} partition {}: a changelog key of no state family", topics_.state, partition));
    }
    const auto family = static_cast<state_codec::Family>(key[0]);
    if (family == state_codec::Family::kMeta && key.substr(1) == kAppliedKey) {
      applied = bytes::In(*value).U64();
      continue;
    }
    puts.push_back({family, key.substr(1), std::move(*value), false});
  }
  if (applied != committed) {
    return Status::Corruption(fmt::format(
        "{} partition {}: the changelog reflects {} inputs, the group {} committed {}{}", topics_.state, partition, applied,
        o_.group, committed,
        committed == 0 ? ": is this the group that folds these topics? (--group names it; a new group over topics "
                         "another group folded starts from nothing the changelog agrees with)"
                       : ""));
  }
  if (Status s = RocksDbStateStore::Open(path, {.read_only = false, .sync = false}, local); !s.ok()) return s;
  StateCommit commit{applied, [&](const std::function<void(const state_codec::Put&)>& put) {
                       for (const state_codec::Put& p : puts) put(p);
                     }};
  if (Status s = (*local)->Commit(commit); !s.ok()) return s;
  Say(fmt::format("partition {}: state restored from {} ({} messages, {} entries), {} inputs folded", partition,
                  topics_.state, messages, puts.size(), applied));
  return Status::Ok();
}

namespace {
// Why a member stops on topics given partitions after they were made (the two checks of Open).
constexpr const char* kGrownTopics = "the topics were given partitions after they were made, which splits a locality's "
                                     "queues (the count is fixed when the topics are made: docs/kafka.md, \"Topics\"); "
                                     "the member stops";
}  // namespace

Status Member::Open(int32_t partition, std::unique_ptr<Slot>* out) {
  // The count read when the member started must still hold: topics given partitions while it runs
  // would have their inputs routed by the new count (the locality check below catches a restart).
  int now = 0;
  if (Status s = PartitionCount(consumer_.get(), topics_.actions, &now); !s.ok()) return s;
  if (now != partitions_) {
    return Status::InvalidArgument(
        fmt::format("{} has {} partitions, {} when the member started: {}", topics_.actions, now, partitions_, kGrownTopics));
  }
  auto slot = std::make_unique<Slot>();
  slot->partition = partition;
  // The producer first: its init_transactions fences any earlier owner of the partition and
  // settles its open transaction, so what is committed below no longer moves.
  // retry.backoff.ms: the first AddPartitionsToTxn after a commit is answered
  // CONCURRENT_TRANSACTIONS until the broker wrote the markers; librdkafka then waits the backoff
  // (100 ms by default) before asking again: most of a transaction's cost here.
  Settings producer{{"enable.idempotence", "true"}, {"linger.ms", "5"}, {"retry.backoff.ms", "5"}};
  // Named by the prefix and the partition alone: a member of another group (a typo in --group, a
  // second deployment) on the same topics fences this one too, so that two never journal at once.
  if (!o_.at_least_once) producer.push_back({"transactional.id", fmt::format("{}-p{}", o_.prefix, partition)});
  if (Status s = MakeClient(RD_KAFKA_PRODUCER, o_.brokers, producer, &slot->txn.producer); !s.ok()) return s;
  slot->txn.transactional = !o_.at_least_once;
  if (slot->txn.transactional) {
    if (Status s = FromError(rd_kafka_init_transactions(slot->txn.producer.get(), kCallTimeoutMs), "init_transactions");
        !s.ok()) return s;
  }
  uint64_t committed = 0;
  if (Status s = Committed(partition, &committed); !s.ok()) return s;
  // The inputs from the committed offset on must still be there: a topic whose records were
  // deleted (retention, DeleteRecords) before they were folded has lost them.
  int64_t low = 0, high = 0;
  if (Status s = Watermarks(slot->txn.producer.get(), topics_.actions, partition, &low, &high); !s.ok()) return s;
  if (static_cast<uint64_t>(low) > committed) {
    return Status::Corruption(fmt::format("{} partition {} starts at offset {}, but the inputs from offset {} on are not "
                                          "folded yet: they were deleted (retention or DeleteRecords; kezek kafka init "
                                          "makes topics that keep them for ever), and the member stops", topics_.actions,
                                          partition, low, committed));
  }
  const std::string path = (fs::path(o_.data) / fmt::format("partition-{}", partition)).string();
  uint64_t applied = 0;
  bool usable = false;
  if (fs::exists(path)) {
    if (Status s = RocksDbStateStore::Open(path, {.read_only = false, .sync = false}, &slot->local); s.ok()) {
      Engine probe;
      usable = slot->local->Load(&probe, &applied).ok() && applied == committed;
      if (!usable) {
        Say(fmt::format("partition {}: the local state reflects {} inputs, the group committed {}: restoring", partition,
                        applied, committed));
        slot->local.reset();
      }
    } else if (s.code() == Status::Code::kBusy) {
      return s;  // another process works in this directory: never restore over its files
    } else {
      Say(fmt::format("partition {}: the local state does not open ({}): restoring", partition, s.ToString()));
    }
  }
  if (!usable) {
    if (Status s = Restore(partition, path, committed, &slot->local); !s.ok()) return s;
  }
  JournalTail tail;
  if (Status s = FindJournalTail(o_.brokers, topics_.journal, partition, &tail); !s.ok()) return s;
  slot->inputs = std::make_unique<TopicInputs>(committed);
  slot->journal = std::make_unique<JournalTopic>(&slot->txn, o_.brokers, topics_.journal, partition, std::move(tail));
  slot->store = std::make_unique<ChangelogStore>(&slot->txn, consumer_.get(), slot->local.get(), topics_.actions,
                                                 topics_.state, partition);
  Partition::Options options;
  options.batch_max = o_.batch_max;
  options.crash_at = o_.crash_at;
  options.name = fmt::format("{} partition {}", topics_.actions, partition);
  options.input_name = options.name;
  options.journal_name = fmt::format("{} partition {}", topics_.journal, partition);
  slot->loop = std::make_unique<Partition>(slot->store.get(), options);
  if (Status s = slot->loop->LoadState(); !s.ok()) return s;
  if (slot->loop->applied() != committed) {
    return Status::Corruption(fmt::format("partition {}: the state reflects {} inputs after restoring, the group "
                                          "committed {}", partition, slot->loop->applied(), committed));
  }
  // The partition count is fixed when the topics are made: a locality's partition is its number
  // mod the count. Topics grown since (kafka-topics.sh --alter) would route a locality this
  // partition numbers to another one, where its queues and numbers would start again from nothing.
  for (const auto& [locality, numbers] : slot->loop->engine().state().numbers) {
    const int32_t routed = PartitionOfLocality(locality.value, partitions_);
    if ((numbers.applications == 0 && numbers.vouchers == 0) || routed == partition) continue;
    return Status::InvalidArgument(fmt::format(
        "{} partition {} holds locality {}'s applications and vouchers, but with the {} partitions {} has now, locality {} "
        "goes to partition {}: {}", topics_.actions, partition, locality.value, partitions_, topics_.actions, locality.value,
        routed, kGrownTopics));
  }
  // Checks the journal's head against the state (the journal holds exactly what it reflects).
  if (Status s = slot->loop->Open(slot->inputs.get(), slot->journal.get(), Partition::Mode::kRecover); !s.ok()) return s;
  if (slot->journal->end() != slot->loop->engine().state().next_sequence) {
    return Status::Corruption(fmt::format("{} partition {}: {} records, but the state reflects {}", topics_.journal,
                                          partition, slot->journal->end(), slot->loop->engine().state().next_sequence));
  }
  Say(fmt::format("partition {}: open at input {}, journal record {}", partition, committed, slot->journal->end()));
  *out = std::move(slot);
  return Status::Ok();
}

void Member::Close(std::unique_ptr<Slot>& slot) {
  if (!slot) return;
  if (slot->txn.open) {
    // A transaction a failure left open: abort it (a fenced or fatal producer fails here, and
    // then the next owner's init_transactions settles it).
    (void)FromError(rd_kafka_abort_transaction(slot->txn.producer.get(), -1), "abort");
  }
  slot->loop.reset();
  slot->store.reset();
  slot->journal.reset();
  slot->inputs.reset();
  slot->local.reset();
  slot->txn.producer.reset();
  slot.reset();
}

void Member::Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& tp = partitions->elems[i];
      std::unique_ptr<Slot> slot;
      if (Status s = Open(tp.partition, &slot); !s.ok()) {
        if (failure_.ok()) failure_ = s.Within(fmt::format("partition {}", tp.partition));
        continue;
      }
      tp.offset = static_cast<int64_t>(slot->loop->applied());
      slots_[tp.partition] = std::move(slot);
    }
    Say(fmt::format("assigned {} partitions", partitions->cnt));
    if (Status s = FromErr(rd_kafka_assign(consumer_.get(), partitions), "assign"); !s.ok() && failure_.ok()) failure_ = s;
  } else {
    // Revoked (eager protocol: all of them), or lost: every transaction is committed between
    // batches, so nothing is in flight; the producers go, the next owner fences them anyway.
    for (auto& [partition, slot] : slots_) Close(slot);
    slots_.clear();
    Say(fmt::format("partitions revoked ({})", rd_kafka_err2name(err)));
    (void)rd_kafka_assign(consumer_.get(), nullptr);
  }
}

Status Member::Seek(int32_t partition, uint64_t offset) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topics_.actions.c_str(), partition)->offset = static_cast<int64_t>(offset);
  return FromError(rd_kafka_seek_partitions(consumer_.get(), list.get(), kCallTimeoutMs), "seek");
}

// Folds what the partition's buffer holds (one transaction per batch_max inputs). A failure drops
// the partition's engine and producer and opens it again from what Kafka committed.
Status Member::Fold(int32_t partition) {
  std::unique_ptr<Slot>& slot = slots_[partition];
  const uint64_t before = slot->loop->applied();
  const auto started = Clock::now();
  const Status folded = slot->loop->CatchUp({});
  if (folded.ok()) {
    slot->failures = 0;
    stats_.inputs += slot->loop->applied() - before;
    stats_.batches += 1;
    stats_.seconds += std::chrono::duration<double>(Clock::now() - started).count();
    stats_.commit_seconds += slot->store->commit_seconds;
    slot->store->commit_seconds = 0;
    return folded;
  }
  const int failures = slot->failures + 1;
  Say(fmt::format("partition {}: {}; opening it again from what Kafka committed", partition, folded.ToString()));
  Close(slot);
  if (failures > kReopensMax) {
    return folded.Within(fmt::format("partition {} failed {} times in a row", partition, failures));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200 * failures));
  if (Status s = Open(partition, &slot); !s.ok()) return s;
  slot->failures = failures;
  return Seek(partition, slot->loop->applied());
}

bool Member::CaughtUp() {
  if (slots_.empty()) return false;
  for (const auto& [partition, slot] : slots_) {
    if (slot->inputs->has_pending()) return false;
    // At the end the consumer reported (read_committed: before a transaction's closing marker,
    // which the high watermark counts: a partition that ends in one never reaches it).
    if (slot->at_end) continue;
    int64_t low = 0, high = 0;
    if (!Watermarks(slot->txn.producer.get(), topics_.actions, partition, &low, &high).ok()) return false;
    if (slot->loop->applied() < static_cast<uint64_t>(high)) return false;
  }
  return true;
}

Status Member::Run() {
  Settings settings{{"group.id", o_.group},
                    {"isolation.level", "read_committed"},
                    {"enable.auto.commit", "false"},
                    // An offset gone from the topic is an error, never a jump over lost inputs.
                    {"auto.offset.reset", "error"},
                    {"enable.partition.eof", "true"},
                    {"partition.assignment.strategy", "range"},
                    {"session.timeout.ms", "6000"},
                    {"heartbeat.interval.ms", "1000"}};
  if (!o_.instance.empty()) settings.push_back({"group.instance.id", o_.instance});
  if (Status s = MakeClient(RD_KAFKA_CONSUMER, o_.brokers, settings, &consumer_, [&](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_opaque(conf, this);
        rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
      });
      !s.ok()) return s;
  if (Status s = PartitionCount(consumer_.get(), topics_.actions, &partitions_); !s.ok()) return s;
  if (Status s = CheckTopics(); !s.ok()) return s;
  std::error_code error;
  fs::create_directories(o_.data, error);
  if (error) return Status::IoError(fmt::format("creating {}: {}", o_.data, error.message()));
  PartitionList subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topics_.actions.c_str(), RD_KAFKA_PARTITION_UA);
  if (Status s = FromErr(rd_kafka_subscribe(consumer_.get(), subscription.get()), "subscribe"); !s.ok()) return s;
  Say(fmt::format("member of group {} over {} ({} partition{})", o_.group, topics_.actions, partitions_,
                  partitions_ == 1 ? "" : "s"));

  auto last_input = Clock::now();
  Status result;
  while (!stop_.load() && failure_.ok() && result.ok()) {
    size_t buffered = 0;
    for (int timeout = 100; buffered < o_.batch_max; timeout = 0) {
      Message m(rd_kafka_consumer_poll(consumer_.get(), timeout));
      if (!m) break;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (const auto it = slots_.find(m->partition); it != slots_.end()) it->second->at_end = true;
        continue;
      }
      if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
        result = Status::Corruption(fmt::format("{} partition {}: {}: inputs not folded yet are gone from the topic "
                                                "(retention or DeleteRecords), and the member stops", topics_.actions,
                                                m->partition, Text(rd_kafka_message_errstr(m.get()))));
        break;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::string text =
            fmt::format("consumer: {} ({})", Text(rd_kafka_message_errstr(m.get())), Text(rd_kafka_err2name(m->err)));
        char reason[512];
        if (rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          // E.g. another process joined as the same static member (--instance): this one stops.
          result = Status::IoError(fmt::format("{}: fatal, the member stops ({})", text, reason));
        } else {
          Say(text);  // transient (a broker away): librdkafka reconnects by itself
        }
        break;
      }
      const auto it = slots_.find(m->partition);
      if (it == slots_.end()) continue;  // revoked meanwhile
      std::span<const uint8_t> payload(static_cast<const uint8_t*>(m->payload), m->payload != nullptr ? m->len : 0);
      // Another producer's message that is no input, or an action of another partition:
      // journaled as its refusal, never a halt of the partition (router.h, Refusal).
      const std::optional<std::vector<uint8_t>> refusal = Refusal(payload, m->partition, partitions_);
      if (refusal) payload = *refusal;
      it->second->at_end = false;
      it->second->inputs->Push(m->offset, payload);
      ++buffered;
    }
    if (!result.ok()) break;
    if (buffered > 0) last_input = Clock::now();
    for (auto& [partition, slot] : slots_) {
      if (!slot || !slot->inputs->has_pending()) continue;
      if (Status s = Fold(partition); !s.ok()) {
        result = s;
        break;
      }
    }
    if (o_.exit_when_idle_ms > 0 && Clock::now() - last_input > std::chrono::milliseconds(o_.exit_when_idle_ms) &&
        CaughtUp()) {
      Say("every assigned partition is folded to its end: exiting");
      break;
    }
  }
  if (!failure_.ok()) result = failure_;  // an assignment's failure came first (a consumer's error may follow it)
  Say(fmt::format("folded {} inputs in {} batches, {:.3f} s folding and committing ({:.0f} inputs/s; {:.3f} s of it "
                  "committing){}", stats_.inputs, stats_.batches, stats_.seconds,
                  static_cast<double>(stats_.inputs) / std::max(stats_.seconds, 1e-9), stats_.commit_seconds,
                  o_.at_least_once ? ", at least once" : ""));
  rd_kafka_consumer_close(consumer_.get());  // leaves the group (the revoke closes the slots)
  for (auto& [partition, slot] : slots_) Close(slot);
  slots_.clear();
  consumer_.reset();
  return result;
}

}  // namespace

Status RunMember(const MemberOptions& options, const std::atomic<bool>& stop) {
  Member member(options, stop);
  return member.Run();
}

}  // namespace kezek::adapters::kafka
