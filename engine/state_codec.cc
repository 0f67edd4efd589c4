#include "engine/state_codec.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "engine/assert.h"
#include "engine/bytes.h"
#include "engine/limits.h"
#include "engine/numbers.h"

namespace kezek::state_codec {
namespace {

using bytes::Be;
using bytes::BeInto;
using bytes::FromBe;
using bytes::In;
using bytes::Out;

std::string EncodeApplication(const Application& a, std::string&& reuse = {}) {
  // 104 bytes of fixed fields, 5 length prefixes of 4, and the strings: exactly.
  return Out(std::move(reuse), 124 + a.child_name.size() + a.conclusion_document.size() + a.contract_number.size() +
             a.parent_document_sha256.size() + a.kindergarten_document_sha256.size())
      .U64(a.id.value).U64(a.child.value).U64(a.applicant.value).Str(a.child_name).I64(a.birth_date.value)
      .I64(a.filed_at.value).I64(a.school_age_at.value).U32(a.locality.value).U32(a.queue).U16(a.category)
      .U8(a.place.tier).U8(static_cast<uint8_t>(a.place.line)).U8(static_cast<uint8_t>(a.type))
      .U8(static_cast<uint8_t>(a.language)).U8(static_cast<uint8_t>(a.correction)).U32(a.chosen_kindergarten.value)
      .Str(a.conclusion_document).U8(static_cast<uint8_t>(a.status)).U8(static_cast<uint8_t>(a.archive_reason))
      .U8(a.annulled_by_deadline).U8(a.extension_used).U64(a.voucher.value).U32(a.group.value).Str(a.contract_number)
      .Str(a.parent_document_sha256).Str(a.kindergarten_document_sha256).U8(static_cast<uint8_t>(a.deadline))
      .I64(a.deadline_at.value).I64(a.deadline_date.value).U32(a.deadline_generation)
      .Take();
}

bool DecodeApplication(std::string_view value, Application* a) {
  In in(value);
  a->id = ApplicationId{in.U64()};
  a->child = Iin{in.U64()};
  a->applicant = Iin{in.U64()};
  a->child_name = in.Str();
  a->birth_date = LocalDate{static_cast<int32_t>(in.I64())};
  a->filed_at = InstantMs{in.I64()};
  a->school_age_at = InstantMs{in.I64()};
  a->locality = LocalityId{in.U32()};
  a->queue = in.U32();
  a->category = in.U16();
  a->place.tier = in.U8();
  a->place.line = in.Enum(Line::General);
  a->type = in.Enum(fb::QueueType::MAX);
  a->language = in.Enum(fb::Language::MAX);
  a->correction = in.Enum(fb::CorrectionType::MAX);
  a->chosen_kindergarten = KindergartenId{in.U32()};
  a->conclusion_document = in.Str();
  a->status = in.Enum(fb::ApplicationStatus::MAX);
  a->archive_reason = in.Enum(fb::ArchiveReason::MAX);
  a->annulled_by_deadline = in.U8() != 0;
  a->extension_used = in.U8() != 0;
  a->voucher = VoucherId{in.U64()};
  a->group = GroupId{in.U32()};
  a->contract_number = in.Str();
  a->parent_document_sha256 = in.Str();
  a->kindergarten_document_sha256 = in.Str();
  a->deadline = in.Enum(fb::DeadlineKind::MAX);
  a->deadline_at = InstantMs{in.I64()};
  a->deadline_date = LocalDate{static_cast<int32_t>(in.I64())};
  a->deadline_generation = in.U32();
  return in.done();
}

std::string EncodeQueue(const Queue& q) {
  Out out;
  const QueueKey& k = q.key();
  out.U32(k.locality.value).U8(static_cast<uint8_t>(k.type)).U16(k.birth_year).U8(static_cast<uint8_t>(k.language))
      .U8(static_cast<uint8_t>(k.correction)).U32(q.cycle()).U64(q.free_vouchers().size());
  for (const VoucherId v : q.free_vouchers()) out.U64(v.value);
  return out.Take();
}

std::string EncodeTimeline(const std::map<InstantMs, int16_t>& timeline) {
  Out out;
  out.U32(timeline.size());
  for (const auto& [from, minutes] : timeline) out.I64(from.value).U16(static_cast<uint16_t>(minutes));
  return out.Take();
}

std::string IdempotencyKey(const std::array<uint64_t, 2>& k, std::string&& reuse = {}) {
  std::string key = std::move(reuse);
  key.resize(16);  // Be(k[0], 8) + Be(k[1], 8), written in place
  for (int i = 0; i < 8; ++i) {
    key[static_cast<size_t>(i)] = static_cast<char>(k[0] >> (56 - 8 * i));
    key[static_cast<size_t>(8 + i)] = static_cast<char>(k[1] >> (56 - 8 * i));
  }
  return key;
}

std::string EncodeIdempotency(const IdempotencyEntry& e, std::string&& reuse = {}) {
  return Out(std::move(reuse), 24).U64(e.action_digest[0]).U64(e.action_digest[1]).U64(e.sequence).Take();
}

template <typename T>
std::vector<T> Unique(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// With `words`, each templates version's words too (every entry; a change writes them only when a
// version was posted).
void Meta(const State& s, bool words, const std::function<void(const Put&)>& put) {
  // In key order (the state hash frames the entries as a scan of the store reads them).
  put({Family::kMeta, "clock", Out().I64(s.clock.value).Take()});
  put({Family::kMeta, "format", Out().U32(kStateFormatVersion).Take()});
  put({Family::kMeta, "head", Out().Raw(s.head_sha256.data(), s.head_sha256.size()).Take()});
  put({Family::kMeta, "next_sequence", Out().U64(s.next_sequence).Take()});
  put({Family::kMeta, "now", Out().I64(s.now.value).Take()});
  // Only once templates are posted: a state without them hashes as it did before they existed.
  if (s.templates != 0) put({Family::kMeta, "templates", Out().U32(s.templates).Take()});
  // Each version's words, under "templates/" and its number (4 bytes big-endian: key order is
  // version order), one per key of messages::Keys(), Russian then Kazakh.
  for (uint32_t version = 1; words && version <= s.template_book.latest(); ++version) {
    Out out;
    for (const messages::Text& pattern : s.template_book.patterns(version)) out.Str(pattern.ru).Str(pattern.kk);
    put({Family::kMeta, "templates/" + bytes::Be(version, 4), out.Take()});
  }
}

// The entry for one key of each kind: written if present in the state, else erased.
void VoucherEntry(const State& s, VoucherId id, const std::function<void(const Put&)>& put) {
  const Voucher& v = s.voucher(id);
  put({Family::kVouchers, Be(id.value, 8), Out().U32(v.queue).U8(static_cast<uint8_t>(v.state)).U64(v.holder.value).Take()});
}
void QueueEntryOf(const State& s, uint32_t index, const std::function<void(const Put&)>& put) {
  put({Family::kQueues, Be(index, 4), EncodeQueue(s.queues[index])});
}
void GroupEntry(const State& s, GroupId id, const std::function<void(const Put&)>& put) {
  const auto it = s.groups.find(id);
  if (it == s.groups.end()) return put({Family::kGroups, Be(id.value, 4), {}, true});
  const Group& g = it->second;
  put({Family::kGroups, Be(id.value, 4),
       Out().U32(g.kindergarten.value).U8(static_cast<uint8_t>(g.language)).U8(g.min_age_years).U8(g.max_age_years)
           .U8(static_cast<uint8_t>(g.correction)).U32(g.capacity).U32(g.taken).Take()});
}
void KindergartenEntry(const State& s, KindergartenId id, const std::function<void(const Put&)>& put) {
  const auto it = s.kindergartens.find(id);
  if (it == s.kindergartens.end()) return put({Family::kKindergartens, Be(id.value, 4), {}, true});
  put({Family::kKindergartens, Be(id.value, 4),
       Out().U32(it->second.locality.value).Str(it->second.name_ru).Str(it->second.name_kk).Take()});
}
void LocalityEntry(const State& s, LocalityId id, const std::function<void(const Put&)>& put) {
  const auto it = s.localities.find(id);
  if (it == s.localities.end()) return put({Family::kLocalities, Be(id.value, 4), {}, true});
  put({Family::kLocalities, Be(id.value, 4),
       Out().Str(it->second.name_ru).Str(it->second.name_kk).Str(it->second.region_code).Take()});
}
void PolicyEntry(const State& s, LocalityId id, const std::function<void(const Put&)>& put) {
  const auto it = s.policies.find(id);
  if (it == s.policies.end()) return put({Family::kPolicies, Be(id.value, 4), {}, true});
  put({Family::kPolicies, Be(id.value, 4), EncodePolicy(it->second)});
}
void OffsetEntry(const State& s, LocalityId id, const std::function<void(const Put&)>& put) {
  const auto it = s.offsets.entries().find(id);
  if (it == s.offsets.entries().end()) return put({Family::kOffsets, Be(id.value, 4), {}, true});
  put({Family::kOffsets, Be(id.value, 4), EncodeTimeline(it->second)});
}
void CalendarEntry(const State& s, LocalDate date, const std::function<void(const Put&)>& put) {
  const std::string key = Be(static_cast<uint32_t>(date.value) ^ 0x80000000u, 4);
  const auto it = s.calendar.marked_days().find(date);
  if (it == s.calendar.marked_days().end()) return put({Family::kCalendar, key, {}, true});
  put({Family::kCalendar, key, Out().U8(static_cast<uint8_t>(it->second)).Take()});
}
void CategoryEntry(const State& s, size_t index, const std::function<void(const Put&)>& put) {
  put({Family::kCategories, Be(index, 2), Out().Str(s.categories[index]).Take()});
}
// A locality's counters; the slots are derived from the entries' keys.
void NumbersEntry(const State& s, LocalityId id, const std::function<void(const Put&)>& put) {
  const auto it = s.numbers.find(id);
  if (it == s.numbers.end()) return put({Family::kNumbers, Be(id.value, 4), {}, true});
  put({Family::kNumbers, Be(id.value, 4), Out().U32(it->second.applications).U32(it->second.vouchers).Take()});
}
std::string EncodeChild(const ChildEntry& c, std::string&& reuse = {}) {
  return Out(std::move(reuse), 16).U64(c.active[0].value).U64(c.active[1].value).Take();
}
void ChildEntryOf(const State& s, Iin iin, const std::function<void(const Put&)>& put) {
  const auto it = s.children.find(iin);
  if (it == s.children.end()) return put({Family::kChildren, Be(iin.value, 8), {}, true});
  put({Family::kChildren, Be(iin.value, 8), EncodeChild(it->second)});
}

// A hash table's entries copied out in key order: a snapshot that reads the table once, in its own
// order, instead of probing it at random for every sorted key. Millions of entries sorted as one
// array are mostly cache misses, so the copy is first spread over kRanges ranges of the key (a
// counting sort on `range(key)`, which must not decrease as the key grows), and each range, small
// enough for the cache, is sorted on its own: the order of one sort, in a fraction of its time.
template <typename Map, typename Range>
std::vector<std::pair<typename Map::key_type, typename Map::mapped_type>> SortedEntries(const Map& map, Range range) {
  constexpr size_t kRanges = 4096;
  std::vector<size_t> next(kRanges + 1, 0);
  for (const auto& entry : map) ++next[range(entry.first) + 1];
  for (size_t i = 1; i <= kRanges; ++i) next[i] += next[i - 1];
  const std::vector<size_t> starts = next;  // range i is [starts[i], starts[i + 1])
  std::vector<std::pair<typename Map::key_type, typename Map::mapped_type>> entries(map.size());
  for (const auto& entry : map) entries[next[range(entry.first)]++] = entry;
  for (size_t i = 0; i < kRanges; ++i) {
    std::sort(entries.begin() + static_cast<ptrdiff_t>(starts[i]), entries.begin() + static_cast<ptrdiff_t>(starts[i + 1]),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return entries;
}
// The ranges: an idempotency key is a hash, spread evenly over its first word; an IIN has 12
// decimal digits (the largest values clamped, so that the range never decreases).
size_t IdempotencyRange(const std::array<uint64_t, 2>& key) { return key[0] >> 52; }
size_t IinRange(Iin iin) { return std::min<uint64_t>(iin.value / (1'000'000'000'000 / 4096 + 1), 4095); }

// Records a loaded entry's slot under its serial (REQUIRES: the serial has none yet).
void PlaceLoaded(std::vector<uint32_t>& slots, uint32_t serial, size_t slot) {
  if (slots.size() < serial) slots.resize(serial);
  slots[serial - 1] = static_cast<uint32_t>(slot);
}

}  // namespace

std::string EncodePolicy(const PriorityPolicy& p) {
  Out out;
  out.U16(p.ratio.priority).U16(p.ratio.general).U32(p.tiers.size());
  for (const Tier& t : p.tiers) {
    out.Str(t.code).U8(t.general_line).U32(t.categories.size());
    for (const auto& c : t.categories) out.Str(c);
  }
  return out.Take();
}

bool DecodePolicy(std::string_view value, PriorityPolicy* p) {
  In in(value);
  p->ratio.priority = in.U16();
  p->ratio.general = in.U16();
  const auto tiers = static_cast<uint32_t>(in.Count(in.U32(), 9));  // code, general_line, count
  for (uint32_t i = 0; i < tiers && in.ok(); ++i) {
    Tier t;
    t.code = in.Str();
    t.general_line = in.U8() != 0;
    const auto n = static_cast<uint32_t>(in.Count(in.U32(), 4));
    for (uint32_t j = 0; j < n && in.ok(); ++j) t.categories.push_back(in.Str());
    p->tiers.push_back(std::move(t));
  }
  return in.done() && p->tiers.size() == tiers;
}

const char* FamilyName(Family family) {
  switch (family) {
    case Family::kMeta: return "meta";
    case Family::kApplications: return "applications";
    case Family::kVouchers: return "vouchers";
    case Family::kQueues: return "queues";
    case Family::kGroups: return "groups";
    case Family::kKindergartens: return "kindergartens";
    case Family::kLocalities: return "localities";
    case Family::kPolicies: return "policies";
    case Family::kOffsets: return "offsets";
    case Family::kCalendar: return "calendar";
    case Family::kCategories: return "categories";
    case Family::kChildren: return "children";
    case Family::kIdempotency: return "idempotency";
    case Family::kNumbers: return "numbers";
  }
  return "?";
}

void ChangedEntries(const State& s, const std::function<void(const Put&)>& put) {
  const ChangeSet& c = s.changes;
  Meta(s, c.templates, put);
  // Applications and children: a batch's are scattered over the state (each a cache miss), so each
  // is fetched a few entries ahead; one Put's strings are reused from entry to entry.
  constexpr size_t kAhead = 8;
  Put entry{Family::kApplications, {}, {}};
  const std::vector<ApplicationId> applications = Unique(c.applications);
  for (size_t i = 0; i < applications.size(); ++i) {
    if (i + kAhead < applications.size()) {
      const auto* ahead = reinterpret_cast<const char*>(&s.app(applications[i + kAhead]));
      for (size_t line = 0; line < sizeof(Application); line += 64) __builtin_prefetch(ahead + line);
    }
    if (i + kAhead / 2 < applications.size()) {  // its strings' bytes, once the application has arrived
      const Application& a = s.app(applications[i + kAhead / 2]);
      for (const std::string* text : {&a.child_name, &a.conclusion_document, &a.contract_number,
                                      &a.parent_document_sha256, &a.kindergarten_document_sha256}) {
        __builtin_prefetch(text->data());
      }
    }
    BeInto(applications[i].value, 8, &entry.key);
    entry.value = EncodeApplication(s.app(applications[i]), std::move(entry.value));
    put(entry);
  }
  for (const auto id : Unique(c.vouchers)) VoucherEntry(s, id, put);
  for (const auto index : Unique(c.queues)) QueueEntryOf(s, index, put);
  for (const auto id : Unique(c.groups)) GroupEntry(s, id, put);
  for (const auto id : Unique(c.kindergartens)) KindergartenEntry(s, id, put);
  for (const auto id : Unique(c.localities)) LocalityEntry(s, id, put);
  for (const auto id : Unique(c.policies)) PolicyEntry(s, id, put);
  for (const auto id : Unique(c.offsets)) OffsetEntry(s, id, put);
  for (const auto date : Unique(c.calendar)) CalendarEntry(s, date, put);
  for (size_t i = c.categories_from; i < s.categories.size(); ++i) CategoryEntry(s, i, put);
  const std::vector<Iin> children = Unique(c.children);
  for (size_t i = 0; i < children.size(); ++i) {
    if (i + kAhead < children.size()) s.children.prefetch(children[i + kAhead]);
    ChildEntryOf(s, children[i], put);
  }
  // In key order, as every family (each key once: a key is taken once).
  std::vector<std::pair<std::array<uint64_t, 2>, IdempotencyEntry>> idempotency = c.idempotency;
  std::sort(idempotency.begin(), idempotency.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  entry.family = Family::kIdempotency;
  for (const auto& [key, value] : idempotency) {
    entry.key = IdempotencyKey(key, std::move(entry.key));
    entry.value = EncodeIdempotency(value, std::move(entry.value));
    put(entry);
  }
  for (const auto id : Unique(c.numbers)) NumbersEntry(s, id, put);
}

IdempotencyEntries SortedIdempotency(const State& s) { return SortedEntries(s.idempotency, IdempotencyRange); }

void AllEntries(const State& s, const std::function<void(const Put&)>& put) {
  AllEntries(s, put, [&s] { return SortedIdempotency(s); });
}

void AllEntries(const State& s, const std::function<void(const Put&)>& put,
                const std::function<IdempotencyEntries()>& sorted) {
  Meta(s, /*words=*/true, put);
  // One Put for the millions of entries of the applications, children and idempotency families:
  // its strings keep their capacity from entry to entry, so an entry allocates nothing (a consumer
  // that keeps an entry copies it).
  Put entry{Family::kApplications, {}, {}};
  // Applications by number: scattered over the slots (a live state's are in filing order), so each
  // is fetched a few entries ahead, its name's bytes when the application has arrived.
  const std::vector<ApplicationId> numbers = s.ApplicationNumbers();
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (i + kAhead < numbers.size()) {
      const auto* ahead = reinterpret_cast<const char*>(&s.app(numbers[i + kAhead]));
      for (size_t line = 0; line < sizeof(Application); line += 64) __builtin_prefetch(ahead + line);
    }
    if (i + kAhead / 2 < numbers.size()) __builtin_prefetch(s.app(numbers[i + kAhead / 2]).child_name.data());
    BeInto(numbers[i].value, 8, &entry.key);
    entry.value = EncodeApplication(s.app(numbers[i]), std::move(entry.value));
    put(entry);
  }
  for (const VoucherId id : s.VoucherNumbers()) VoucherEntry(s, id, put);
  for (uint32_t i = 0; i < s.queues.size(); ++i) QueueEntryOf(s, i, put);
  for (const GroupId id : SortedIds(s.groups)) GroupEntry(s, id, put);
  for (const KindergartenId id : SortedIds(s.kindergartens)) KindergartenEntry(s, id, put);
  for (const auto& [id, l] : s.localities) LocalityEntry(s, id, put);
  for (const auto& [id, p] : s.policies) PolicyEntry(s, id, put);
  for (const auto& [id, t] : s.offsets.entries()) OffsetEntry(s, id, put);
  for (const auto& [date, kind] : s.calendar.marked_days()) CalendarEntry(s, date, put);
  for (size_t i = 0; i < s.categories.size(); ++i) CategoryEntry(s, i, put);
  entry.family = Family::kChildren;
  for (const auto& [iin, child] : SortedEntries(s.children, IinRange)) {
    BeInto(iin.value, 8, &entry.key);
    entry.value = EncodeChild(child, std::move(entry.value));
    put(entry);
  }
  entry.family = Family::kIdempotency;
  for (const auto& [key, value] : sorted()) {
    entry.key = IdempotencyKey(key, std::move(entry.key));
    entry.value = EncodeIdempotency(value, std::move(entry.value));
    put(entry);
  }
  std::vector<LocalityId> localities;
  localities.reserve(s.numbers.size());
  for (const auto& [locality, counters] : s.numbers) localities.push_back(locality);
  std::sort(localities.begin(), localities.end());
  for (const LocalityId locality : localities) NumbersEntry(s, locality, put);
}

EntryHasher::EntryHasher() { sha256_.Begin(); }

void FrameEntry(Family family, std::string_view key, std::string_view value, std::string* out) {
  const auto append_u32 = [&](size_t v) {
    for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
  };
  out->push_back(static_cast<char>(family));
  append_u32(key.size());
  out->append(key);
  append_u32(value.size());
  out->append(value);
}

void EntryHasher::Add(Family family, std::string_view key, std::string_view value) {
  FrameEntry(family, key, value, &buffer_);
  if (buffer_.size() >= (1u << 16)) {
    sha256_.Update({reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size()});
    buffer_.clear();
  }
}

Sha256 EntryHasher::Finish() {
  sha256_.Update({reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size()});
  buffer_.clear();
  return sha256_.End();
}

bool LoadEntry(Family family, std::string_view key, std::string_view value, State* s) {
  In in(value);
  switch (family) {
    case Family::kMeta:
      if (key == "format") return in.U32() == kStateFormatVersion && in.done();
      if (key == "head") return in.Raw(s->head_sha256.data(), s->head_sha256.size()), in.done();
      if (key == "next_sequence") return s->next_sequence = in.U64(), in.done();
      if (key == "now") return s->now = InstantMs{in.I64()}, in.done();
      if (key == "clock") return s->clock = InstantMs{in.I64()}, in.done();
      if (key == "templates") return s->templates = in.U32(), in.done() && s->templates != 0;
      if (key.size() == 14 && key.substr(0, 10) == "templates/") {
        if (FromBe(key.substr(10)) != s->template_book.latest() + 1) return false;  // in order, none missing
        std::vector<messages::Text> patterns(messages::Keys().size());
        for (messages::Text& pattern : patterns) {
          pattern.ru = in.Str();
          pattern.kk = in.Str();
        }
        return in.done() && s->template_book.Add(std::move(patterns));
      }
      return true;  // the runtime's own entries
    case Family::kApplications: {
      const uint64_t number = FromBe(key);
      const std::optional<LocalityId> locality = LocalityOfNumber(number);
      if (key.size() != 8 || !locality || s->has_app(ApplicationId{number}) || s->applications.size() >= UINT32_MAX) {
        return false;
      }
      Application a;
      if (!DecodeApplication(value, &a) || a.id.value != number || a.locality != *locality) return false;
      PlaceLoaded(s->numbers[*locality].application_slots, SerialOfNumber(number), s->applications.size());
      s->applications.push_back(std::move(a));
      return true;
    }
    case Family::kVouchers: {
      const uint64_t number = FromBe(key);
      const std::optional<LocalityId> locality = LocalityOfNumber(number);
      if (key.size() != 8 || !locality || s->has_voucher(VoucherId{number}) || s->vouchers.size() >= UINT32_MAX) {
        return false;
      }
      Voucher v;
      v.queue = in.U32();
      v.state = in.Enum(VoucherState::Used);
      v.holder = ApplicationId{in.U64()};
      if (!in.done()) return false;
      PlaceLoaded(s->numbers[*locality].voucher_slots, SerialOfNumber(number), s->vouchers.size());
      s->vouchers.push_back(v);
      return true;
    }
    case Family::kQueues: {
      const uint64_t index = FromBe(key);
      if (key.size() != 4 || index != s->queues.size()) return false;  // dense, in order
      QueueKey k;
      k.locality = LocalityId{in.U32()};
      k.type = in.Enum(fb::QueueType::MAX);
      k.birth_year = in.U16();
      k.language = in.Enum(fb::Language::MAX);
      k.correction = in.Enum(fb::CorrectionType::MAX);
      Queue& q = s->queues.emplace_back(k);
      q.RestoreCycle(in.U32());
      const uint64_t free = in.Count(in.U64(), 8);
      for (uint64_t i = 0; i < free && in.ok(); ++i) q.free_vouchers().insert(VoucherId{in.U64()});
      return in.done() && q.free_vouchers().size() == free;
    }
    case Family::kGroups: {
      Group& g = s->groups[GroupId{static_cast<uint32_t>(FromBe(key))}];
      g.kindergarten = KindergartenId{in.U32()};
      g.language = in.Enum(fb::Language::MAX);
      g.min_age_years = in.U8();
      g.max_age_years = in.U8();
      g.correction = in.Enum(fb::CorrectionType::MAX);
      g.capacity = in.U32();
      g.taken = in.U32();
      return key.size() == 4 && in.done();
    }
    case Family::kKindergartens: {
      Kindergarten& k = s->kindergartens[KindergartenId{static_cast<uint32_t>(FromBe(key))}];
      k.locality = LocalityId{in.U32()};
      k.name_ru = in.Str();
      k.name_kk = in.Str();
      return key.size() == 4 && in.done();
    }
    case Family::kLocalities: {
      Locality& l = s->localities[LocalityId{static_cast<uint32_t>(FromBe(key))}];
      l.name_ru = in.Str();
      l.name_kk = in.Str();
      l.region_code = in.Str();
      return key.size() == 4 && in.done();
    }
    case Family::kPolicies:
      return key.size() == 4 && DecodePolicy(value, &s->policies[LocalityId{static_cast<uint32_t>(FromBe(key))}]);
    case Family::kOffsets: {
      const LocalityId locality{static_cast<uint32_t>(FromBe(key))};
      const auto n = static_cast<uint32_t>(in.Count(in.U32(), 10));  // from, minutes
      for (uint32_t i = 0; i < n && in.ok(); ++i) {
        const int64_t from = in.I64();
        const int16_t minutes = static_cast<int16_t>(in.U16());
        s->offsets.Set(locality, InstantMs{from}, minutes);
      }
      return key.size() == 4 && in.done();
    }
    case Family::kCalendar: {
      const LocalDate date{static_cast<int32_t>(static_cast<uint32_t>(FromBe(key)) ^ 0x80000000u)};
      s->calendar.SetDay(date, in.Enum(fb::DayKind::MAX));
      return key.size() == 4 && in.done();
    }
    case Family::kCategories: {
      if (key.size() != 2 || FromBe(key) != s->categories.size()) return false;
      s->categories.push_back(in.Str());
      return in.done();
    }
    case Family::kChildren: {
      ChildEntry& c = s->children[Iin{FromBe(key)}];
      c.active[0] = ApplicationId{in.U64()};
      c.active[1] = ApplicationId{in.U64()};
      return key.size() == 8 && in.done();
    }
    case Family::kIdempotency: {
      if (key.size() != 16) return false;
      IdempotencyEntry e;
      e.action_digest[0] = in.U64();
      e.action_digest[1] = in.U64();
      e.sequence = in.U64();
      s->idempotency[{FromBe(key.substr(0, 8)), FromBe(key.substr(8))}] = e;
      return in.done();
    }
    case Family::kNumbers: {
      LocalityNumbers& n = s->numbers[LocalityId{static_cast<uint32_t>(FromBe(key))}];
      n.applications = in.U32();
      n.vouchers = in.U32();
      return key.size() == 4 && in.done();
    }
  }
  return false;
}

bool FinishLoad(State* s, std::string* why) {
  const auto fail = [why](std::string problem) {
    if (why != nullptr) *why = std::move(problem);
    return false;
  };
  // A state stored before the clock was kept (2026-12-06) has none: its engine time stands for it.
  if (s->clock.value == 0) s->clock = s->now;
  if (s->clock > s->now) return fail(fmt::format("the clock's last tick {} ms is past engine time {} ms", s->clock.value, s->now.value));
  if (s->templates != s->template_book.latest()) {  // a version without its words, or words of none
    return fail(fmt::format("the message templates in force are version {}, but the stored words are of version {}",
                            s->templates, s->template_book.latest()));
  }
  // Every number within its locality's counters, each counter below the limit; every voucher of
  // a queue of its own locality (checked below, once the queues are indexed).
  for (const auto& [locality, n] : s->numbers) {
    if (n.application_slots.size() > n.applications || n.voucher_slots.size() > n.vouchers ||
        n.applications >= limits::kSerialsPerLocality || n.vouchers >= limits::kSerialsPerLocality) {
      return fail(fmt::format("locality {} has numbered {} applications and {} vouchers but holds {} and {} (at most {} "
                              "each)",
                              locality.value, n.applications, n.vouchers, n.application_slots.size(),
                              n.voucher_slots.size(), limits::kSerialsPerLocality - 1));
    }
  }
  for (size_t i = 0; i < s->categories.size(); ++i) {
    s->category_index[s->categories[i]] = static_cast<uint16_t>(i);
  }
  for (uint32_t i = 0; i < s->queues.size(); ++i) s->queue_index[s->queues[i].key()] = i;
  for (const GroupId id : SortedIds(s->groups)) {
    const auto k = s->kindergartens.find(s->groups.at(id).kindergarten);
    if (k == s->kindergartens.end()) {
      return fail(fmt::format("group {} is of kindergarten {}, which is not stored", id.value,
                              s->groups.at(id).kindergarten.value));
    }
    k->second.groups.push_back(id);  // ascending
  }
  for (size_t i = 1; i < s->applications.size(); ++i) {
    const Application& a = s->applications[i];
    if (a.queue >= s->queues.size() || a.category >= s->categories.size()) {
      return fail(fmt::format("application {} names queue {} and priority category {}, of {} queues and {} categories "
                              "stored",
                              a.id.value, a.queue, a.category, s->queues.size(), s->categories.size()));
    }
    if (a.status == fb::ApplicationStatus::InQueue) {
      s->queues[a.queue].Insert(QueueEntry{a.place.tier, a.filed_at, a.id}, a.place.line);
    }
    // Waiting, or enrolled and holding its place until school age (rules::FreePlace).
    const bool archived = a.status == fb::ApplicationStatus::Archived;
    const bool holds_place = archived && a.archive_reason == fb::ArchiveReason::Enrolled && a.group.value != 0;
    if (!archived || holds_place) s->timers.push(Timer{a.school_age_at, a.id, true, 0});
    if (holds_place) {
      const auto child = s->children.find(a.child);
      if (child == s->children.end()) {
        return fail(fmt::format("application {} holds a place for child {}, who is not stored", a.id.value,
                                FormatIin(a.child)));
      }
      child->second.enrolled = a.id;
    }
    if (!archived && a.deadline != fb::DeadlineKind::None) {
      s->timers.push(Timer{a.deadline_at, a.id, false, a.deadline_generation});
    }
  }
  for (const auto& [locality, n] : s->numbers) {
    for (const uint32_t slot : n.voucher_slots) {
      if (slot != 0 && (s->vouchers[slot].queue >= s->queues.size() ||
                        s->queues[s->vouchers[slot].queue].key().locality != locality)) {
        return fail(fmt::format("a voucher of locality {} (slot {}) names queue {}, which is not one of its locality's",
                                locality.value, slot, s->vouchers[slot].queue));
      }
    }
  }
  s->changes.Clear(s->categories.size());
  return true;
}

}  // namespace kezek::state_codec
