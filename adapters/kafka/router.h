// Where an input goes in the actions topic (docs/kafka.md, "Routing"). One locality's queues live in
// one partition: locality L's partition is L mod the partition count, fixed when the topics are
// made. An input is routed by what it names:
//   - a filing or an allocation: its locality;
//   - an action on an application: the locality its country-wide number names (engine/numbers.h;
//     a number no application can have: partition 0, which journals its rejection);
//   - the catalogue, the calendar, offsets, policies, a child's archival and the clock's ticks:
//     every partition (each holds the whole catalogue and keeps its own time; an archival
//     archives what each partition holds of the child);
//   - a line that is no action: partition 0, where it is journaled as its rejection.
// Pure: no I/O, the same bytes give the same partitions on every machine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kezek::adapters::kafka {

struct Route {
  std::string key;                  // the message key: the locality's number, "*" for every
                                    // partition, "" for a line that is no action
  std::vector<int32_t> partitions;  // ascending
};
// Where an input payload (events::EncodeInput's) is published.
Route RouteOf(std::span<const uint8_t> payload, int32_t partitions);
// The partition of a locality.
int32_t PartitionOfLocality(uint32_t locality, int32_t partitions);

// What partition `partition` of `partitions` folds for a message read from the actions topic:
// nullopt when it folds the message as it came; else the input that refuses it. Another
// producer's message that is no input (events::FrameProblem) is refused VerifierFailed; an action
// routed elsewhere (RouteOf does not name this partition: written straight into the topic by
// another client) is refused WrongPartition — folded here it would open its locality's queues and
// numbers a second time, in a partition the others do not read. The engine member and
// `kezek replay verify --kafka` both fold what this says, so a partition's journal is the same
// from either. Pure and deterministic.
std::optional<std::vector<uint8_t>> Refusal(std::span<const uint8_t> payload, int32_t partition, int32_t partitions);

}  // namespace kezek::adapters::kafka
