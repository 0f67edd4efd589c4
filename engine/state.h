// The engine's state: plain records, one map or vector per entity kind, so that each batch's
// changes can be written as key/value pairs (one column family per kind in RocksDB) and a
// country's applications fit in memory (~200 bytes each plus their strings).
// The state holds no clock and no I/O; it is changed only by the fold (engine/engine.h).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>

#include "engine/calendar.h"
#include "engine/chunked.h"
#include "engine/iin.h"
#include "engine/messages.h"
#include "engine/queue.h"
#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek {

struct Locality {
  std::string name_ru;
  std::string name_kk;
  std::string region_code;
};

struct Kindergarten {
  LocalityId locality;
  std::string name_ru;
  std::string name_kk;
  std::vector<GroupId> groups;  // derived from State::groups, ascending: the ДО's own groups
};

struct Group {
  KindergartenId kindergarten;
  fb::Language language = fb::Language::Kk;
  uint8_t min_age_years = 0;
  uint8_t max_age_years = 0;
  fb::CorrectionType correction = fb::CorrectionType::None;
  uint32_t capacity = 0;
  uint32_t taken = 0;  // places reserved by an enrollment request or held by an enrolled child
};

struct Tier {
  std::string code;
  std::vector<std::string> categories;
  bool general_line = false;
};

struct PriorityPolicy {
  std::vector<Tier> tiers;
  Ratio ratio;
};

// Where a priority category stands under a policy.
struct TierPlace {
  uint8_t tier = 0;
  Line line = Line::General;
};

enum class VoucherState : uint8_t { Free, Held, InUse, Used };

struct Voucher {
  uint32_t queue = 0;  // index into State::queues
  VoucherState state = VoucherState::Free;
  ApplicationId holder;  // 0 unless Held / InUse / Used
};

// The fields every rule and timer reads first (number, status, deadline, queue) in the first
// cache line, the strings last: a country's million applications are read at random, a cache
// miss each, and the layout makes that one miss, not two or three. The order of the fields is
// not observable (the state's encoding names each one).
struct alignas(64) Application {
  ApplicationId id;
  Iin applicant;
  InstantMs deadline_at;
  VoucherId voucher;                  // 0 when none
  uint32_t queue = 0;                 // index into State::queues
  uint32_t deadline_generation = 0;   // timers of older generations are stale
  LocalityId locality;
  GroupId group;                      // 0 when none
  LocalDate deadline_date;
  uint16_t category = 0;              // index into State::categories
  TierPlace place;
  fb::ApplicationStatus status = fb::ApplicationStatus::AwaitingDocuments;
  fb::DeadlineKind deadline = fb::DeadlineKind::None;
  fb::QueueType type = fb::QueueType::General;
  fb::ArchiveReason archive_reason = fb::ArchiveReason::DocumentsRejected;  // when Archived
  bool annulled_by_deadline = false;  // the last voucher was annulled because a deadline passed
  bool extension_used = false;
  fb::Language language = fb::Language::Kk;
  fb::CorrectionType correction = fb::CorrectionType::None;
  // Read less often:
  Iin child;
  LocalDate birth_date;
  KindergartenId chosen_kindergarten;  // special queue: chosen at filing
  InstantMs filed_at;
  InstantMs school_age_at;  // 00:00 local on the 1 September the child starts school
  std::string child_name;
  std::string conclusion_document;
  std::string contract_number;
  std::string parent_document_sha256;
  std::string kindergarten_document_sha256;
};
static_assert(sizeof(Application) == 256, "an application is four cache lines, its hot fields the first");

struct Timer {
  InstantMs at;
  ApplicationId application;
  bool school_age = false;     // otherwise the application's deadline of `generation`
  uint32_t generation = 0;
  auto operator<=>(const Timer&) const = default;
};

// The armed timers, earliest first (the order of Timer's fields), kept by UTC day. A deadline is
// the end of a local day and a school-age archival the start of one, so arming a timer is an
// append to its day's bucket, and a bucket is sorted once, when its first timer is taken (a
// timer armed into a bucket already being taken is inserted in its place). Timers leave in
// exactly the order one heap of all of them would give; a heap of a country's million timers
// made every pop a chain of cache misses.
class Timers {
 public:
  void push(const Timer& timer) {
    Bucket& bucket = buckets_[DayOf(timer.at)];
    if (bucket.sorted) {
      const auto rest = bucket.timers.begin() + static_cast<std::ptrdiff_t>(bucket.next);
      bucket.timers.insert(std::upper_bound(rest, bucket.timers.end(), timer), timer);
    } else {
      if (bucket.timers.empty() || timer.at < bucket.earliest) bucket.earliest = timer.at;
      bucket.timers.push_back(timer);
    }
    ++size_;
  }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // When the earliest timer is due (sorting nothing). REQUIRES: !empty().
  InstantMs next_at() const {
    const Bucket& bucket = buckets_.begin()->second;
    return bucket.sorted ? bucket.timers[bucket.next].at : bucket.earliest;
  }
  // REQUIRES: !empty().
  const Timer& top() {
    Bucket& bucket = First();
    return bucket.timers[bucket.next];
  }
  // The timer `k` places after top() when it is in top()'s day, else nullptr: a caller taking
  // timers in turn starts loading what they touch a few ahead. REQUIRES: top() was called since
  // the last pop().
  const Timer* ahead(size_t k) const {
    const Bucket& bucket = buckets_.begin()->second;
    return bucket.next + k < bucket.timers.size() ? &bucket.timers[bucket.next + k] : nullptr;
  }
  void pop() {
    Bucket& bucket = First();
    --size_;
    if (++bucket.next == bucket.timers.size()) buckets_.erase(buckets_.begin());
  }

 private:
  static constexpr int64_t kDayMs = 86'400'000;
  struct Bucket {
    std::vector<Timer> timers;
    size_t next = 0;      // timers before it were taken
    bool sorted = false;  // timers[next..] in order (once the first was taken)
    InstantMs earliest;   // unsorted: the earliest of its timers
  };
  static int64_t DayOf(InstantMs at) { return at.value / kDayMs - (at.value % kDayMs < 0 ? 1 : 0); }
  Bucket& First() {
    Bucket& bucket = buckets_.begin()->second;
    if (!bucket.sorted) {
      std::sort(bucket.timers.begin(), bucket.timers.end());
      bucket.sorted = true;
    }
    return bucket;
  }
  std::map<int64_t, Bucket> buckets_;
  size_t size_ = 0;
};

// A locality's numbering (engine/numbers.h): how many applications and vouchers it has numbered,
// and where each lives: its slot in State::applications / State::vouchers at [serial - 1], 0 for
// a serial with none (only a state restored with a counter raised past its entries, as a test
// does, has such gaps; the vectors may be shorter than the counters).
struct LocalityNumbers {
  uint32_t applications = 0;  // the serial of its last application
  uint32_t vouchers = 0;      // the serial of its last voucher
  std::vector<uint32_t> application_slots;
  std::vector<uint32_t> voucher_slots;
};

struct ChildEntry {
  std::array<ApplicationId, 2> active{};  // by queue type; 0 when none
  // The enrolled application whose place the child holds until school age (0 when none). Not
  // stored: derived from the applications when a state is loaded (an archived Enrolled
  // application with its group), so the stored entries and the state hash are as before it.
  ApplicationId enrolled{};
};

// An idempotency key's outcome: the digest of its action and the journal record that answered it.
struct IdempotencyEntry {
  std::array<uint64_t, 2> action_digest{};
  uint64_t sequence = 0;
};

// Open addressing (Abseil's Swiss tables) for the two tables that grow with every action: one
// probe, no node per entry. Their iteration order is never observed: the state codec sorts.
struct IinHash {
  size_t operator()(Iin iin) const noexcept {  // IINs are decimal digits: mix them (murmur3's fmix64)
    uint64_t x = iin.value;
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    return x ^ (x >> 33);
  }
};

// Catalogue ids (ДО, groups) are small and consecutive: mixed (murmur3's fmix64), as the tables
// take the low bits of a hash to place an entry and the high bits to tell entries apart.
struct IdHash {
  template <class T, class Tag>
  size_t operator()(Named<T, Tag> id) const noexcept {
    return IinHash{}(Iin{static_cast<uint64_t>(id.value)});
  }
};

// A table's ids, ascending: for walking a hash table in key order.
template <class Map>
std::vector<typename Map::key_type> SortedIds(const Map& map) {
  std::vector<typename Map::key_type> ids;
  ids.reserve(map.size());
  for (const auto& entry : map) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  return ids;
}

struct Hash128 {
  size_t operator()(const std::array<uint64_t, 2>& key) const noexcept { return key[0] ^ (key[1] * 0x9E3779B97F4A7C15ull); }
};
struct Eq128 {  // two compares, inline (std::equal_to on std::array calls memcmp)
  bool operator()(const std::array<uint64_t, 2>& a, const std::array<uint64_t, 2>& b) const noexcept {
    return a[0] == b[0] && a[1] == b[1];
  }
};

// The keys a batch of actions changed, so that a store writes only those (engine/state_codec.h).
// Mutable accessors of State record the keys they hand out; containers changed directly (the
// catalogue) record theirs at the change. Duplicates are allowed.
struct ChangeSet {
  std::vector<ApplicationId> applications;
  std::vector<VoucherId> vouchers;
  std::vector<uint32_t> queues;
  std::vector<GroupId> groups;
  std::vector<KindergartenId> kindergartens;
  std::vector<LocalityId> localities;
  std::vector<LocalityId> policies;
  std::vector<LocalityId> offsets;      // a locality's whole timeline
  std::vector<LocalityId> numbers;      // a locality's counters
  std::vector<LocalDate> calendar;
  std::vector<Iin> children;
  // A key's entry is final when it is made (a key is taken once, by the action that folds it), so
  // the change carries it: writing it needs no second probe of a table of millions.
  std::vector<std::pair<std::array<uint64_t, 2>, IdempotencyEntry>> idempotency;
  size_t categories_from = 0;           // categories at and after this index are new
  bool templates = false;               // message templates were posted (their words are written)
  void Clear(size_t categories_size);
};

struct State {
  InstantMs now;                  // the latest instant seen
  // The System clock's latest tick: actions other than ticks move engine time at most
  // limits::kActionSkewAheadMs past it (engine_time.cc), never past one another.
  InstantMs clock;
  uint64_t next_sequence = 0;     // of the next journal record
  std::array<uint8_t, 32> head_sha256{};  // of the last journal record
  uint32_t templates = 0;         // the version of the message templates in force (0: the catalogue's)
  // Every version posted (templates == template_book.latest()): the engine never reads the words,
  // but whoever answers from it does (events::AnswerOf), without reading the journal back.
  messages::TemplateBook template_book;

  WorkingCalendar calendar;
  UtcOffsets offsets;
  std::map<LocalityId, Locality> localities;
  // Hash tables: every enrollment step looks its group and ДО up, one probe each (a B-tree of a
  // country's groups was five levels, a cache miss each). Their iteration order is never
  // observed: whatever walks them in order sorts their ids (SortedIds).
  absl::flat_hash_map<KindergartenId, Kindergarten, IdHash> kindergartens;
  absl::flat_hash_map<GroupId, Group, IdHash> groups;
  std::map<LocalityId, PriorityPolicy> policies;  // LocalityId{0}: the default
  std::vector<std::string> categories;            // interned priority category codes
  std::map<std::string, uint16_t, std::less<>> category_index;

  // Applications and vouchers in slots, [0] unused so that slot 0 means none. Their order is not
  // observable: a live state's is journal order, a restored one's is number order; whatever
  // reaches output walks ApplicationNumbers() / VoucherNumbers(). Look them up by number.
  // Applications in chunks (engine/chunked.h): a growing state never moves them.
  Chunked<Application> applications;
  std::vector<Voucher> vouchers;
  absl::flat_hash_map<LocalityId, LocalityNumbers> numbers;
  std::vector<Queue> queues;
  absl::btree_map<QueueKey, uint32_t> queue_index;
  absl::flat_hash_map<Iin, ChildEntry, IinHash> children;
  absl::flat_hash_map<std::array<uint64_t, 2>, IdempotencyEntry, Hash128, Eq128> idempotency;
  Timers timers;

  ChangeSet changes;  // since the last ChangeSet::Clear

  State();
  // Mutable accessors record the key in `changes`.
  Application& app(ApplicationId id);
  const Application& app(ApplicationId id) const;
  Voucher& voucher(VoucherId id);        // REQUIRES: has_voucher(id), as app(id) has_app(id)
  const Voucher& voucher(VoucherId id) const;
  Queue& queue(uint32_t index);
  Group& group(GroupId id);              // REQUIRES: the group exists
  ChildEntry& child(Iin iin);            // created empty if new
  // False for any number no application has: 0, a serial beyond its locality's, another locality's.
  bool has_app(ApplicationId id) const { return ApplicationSlot(id) != 0; }
  bool has_voucher(VoucherId id) const { return VoucherSlot(id) != 0; }

  // How many applications / vouchers `locality` has numbered (the serial of its last one).
  uint32_t ApplicationsNumbered(LocalityId locality) const;
  uint32_t VouchersNumbered(LocalityId locality) const;
  // Stores `app` under its locality's next number, which it returns in `app.id`.
  // REQUIRES: ApplicationsNumbered(app.locality) + 1 < limits::kSerialsPerLocality.
  Application& AddApplication(Application app);
  // Adds `count` free vouchers of queue `queue` under the next consecutive numbers of `locality`;
  // returns the first. REQUIRES: VouchersNumbered(locality) + count < limits::kSerialsPerLocality.
  VoucherId AddVouchers(LocalityId locality, uint32_t queue, uint32_t count);
  // Every application's / voucher's number, ascending (locality, then serial).
  std::vector<ApplicationId> ApplicationNumbers() const;
  std::vector<VoucherId> VoucherNumbers() const;
  // The slot of a number in applications / vouchers; 0 when none has it.
  uint32_t ApplicationSlot(ApplicationId id) const;
  uint32_t VoucherSlot(VoucherId id) const;
};

// The policy in force for a locality: its own, else the default, else the built-in one tier.
const PriorityPolicy& PolicyOf(const State& state, LocalityId locality);
// The policy a SetPriorityPolicy action sets (REQUIRES: it passed rules::CheckPolicy).
PriorityPolicy PolicyFrom(const fb::SetPriorityPolicy& action);
// Where `category` stands; nullopt if the policy does not name it.
std::optional<TierPlace> PlaceOf(const PriorityPolicy& policy, std::string_view category);
// Where `category` stands, a category the policy does not name falling to its last general-line
// tier (a policy change may drop a category that waiting applications still carry).
TierPlace PlaceOrLast(const PriorityPolicy& policy, std::string_view category);

}  // namespace kezek
