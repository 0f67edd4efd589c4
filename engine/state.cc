#include "engine/state.h"

#include "engine/assert.h"

namespace kezek {

State::State() {
  applications.emplace_back();  // ids are 1-based
  vouchers.emplace_back();
}

Application& State::app(ApplicationId id) {
  KEZEK_ASSERT(has_app(id));
  return applications[id.value];
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

TierPlace PlaceOrLast(const PriorityPolicy& policy, std::string_view category) {
  if (auto place = PlaceOf(policy, category)) return *place;
  uint8_t last_general = 0;
  for (size_t i = 0; i < policy.tiers.size(); ++i) {
    if (policy.tiers[i].general_line) last_general = static_cast<uint8_t>(i);
  }
  return TierPlace{last_general, Line::General};
}

}  // namespace kezek
