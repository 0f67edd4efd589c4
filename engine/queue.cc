#include "engine/queue.h"

#include <algorithm>

#include "engine/assert.h"

namespace kezek {

void Queue::Insert(const QueueEntry& entry, Line line) {
  const bool inserted = (line == Line::Priority ? priority_ : general_).insert(entry);
  KEZEK_ASSERT(inserted);
}

void Queue::Erase(const QueueEntry& entry, Line line) {
  const size_t erased = (line == Line::Priority ? priority_ : general_).erase(entry);
  KEZEK_ASSERT(erased == 1);
}

namespace {

Line SlotLine(uint32_t cycle, uint64_t slot, Ratio ratio) {
  const uint64_t cycle_length = uint64_t{ratio.priority} + ratio.general;
  return (cycle + slot) % cycle_length < ratio.priority ? Line::Priority : Line::General;
}

}  // namespace

Line Queue::TurnOf(uint32_t cycle, Ratio ratio) {
  return ratio.active() ? SlotLine(cycle, 0, ratio) : Line::Priority;
}

uint64_t Queue::PlaceInIssueOrder(uint64_t rank, Line line, uint64_t other_size, Ratio ratio, uint32_t cycle) {
  if (!ratio.active()) return line == Line::Priority ? rank : other_size + rank;
  // Slot index (0-based, from the current cycle position) of this line's rank-th slot.
  const uint64_t cycle_length = uint64_t{ratio.priority} + ratio.general;
  const uint64_t own_per_cycle = line == Line::Priority ? ratio.priority : ratio.general;
  const uint64_t full_cycles = (rank - 1) / own_per_cycle;
  uint64_t wanted = (rank - 1) % own_per_cycle;  // own slots to skip within the last cycle
  uint64_t offset = 0;
  for (;; ++offset) {
    if (SlotLine(cycle, offset, ratio) == line) {
      if (wanted == 0) break;
      --wanted;
    }
  }
  const uint64_t slot = full_cycles * cycle_length + offset;
  const uint64_t other_slots_before = slot - (rank - 1);
  // Once the other line runs dry, every slot serves this line.
  return rank + std::min(other_size, other_slots_before);
}

uint64_t Queue::PositionOf(const QueueEntry& entry, Line line, Ratio ratio) const {
  const LineSet& own = line == Line::Priority ? priority_ : general_;
  // No find() to check the REQUIRES: it would walk the tree a second time on every read (the
  // invariant tests check positions are exactly 1..n in every queue).
  const uint64_t rank = own.order_of_key(entry) + 1;
  return PlaceInIssueOrder(rank, line, size(line == Line::Priority ? Line::General : Line::Priority), ratio, cycle_);
}

std::optional<std::pair<QueueEntry, Line>> Queue::Head(Ratio ratio) const {
  if (size() == 0) return std::nullopt;
  Line line = TurnOf(cycle_, ratio);
  if (size(line) == 0) line = line == Line::Priority ? Line::General : Line::Priority;
  const LineSet& tree = line == Line::Priority ? priority_ : general_;
  return std::make_pair(tree.front(), line);
}

QueueEntry Queue::PopHead(Ratio ratio) {
  const auto head = Head(ratio);
  KEZEK_ASSERT(head.has_value());
  Erase(head->first, head->second);
  if (ratio.active()) cycle_ = (cycle_ + 1) % (uint32_t{ratio.priority} + ratio.general);
  return head->first;
}

void Queue::Clear() {
  priority_.clear();
  general_.clear();
  cycle_ = 0;
}

}  // namespace kezek
