#include "engine/state.h"

#include "engine/assert.h"

namespace kezek {

State::State() {
  applications.emplace_back();  // ids are 1-based
  vouchers.emplace_back();
}

void ChangeSet::Clear(size_t categories_size) {
  applications.clear();
  vouchers.clear();
  queues.clear();
  groups.clear();
  kindergartens.clear();
  localities.clear();
  policies.clear();
  offsets.clear();
  calendar.clear();
  children.clear();
  idempotency.clear();
  categories_from = categories_size;
}

Application& State::app(ApplicationId id) {
  KEZEK_ASSERT(has_app(id));
  changes.applications.push_back(id);
  return applications[id.value];
}

Voucher& State::voucher(VoucherId id) {
  KEZEK_ASSERT(id.value >= 1 && id.value < vouchers.size());
  changes.vouchers.push_back(id);
  return vouchers[id.value];
}

Queue& State::queue(uint32_t index) {
  KEZEK_ASSERT(index < queues.size());
  changes.queues.push_back(index);
  return queues[index];
}

Group& State::group(GroupId id) {
  const auto it = groups.find(id);
  KEZEK_ASSERT(it != groups.end());
  changes.groups.push_back(id);
  return it->second;
}

ChildEntry& State::child(Iin iin) {
  changes.children.push_back(iin);
  return children[iin];
}

const Application& State::app(ApplicationId id) const {
  KEZEK_ASSERT(has_app(id));
  return applications[id.value];
}

const PriorityPolicy& PolicyOf(const State& state, LocalityId locality) {
  static const PriorityPolicy kBuiltIn{{Tier{"general", {"general"}, true}}, Ratio{}};
  auto it = state.policies.find(locality);
  if (it == state.policies.end()) it = state.policies.find(LocalityId{0});
  return it == state.policies.end() ? kBuiltIn : it->second;
}

std::optional<TierPlace> PlaceOf(const PriorityPolicy& policy, std::string_view category) {
  for (size_t i = 0; i < policy.tiers.size(); ++i) {
    for (const auto& c : policy.tiers[i].categories) {
      if (c == category) {
        return TierPlace{static_cast<uint8_t>(i),
                         policy.tiers[i].general_line ? Line::General : Line::Priority};
      }
    }
  }
  return std::nullopt;
}

PriorityPolicy PolicyFrom(const fb::SetPriorityPolicy& action) {
  PriorityPolicy policy;
  for (const fb::PriorityTier* tier : *action.tiers()) {
    Tier t{tier->code()->str(), {}, tier->general_line()};
    for (const flatbuffers::String* category : *tier->categories()) t.categories.push_back(category->str());
    policy.tiers.push_back(std::move(t));
  }
  policy.ratio = Ratio{action.ratio_priority(), action.ratio_general()};
  return policy;
}

TierPlace PlaceOrLast(const PriorityPolicy& policy, std::string_view category) {
  if (auto place = PlaceOf(policy, category)) return *place;
  uint8_t last_general = 0;
  for (size_t i = 0; i < policy.tiers.size(); ++i) {
    if (policy.tiers[i].general_line) last_general = static_cast<uint8_t>(i);
  }
  return TierPlace{last_general, Line::General};
}

}  // namespace kezek
