// The engine on Kafka (DESIGN §3, §5; docs/kafka.md): one member of a consumer group over the
// actions topic. For each partition it is assigned it runs the partition loop (adapters/partition.h)
// over three pieces of its own:
//   - inputs: the partition's actions, read_committed, as the group consumer fetches them (they
//     arrive durable: the loop folds them with CatchUp);
//   - journal: the journal topic's partition of the same number, written by a transactional
//     producer whose transactional.id names the partition (PREFIX-pN, no group), so that whoever takes
//     the partition over fences the one before (a new epoch aborts its open transaction);
//   - state: RocksDB in DATA/partition-N, and the state topic's partition (a compacted changelog):
//     a commit writes the batch's journal records, the state's changed entries and the input offset
//     (send_offsets_to_transaction) in one Kafka transaction, and only once it committed writes
//     the same entries to RocksDB.
// So RocksDB never runs ahead of Kafka. On assignment the member compares the RocksDB state's input
// offset with the group's committed offset: equal, it goes on; else (behind after a crash between
// the two commits, missing on a new machine) it restores the state from the changelog, as Kafka
// Streams restores a store, and checks it against the journal's head before producing anything.
// Any failure of a partition's transaction (fenced, ambiguous, aborted, a broker gone) drops that
// partition's engine and producer and opens it again from what Kafka committed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "adapters/limits.h"
#include "adapters/status.h"

namespace kezek::adapters::kafka {

struct MemberOptions {
  std::string brokers;
  std::string prefix = "kezek";    // topics PREFIX.actions, PREFIX.journal, PREFIX.state
  std::string group = "kezek-engine";
  std::string instance;            // group.instance.id (static membership), empty for none
  std::string data;                // the member's directory: one RocksDB state per partition
  size_t batch_max = limits::kBatchInputsDefault;  // inputs per transaction at most
  uint64_t crash_at = 0;           // tests: SIGKILL at a partition's n-th crash point
  bool at_least_once = false;      // benchmarks only: no transactions (a crash may journal twice)
  int exit_when_idle_ms = 0;       // > 0: exit once every assigned partition is folded to its end
                                   // and no input came for this long
  std::function<void(const std::string&)> say;
};

// Runs until `stop` is set (then leaves the group cleanly) or, with exit_when_idle_ms, until idle.
// Failure: a partition that cannot be opened (its state disagrees with its journal: Corruption), a
// topic missing, a partition failing again and again.
Status RunMember(const MemberOptions& options, const std::atomic<bool>& stop);

}  // namespace kezek::adapters::kafka
