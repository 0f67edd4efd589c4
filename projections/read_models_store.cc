// The stored form of the read models (ReadModels::DrainChanges, AllEntries, LoadEntry,
// FinishLoad): one keyspace, a kind byte and a big-endian id or index per key.
//
//   A id8   an application       C i4  a priority category   G id4  a group
//   H i4    a history entry      K id4 a kindergarten        L id4  a locality
//   M       meta: format, next sequence, the pending notification argument, record time
//   N i4    a notification       O id4 a locality's UTC offsets  P i4 a pooled text
//   Q i4    a queue's key and ratio cycle (its members are the applications waiting in it)
//   R id4   a priority policy    S i4  a notification's verbatim texts   T i8 a record's time
//   W q4 i4 an entry of queue q's log (append-only per queue)
//   X i4    a version of the message templates (version - 1): the posting's sequence, its patterns
//   Y id4   a ДО's popularity
//
// What is derived is not stored: the inboxes, the queue trees, the interning indexes, the count
// waiting. DO NOT CHANGE an encoding without raising ReadModels::kStoreFormat.
#include <algorithm>

#include <fmt/format.h>

#include "engine/assert.h"
#include "engine/bytes.h"
#include "engine/numbers.h"
#include "engine/state_codec.h"
#include "projections/read_models.h"

namespace kezek::projections {
namespace {

using bytes::Be;
using bytes::FromBe;
using bytes::In;
using bytes::Out;

std::string Key(char kind, uint64_t id, int width) { return std::string(1, kind) + Be(id, width); }

int WidthOf(char kind) { return kind == 'A' || kind == 'T' || kind == 'W' ? 8 : 4; }

// A stored enum: refused when out of its schema's range (a damaged byte never becomes a value).
template <typename E>
bool ReadEnum(In& in, E* out) {
  const uint8_t v = in.U8();
  if (v > static_cast<uint8_t>(E::MAX)) return false;
  *out = static_cast<E>(v);
  return true;
}

bool ReadLine(In& in, Line* out) {
  const uint8_t v = in.U8();
  if (v > static_cast<uint8_t>(Line::General)) return false;
  *out = static_cast<Line>(v);
  return true;
}

}  // namespace

void ReadModels::PutEntryOf(char kind, uint64_t id, const PutEntry& put) const {
  const std::string key = Key(kind, id, WidthOf(kind));
  Out out;
  switch (kind) {
    case 'A': {
      const App& a = at(id);
      out.U64(a.applicant).U64(a.child).I64(a.filed_at_ms).I64(a.stamped_ms).I64(a.deadline_ms).U64(a.voucher)
          .U32(a.locality).U32(a.queue).U32(a.preferred_kindergarten).U32(a.group).U32(a.last_history)
          .U32(static_cast<uint32_t>(a.deadline_date)).U16(a.category).U8(a.tier).U8(static_cast<uint8_t>(a.line))
          .U8(static_cast<uint8_t>(a.type)).U8(static_cast<uint8_t>(a.language)).U8(static_cast<uint8_t>(a.correction))
          .U8(static_cast<uint8_t>(a.financing)).U8(static_cast<uint8_t>(a.status))
          .U8(static_cast<uint8_t>(a.status_before_archive)).U8(static_cast<uint8_t>(a.archive_reason))
          .U8(static_cast<uint8_t>(a.deadline)).U8(a.extension_used).Str(ChildName(a));
      break;
    }
    case 'C': out.Str(categories_[id]); break;
    case 'G': {
      const auto it = groups_.find(static_cast<uint32_t>(id));
      if (it == groups_.end()) return;
      const GroupInfo& g = it->second;
      out.U32(g.kindergarten).U8(static_cast<uint8_t>(g.language)).U8(g.min_age_years).U8(g.max_age_years)
          .U8(static_cast<uint8_t>(g.correction)).U32(g.capacity).U32(g.taken);
      break;
    }
    case 'H': {
      const HistoryEntry& e = history_[id];
      out.U64(e.sequence).U32(e.position).U32(e.previous).U32(e.rank).U32(e.log_end).U8(e.tier)
          .U8(static_cast<uint8_t>(e.line)).U8(static_cast<uint8_t>(e.event));
      break;
    }
    case 'K': {
      const auto it = kindergartens_.find(static_cast<uint32_t>(id));
      if (it == kindergartens_.end()) return;
      out.U32(it->second.locality).Str(it->second.name_ru).Str(it->second.name_kk).U32(it->second.groups.size());
      for (const uint32_t group : it->second.groups) out.U32(group);
      break;
    }
    case 'L': {
      const auto it = localities_.find(static_cast<uint32_t>(id));
      if (it == localities_.end()) return;
      out.Str(it->second.name_ru).Str(it->second.name_kk).Str(it->second.region_code);
      break;
    }
    case 'N': {
      const Note& n = notes_[id];
      out.U64(n.sequence).U64(n.application).U32(n.index_and_kind).U32(n.arg);
      break;
    }
    case 'O': {
      const auto it = offsets_.entries().find(LocalityId{static_cast<uint32_t>(id)});
      if (it == offsets_.entries().end()) return;
      out.U32(it->second.size());
      for (const auto& [from, minutes] : it->second) out.I64(from.value).U16(static_cast<uint16_t>(minutes));
      break;
    }
    case 'P': out.Str(pool_[id]); break;
    case 'Q': {
      const Queue& q = queues_[id];
      const QueueKey& k = q.key();
      out.U32(k.locality.value).U8(static_cast<uint8_t>(k.type)).U16(k.birth_year).U8(static_cast<uint8_t>(k.language))
          .U8(static_cast<uint8_t>(k.correction)).U32(q.cycle());
      break;
    }
    case 'R': {
      const auto it = policies_.find(static_cast<uint32_t>(id));
      if (it == policies_.end()) return;
      put(key, state_codec::EncodePolicy(it->second));
      return;
    }
    case 'S': {
      const messages::Text& text = spelled_.at(static_cast<uint32_t>(id));
      out.Str(text.ru).Str(text.kk);
      break;
    }
    case 'T': out.U64(times_[id].first).I64(times_[id].second); break;
    case 'W': {
      const QueueEvent& e = queue_logs_[id >> 32][id & UINT32_MAX];
      out.U64(e.sequence).U64(e.application).U32(e.priority_size).U32(e.general_size).U32(e.cycle)
          .U16(e.ratio_priority).U16(e.ratio_general).U8(e.tier).U8(static_cast<uint8_t>(e.line))
          .U8(static_cast<uint8_t>(e.kind));
      break;
    }
    case 'X': {
      out.U64(templates_since_[id]);
      for (const messages::Text& pattern : templates_.patterns(static_cast<uint32_t>(id + 1))) out.Str(pattern.ru).Str(pattern.kk);
      break;
    }
    case 'Y': {
      const auto it = popularity_.find(static_cast<uint32_t>(id));
      if (it == popularity_.end()) return;
      out.U64(it->second.requests).U64(it->second.enrollments);
      break;
    }
    default: KEZEK_ASSERT(false && "an unknown stored kind");
  }
  put(key, out.Take());
}

void ReadModels::PutMeta(const PutEntry& put) const {
  put("M", Out().U32(kStoreFormat).U64(next_sequence_).U32(pending_arg_).I64(record_time_ms_).Take());
}

void ReadModels::DrainChanges(const PutEntry& put) {
  // The append-only kinds, from what is stored; then the keyed ones marked since.
  for (; stored_.categories < categories_.size(); ++stored_.categories) Touch('C', stored_.categories);
  for (; stored_.pool < pool_.size(); ++stored_.pool) Touch('P', stored_.pool);
  for (; stored_.notes < notes_.size(); ++stored_.notes) Touch('N', stored_.notes);
  for (; stored_.history < history_.size(); ++stored_.history) Touch('H', stored_.history);
  for (; stored_.times < times_.size(); ++stored_.times) Touch('T', stored_.times);
  for (; stored_.templates < templates_since_.size(); ++stored_.templates) Touch('X', stored_.templates);
  for (const auto& [kind, id] : dirty_) PutEntryOf(kind, id, put);
  dirty_.clear();
  PutMeta(put);
}

void ReadModels::AllEntries(const PutEntry& put) const {
  for (const uint64_t id : AppNumbers()) PutEntryOf('A', id, put);
  for (uint64_t i = 0; i < categories_.size(); ++i) PutEntryOf('C', i, put);
  for (const auto& [id, g] : groups_) PutEntryOf('G', id, put);
  for (uint64_t i = 0; i < history_.size(); ++i) PutEntryOf('H', i, put);
  for (const auto& [id, k] : kindergartens_) PutEntryOf('K', id, put);
  for (const auto& [id, l] : localities_) PutEntryOf('L', id, put);
  PutMeta(put);
  for (uint64_t i = 0; i < notes_.size(); ++i) PutEntryOf('N', i, put);
  for (const auto& [locality, timeline] : offsets_.entries()) PutEntryOf('O', locality.value, put);
  for (uint64_t i = 0; i < pool_.size(); ++i) PutEntryOf('P', i, put);
  for (uint64_t i = 0; i < queues_.size(); ++i) PutEntryOf('Q', i, put);
  for (const auto& [locality, policy] : policies_) PutEntryOf('R', locality, put);
  for (const auto& [index, text] : spelled_) PutEntryOf('S', index, put);
  for (uint64_t i = 0; i < times_.size(); ++i) PutEntryOf('T', i, put);
  for (uint64_t q = 0; q < queue_logs_.size(); ++q) {
    for (uint64_t i = 0; i < queue_logs_[q].size(); ++i) PutEntryOf('W', q << 32 | i, put);
  }
  for (uint64_t i = 0; i < templates_since_.size(); ++i) PutEntryOf('X', i, put);
  for (const auto& [id, p] : popularity_) PutEntryOf('Y', id, put);
}

bool ReadModels::LoadEntry(std::string_view key, std::string_view value) {
  if (key == "M") {
    In in(value);
    if (in.U32() != kStoreFormat) return false;
    next_sequence_ = in.U64();
    pending_arg_ = in.U32();
    record_time_ms_ = in.I64();
    return in.done();
  }
  if (key.size() < 2 || key.size() != 1 + static_cast<size_t>(WidthOf(key[0]))) return false;
  const char kind = key[0];
  const uint64_t id = FromBe(key.substr(1));
  In in(value);
  switch (kind) {
    case 'A': {
      if (!LocalityOfNumber(id) || find(id) != nullptr) return false;
      App& a = Room(id);
      a.applicant = in.U64();
      a.child = in.U64();
      a.filed_at_ms = in.I64();
      a.stamped_ms = in.I64();
      a.deadline_ms = in.I64();
      a.voucher = in.U64();
      a.locality = in.U32();
      a.queue = in.U32();
      a.preferred_kindergarten = in.U32();
      a.group = in.U32();
      a.last_history = in.U32();
      a.deadline_date = static_cast<int32_t>(in.U32());
      a.category = in.U16();
      a.tier = in.U8();
      if (!ReadLine(in, &a.line) || !ReadEnum(in, &a.type) || !ReadEnum(in, &a.language) ||
          !ReadEnum(in, &a.correction) || !ReadEnum(in, &a.financing) || !ReadEnum(in, &a.status) ||
          !ReadEnum(in, &a.status_before_archive) || !ReadEnum(in, &a.archive_reason) || !ReadEnum(in, &a.deadline)) {
        return false;
      }
      a.extension_used = in.U8() != 0;
      const std::string name = in.Str();
      if (!in.done() || a.applicant == 0 || name.size() > UINT16_MAX || names_.size() + name.size() > UINT32_MAX) return false;
      a.name_offset = static_cast<uint32_t>(names_.size());
      a.name_length = static_cast<uint16_t>(name.size());
      names_ += name;
      return true;
    }
    case 'C':
      if (id != categories_.size() || id >= UINT16_MAX) return false;
      categories_.push_back(in.Str());
      return in.done();
    case 'G': {
      GroupInfo& g = groups_[static_cast<uint32_t>(id)];
      g.kindergarten = in.U32();
      const bool enums = ReadEnum(in, &g.language);
      g.min_age_years = in.U8();
      g.max_age_years = in.U8();
      if (!enums || !ReadEnum(in, &g.correction)) return false;
      g.capacity = in.U32();
      g.taken = in.U32();
      return in.done();
    }
    case 'H': {
      if (id != history_.size()) return false;
      HistoryEntry& e = history_.emplace_back();
      e.sequence = in.U64();
      e.position = in.U32();
      e.previous = in.U32();
      e.rank = in.U32();
      e.log_end = in.U32();
      e.tier = in.U8();
      return ReadLine(in, &e.line) && ReadEnum(in, &e.event) && in.done() && e.previous <= id &&
             e.event != fb::PositionEvent::MovedByOthers;
    }
    case 'K': {
      KindergartenInfo& k = kindergartens_[static_cast<uint32_t>(id)];
      k.locality = in.U32();
      k.name_ru = in.Str();
      k.name_kk = in.Str();
      const auto n = in.Count(in.U32(), 4);
      for (uint64_t i = 0; i < n && in.ok(); ++i) k.groups.push_back(in.U32());
      return in.done() && std::is_sorted(k.groups.begin(), k.groups.end());
    }
    case 'L': {
      LocalityInfo& l = localities_[static_cast<uint32_t>(id)];
      l.name_ru = in.Str();
      l.name_kk = in.Str();
      l.region_code = in.Str();
      return in.done();
    }
    case 'N': {
      if (id != notes_.size()) return false;
      Note& n = notes_.emplace_back();
      n.sequence = in.U64();
      n.application = in.U64();
      n.index_and_kind = in.U32();
      n.arg = in.U32();
      return in.done() && (n.index_and_kind & 0xFF) <= static_cast<uint32_t>(fb::NotificationKind::MAX);
    }
    case 'O': {
      const auto n = in.Count(in.U32(), 10);  // from, minutes
      for (uint64_t i = 0; i < n && in.ok(); ++i) {
        const int64_t from = in.I64();
        const auto minutes = static_cast<int16_t>(in.U16());
        offsets_.Set(LocalityId{static_cast<uint32_t>(id)}, InstantMs{from}, minutes);
      }
      return in.done();
    }
    case 'P':
      if (id != pool_.size()) return false;
      pool_.push_back(in.Str());
      return in.done();
    case 'Q': {
      if (id != queues_.size()) return false;
      QueueKey k;
      k.locality = LocalityId{in.U32()};
      if (!ReadEnum(in, &k.type)) return false;
      k.birth_year = in.U16();
      if (!ReadEnum(in, &k.language) || !ReadEnum(in, &k.correction)) return false;
      Queue& q = queues_.emplace_back(k);
      queue_logs_.emplace_back();
      q.RestoreCycle(in.U32());
      return in.done();
    }
    case 'R':
      return state_codec::DecodePolicy(value, &policies_[static_cast<uint32_t>(id)]);
    case 'S': {
      messages::Text text;
      text.ru = in.Str();
      text.kk = in.Str();
      if (!in.done() || id >= notes_.size()) return false;
      spelled_.emplace(static_cast<uint32_t>(id), std::move(text));
      return true;
    }
    case 'T': {
      if (id != times_.size()) return false;
      const uint64_t sequence = in.U64();
      const int64_t time = in.I64();
      if (!times_.empty() && times_.back().first >= sequence) return false;
      times_.emplace_back(sequence, time);
      return in.done();
    }
    case 'X': {
      if (id != templates_since_.size()) return false;
      const uint64_t since = in.U64();
      std::vector<messages::Text> patterns(messages::Keys().size());
      for (messages::Text& pattern : patterns) {
        pattern.ru = in.Str();
        pattern.kk = in.Str();
      }
      if (!in.done() || since >= next_sequence_ || (!templates_since_.empty() && since <= templates_since_.back())) return false;
      templates_since_.push_back(since);
      return templates_.Add(std::move(patterns));
    }
    case 'W': {
      const uint64_t queue = id >> 32;
      if (queue >= queue_logs_.size() || (id & UINT32_MAX) != queue_logs_[queue].size()) return false;
      QueueEvent& e = queue_logs_[queue].emplace_back();
      e.sequence = in.U64();
      e.application = in.U64();
      e.priority_size = in.U32();
      e.general_size = in.U32();
      e.cycle = in.U32();
      e.ratio_priority = in.U16();
      e.ratio_general = in.U16();
      e.tier = in.U8();
      if (!ReadLine(in, &e.line)) return false;
      const uint8_t event_kind = in.U8();
      if (event_kind > static_cast<uint8_t>(QueueEventKind::Reset)) return false;
      e.kind = static_cast<QueueEventKind>(event_kind);
      const auto& log = queue_logs_[queue];
      const bool ordered = log.size() == 1 || log[log.size() - 2].sequence <= e.sequence;
      return in.done() && ordered && e.sequence < next_sequence_ && (e.application == 0) == (e.kind == QueueEventKind::Reset);
    }
    case 'Y': {
      Popularity& p = popularity_[static_cast<uint32_t>(id)];
      p.requests = in.U64();
      p.enrollments = in.U64();
      return in.done();
    }
    default:
      return false;
  }
}

bool ReadModels::FinishLoad(std::string* why) {
  const auto fail = [why](std::string problem) {
    if (why != nullptr) *why = std::move(problem);
    return false;
  };
  for (uint16_t i = 0; i < categories_.size(); ++i) {
    if (!category_index_.emplace(categories_[i], i).second) {
      return fail(fmt::format("priority category '{}' is stored twice", categories_[i]));
    }
  }
  for (uint32_t i = 0; i < pool_.size(); ++i) {
    if (!pool_index_.emplace(pool_[i], i).second) return fail(fmt::format("pooled text {} is stored twice", i));
  }
  for (uint32_t i = 0; i < queues_.size(); ++i) {
    if (!queue_index_.emplace(queues_[i].key(), i).second) return fail(fmt::format("queue {} is stored twice", i));
  }
  for (const auto& [id, group] : groups_) {
    if (group.kindergarten != 0 && !kindergartens_.contains(group.kindergarten)) {
      return fail(fmt::format("group {} is of kindergarten {}, which is not stored", id, group.kindergarten));
    }
  }
  waiting_ = 0;
  for (const uint64_t id : AppNumbers()) {
    const App& a = at(id);
    if (a.category >= categories_.size() || a.last_history > history_.size() ||
        (a.queue != kNoQueue && a.queue >= queues_.size())) {
      return fail(fmt::format("application {} names priority category {}, queue {} or history entry {}, beyond the {}, "
                              "{} and {} stored",
                              id, a.category, a.queue, a.last_history, categories_.size(), queues_.size(),
                              history_.size()));
    }
    if (a.last_history != 0 && (a.queue == kNoQueue || history_[a.last_history - 1].log_end > queue_logs_[a.queue].size())) {
      return fail(fmt::format("application {}'s last queue history entry reaches past its queue's stored log", id));
    }
    if (a.group != 0 && !groups_.contains(a.group)) {
      return fail(fmt::format("application {} is in group {}, which is not stored", id, a.group));
    }
    if (a.status != fb::ApplicationStatus::InQueue) continue;
    if (a.queue == kNoQueue) return fail(fmt::format("application {} waits in the queue but names none", id));
    const QueueEntry entry = EntryOf(a, id);
    queues_[a.queue].Insert(entry, a.line);
    ++waiting_;
  }
  for (uint32_t i = 0; i < notes_.size(); ++i) {
    const App* a = find(notes_[i].application);
    if (a == nullptr) {
      return fail(fmt::format("notification {} is to application {}, which is not stored", i, notes_[i].application));
    }
    inbox_[a->applicant].push_back(i);
  }
  for (const auto& [sequence, time] : times_) {
    if (sequence >= next_sequence_) {
      return fail(fmt::format("record {}'s time is stored, but the store reflects records below {}", sequence,
                              next_sequence_));
    }
  }
  for (const auto& log : queue_logs_) {
    for (const QueueEvent& e : log) {
      if (e.application != 0 && find(e.application) == nullptr) {
        return fail(fmt::format("a queue's log names application {}, which is not stored", e.application));
      }
    }
  }
  stored_ = Stored{categories_.size(), pool_.size(), notes_.size(), history_.size(), times_.size(), templates_since_.size()};
  dirty_.clear();
  return true;
}

}  // namespace kezek::projections
