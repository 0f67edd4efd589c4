// The queue order: within one queue (locality x queue type x age group x language, and correction
// type for the special queue) by priority tier, then filing time, then application number.
// Positions are computed on read from ranked sets (engine/ranked_set.h); nothing is stored per
// application, so positions change for everyone behind when someone ahead leaves.
//
// With a ratio policy (e.g. Astana: 1 place to the priority tiers for every 3 to the general
// line), the queue keeps two lines and a cycle counter; a position is then the place in the order
// in which vouchers will be issued: own rank plus the other line's places served before it.
#pragma once

#include <cstdint>
#include <optional>

#include <absl/container/btree_set.h>

#include "engine/ranked_set.h"
#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek {

struct QueueKey {
  LocalityId locality;
  fb::QueueType type = fb::QueueType::General;
  uint16_t birth_year = 0;
  fb::Language language = fb::Language::Kk;
  fb::CorrectionType correction = fb::CorrectionType::None;
  auto operator<=>(const QueueKey&) const = default;
};

struct QueueEntry {
  uint8_t tier = 0;
  InstantMs filed_at;
  ApplicationId application;
  auto operator<=>(const QueueEntry&) const = default;
};

// Places handed out: `priority` to the priority tiers for every `general` to the general line.
// Both zero: the priority tiers always go first.
struct Ratio {
  uint16_t priority = 0;
  uint16_t general = 0;
  bool active() const { return priority > 0 && general > 0; }
  auto operator<=>(const Ratio&) const = default;
};

enum class Line : uint8_t { Priority, General };

class Queue {
 public:
  explicit Queue(QueueKey key) : key_(key) {}

  const QueueKey& key() const { return key_; }
  // REQUIRES: entry not present (Insert) / present (Erase).
  void Insert(const QueueEntry& entry, Line line);
  void Erase(const QueueEntry& entry, Line line);
  uint64_t size() const { return priority_.size() + general_.size(); }
  uint64_t size(Line line) const { return line == Line::Priority ? priority_.size() : general_.size(); }
  // 1-based place in the order of issue. REQUIRES: entry present in `line`.
  uint64_t PositionOf(const QueueEntry& entry, Line line, Ratio ratio) const;
  // The order of issue as arithmetic, for any store of the two lines (the PostgreSQL baseline
  // keeps them in a table): the line whose turn it is at ratio cycle position `cycle`, and the
  // place in the order of issue of the rank-th (1-based) of `line` with `other_size` waiting in
  // the other line.
  static Line TurnOf(uint32_t cycle, Ratio ratio);
  static uint64_t PlaceInIssueOrder(uint64_t rank, Line line, uint64_t other_size, Ratio ratio, uint32_t cycle);
  // The next to receive a voucher and its line, without removing it; nullopt if empty.
  std::optional<std::pair<QueueEntry, Line>> Head(Ratio ratio) const;
  // Removes the head and advances the ratio cycle. REQUIRES: not empty.
  QueueEntry PopHead(Ratio ratio);
  // The entry k places behind the head of `line` (0: its head), nullptr when the line is shorter:
  // for a caller issuing to several heads in turn, which starts loading their applications early.
  const QueueEntry* Ahead(Line line, size_t k) const {
    return line == Line::Priority ? priority_.ahead(k) : general_.ahead(k);
  }
  // Empties both lines and restarts the cycle (a policy change rebuilds the queue).
  void Clear();

  uint32_t cycle() const { return cycle_; }
  // Restores the ratio cycle from a stored state (engine/state_codec.cc).
  void RestoreCycle(uint32_t cycle) { cycle_ = cycle; }
  absl::btree_set<VoucherId>& free_vouchers() { return free_vouchers_; }
  const absl::btree_set<VoucherId>& free_vouchers() const { return free_vouchers_; }

  template <typename Visit>
  void ForEach(Visit&& visit) const {
    priority_.ForEach([&](const QueueEntry& e) { visit(e, Line::Priority); });
    general_.ForEach([&](const QueueEntry& e) { visit(e, Line::General); });
  }

 private:
  using LineSet = RankedSet<QueueEntry>;

  QueueKey key_;
  LineSet priority_;
  LineSet general_;
  uint32_t cycle_ = 0;  // index of the next slot within one ratio cycle
  absl::btree_set<VoucherId> free_vouchers_;  // lowest id is issued first (a B-tree: a country's pools in few nodes)
};

}  // namespace kezek
