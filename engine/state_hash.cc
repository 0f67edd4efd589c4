// The state hash: SHA-256 over a canonical encoding of every entity, in key order. Two runs that
// folded the same inputs compare equal; any difference in any field shows. The timer heap is
// not hashed: it is derived from the applications (their deadlines and school-age instants).
#include <algorithm>
#include <memory>


#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/engine.h"

namespace kezek {
namespace {

class Hasher {
 public:
  Hasher() { sha256_.Begin(); }
  void Bytes(const void* data, size_t size) {
    buffer_.insert(buffer_.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  template <typename T>
  void Int(T value) {
    static_assert(std::is_integral_v<T> || std::is_enum_v<T>);
    uint64_t v = static_cast<uint64_t>(value);
    uint8_t le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(v >> (8 * i));
    Bytes(le, sizeof le);
  }
  void Text(std::string_view text) {
    Int(text.size());
    Bytes(text.data(), text.size());
  }
  void Tag(const char* section) { Text(section); }
  Sha256 Done() {
    Flush();
    return sha256_.End();
  }

 private:
  static constexpr size_t kFlushBytes = 1 << 16;
  void Flush() {
    sha256_.Update(buffer_);
    buffer_.clear();
  }
  Sha256Hasher sha256_;
  std::vector<uint8_t> buffer_;
};

void HashApplication(Hasher& h, const Application& a) {
  h.Int(a.id.value); h.Int(a.child.value); h.Int(a.applicant.value); h.Text(a.child_name);
  h.Int(a.birth_date.value); h.Int(a.filed_at.value); h.Int(a.school_age_at.value); h.Int(a.locality.value);
  h.Int(a.queue); h.Int(a.category); h.Int(a.place.tier); h.Int(a.place.line); h.Int(a.type); h.Int(a.language);
  h.Int(a.correction); h.Int(a.chosen_kindergarten.value); h.Text(a.conclusion_document); h.Int(a.status);
  h.Int(a.archive_reason); h.Int(a.annulled_by_deadline); h.Int(a.extension_used); h.Int(a.voucher.value);
  h.Int(a.group.value); h.Text(a.contract_number); h.Text(a.parent_document_sha256);
  h.Text(a.kindergarten_document_sha256); h.Int(a.deadline); h.Int(a.deadline_at.value); h.Int(a.deadline_date.value);
}

}  // namespace

Sha256 Engine::StateHash() const {
  const State& s = state_;
  Hasher h;
  h.Tag("engine"); h.Int(s.now.value); h.Int(s.next_sequence); h.Bytes(s.head_sha256.data(), s.head_sha256.size());
  h.Tag("calendar");
  for (const auto& [date, kind] : s.calendar.marked_days()) { h.Int(date.value); h.Int(kind); }
  h.Tag("offsets");
  for (const auto& [locality, timeline] : s.offsets.entries()) {
    h.Int(locality.value);
    for (const auto& [from, minutes] : timeline) { h.Int(from.value); h.Int(minutes); }
  }
  h.Tag("localities");
  for (const auto& [id, l] : s.localities) { h.Int(id.value); h.Text(l.name_ru); h.Text(l.name_kk); h.Text(l.region_code); }
  h.Tag("kindergartens");
  for (const auto& [id, k] : s.kindergartens) { h.Int(id.value); h.Int(k.locality.value); h.Text(k.name_ru); h.Text(k.name_kk); }
  h.Tag("groups");
  for (const auto& [id, g] : s.groups) {
    h.Int(id.value); h.Int(g.kindergarten.value); h.Int(g.language); h.Int(g.min_age_years); h.Int(g.max_age_years);
    h.Int(g.correction); h.Int(g.capacity); h.Int(g.taken);
  }
  h.Tag("policies");
  for (const auto& [id, p] : s.policies) {
    h.Int(id.value); h.Int(p.ratio.priority); h.Int(p.ratio.general); h.Int(p.tiers.size());
    for (const auto& t : p.tiers) {
      h.Text(t.code); h.Int(t.general_line); h.Int(t.categories.size());
      for (const auto& c : t.categories) h.Text(c);
    }
  }
  h.Tag("categories");
  for (const auto& c : s.categories) h.Text(c);
  h.Tag("applications");
  for (size_t i = 1; i < s.applications.size(); ++i) HashApplication(h, s.applications[i]);
  h.Tag("vouchers");
  for (size_t i = 1; i < s.vouchers.size(); ++i) {
    h.Int(s.vouchers[i].queue); h.Int(s.vouchers[i].state); h.Int(s.vouchers[i].holder.value);
  }
  h.Tag("queues");
  for (const Queue& q : s.queues) {
    const QueueKey& k = q.key();
    h.Int(k.locality.value); h.Int(k.type); h.Int(k.birth_year); h.Int(k.language); h.Int(k.correction);
    h.Int(q.cycle()); h.Int(q.size()); h.Int(q.free_vouchers().size());
    q.ForEach([&](const QueueEntry& e, Line line) { h.Int(e.application.value); h.Int(line); });
    for (const VoucherId v : q.free_vouchers()) h.Int(v.value);
  }
  h.Tag("children");
  std::vector<std::pair<Iin, ChildEntry>> children(s.children.begin(), s.children.end());
  std::sort(children.begin(), children.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [iin, entry] : children) { h.Int(iin.value); h.Int(entry.active[0].value); h.Int(entry.active[1].value); }
  h.Tag("idempotency");
  std::vector<std::pair<std::array<uint64_t, 2>, IdempotencyEntry>> keys(s.idempotency.begin(), s.idempotency.end());
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, entry] : keys) {
    h.Int(key[0]); h.Int(key[1]); h.Int(entry.action_digest[0]); h.Int(entry.action_digest[1]); h.Int(entry.sequence);
  }
  return h.Done();
}

}  // namespace kezek
