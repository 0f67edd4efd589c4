#include "engine/state.h"

#include <algorithm>

#include "engine/assert.h"
#include "engine/limits.h"
#include "engine/numbers.h"

namespace kezek {

State::State() {
  applications.emplace_back();  // slot 0: none
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
  numbers.clear();
  calendar.clear();
  children.clear();
  idempotency.clear();
  categories_from = categories_size;
  templates = false;
}

namespace {

// The slot `slots` holds for `number`'s serial, when `number` belongs to a locality in `numbers`.
template <std::vector<uint32_t> LocalityNumbers::*kSlots>
uint32_t SlotOf(const absl::flat_hash_map<LocalityId, LocalityNumbers>& numbers, uint64_t number) {
  const std::optional<LocalityId> locality = LocalityOfNumber(number);
  if (!locality) return 0;
  const auto it = numbers.find(*locality);
  if (it == numbers.end()) return 0;
  const std::vector<uint32_t>& slots = it->second.*kSlots;
  const uint32_t serial = SerialOfNumber(number);
  return serial <= slots.size() ? slots[serial - 1] : 0;
}

// Records `slot` as the one of `serial` in `slots`.
void PlaceSlot(std::vector<uint32_t>& slots, uint32_t serial, uint32_t slot) {
  if (slots.size() < serial) slots.resize(serial);
  KEZEK_ASSERT(slots[serial - 1] == 0);
  slots[serial - 1] = slot;
}

template <typename Id, std::vector<uint32_t> LocalityNumbers::*kSlots>
std::vector<Id> NumbersOf(const absl::flat_hash_map<LocalityId, LocalityNumbers>& numbers, size_t count) {
  std::vector<LocalityId> localities;
  localities.reserve(numbers.size());
  for (const auto& [locality, entry] : numbers) localities.push_back(locality);
  std::sort(localities.begin(), localities.end());
  std::vector<Id> out;
  out.reserve(count);
  for (const LocalityId locality : localities) {
    const std::vector<uint32_t>& slots = numbers.at(locality).*kSlots;
    for (size_t i = 0; i < slots.size(); ++i) {
      if (slots[i] != 0) out.push_back(Id{NumberOf(locality, i + 1)});
    }
  }
  return out;
}

}  // namespace

uint32_t State::ApplicationSlot(ApplicationId id) const {
  return SlotOf<&LocalityNumbers::application_slots>(numbers, id.value);
}

uint32_t State::VoucherSlot(VoucherId id) const { return SlotOf<&LocalityNumbers::voucher_slots>(numbers, id.value); }

uint32_t State::ApplicationsNumbered(LocalityId locality) const {
  const auto it = numbers.find(locality);
  return it == numbers.end() ? 0 : it->second.applications;
}

uint32_t State::VouchersNumbered(LocalityId locality) const {
  const auto it = numbers.find(locality);
  return it == numbers.end() ? 0 : it->second.vouchers;
}

Application& State::AddApplication(Application app) {
  LocalityNumbers& n = numbers[app.locality];
  KEZEK_ASSERT(n.applications + 1 < limits::kSerialsPerLocality);
  KEZEK_ASSERT(applications.size() < UINT32_MAX);
  const uint32_t serial = ++n.applications;
  const auto slot = static_cast<uint32_t>(applications.size());
  PlaceSlot(n.application_slots, serial, slot);
  app.id = ApplicationId{NumberOf(app.locality, serial)};
  changes.numbers.push_back(app.locality);
  changes.applications.push_back(app.id);
  return applications.emplace_back(std::move(app));
}

VoucherId State::AddVouchers(LocalityId locality, uint32_t queue, uint32_t count) {
  LocalityNumbers& n = numbers[locality];
  KEZEK_ASSERT(count >= 1 && uint64_t{n.vouchers} + count < limits::kSerialsPerLocality);
  KEZEK_ASSERT(vouchers.size() + count < UINT32_MAX);
  const VoucherId first{NumberOf(locality, n.vouchers + 1)};
  for (uint32_t i = 0; i < count; ++i) {
    PlaceSlot(n.voucher_slots, ++n.vouchers, static_cast<uint32_t>(vouchers.size()));
    vouchers.push_back(Voucher{queue, VoucherState::Free, ApplicationId{}});
    changes.vouchers.push_back(VoucherId{first.value + i});
  }
  changes.numbers.push_back(locality);
  return first;
}

std::vector<ApplicationId> State::ApplicationNumbers() const {
  return NumbersOf<ApplicationId, &LocalityNumbers::application_slots>(numbers, applications.size() - 1);
}

std::vector<VoucherId> State::VoucherNumbers() const {
  return NumbersOf<VoucherId, &LocalityNumbers::voucher_slots>(numbers, vouchers.size() - 1);
}

Application& State::app(ApplicationId id) {
  const uint32_t slot = ApplicationSlot(id);
  KEZEK_ASSERT(slot != 0);
  changes.applications.push_back(id);
  return applications[slot];
}

Voucher& State::voucher(VoucherId id) {
  const uint32_t slot = VoucherSlot(id);
  KEZEK_ASSERT(slot != 0);
  changes.vouchers.push_back(id);
  return vouchers[slot];
}

const Voucher& State::voucher(VoucherId id) const {
  const uint32_t slot = VoucherSlot(id);
  KEZEK_ASSERT(slot != 0);
  return vouchers[slot];
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
  const uint32_t slot = ApplicationSlot(id);
  KEZEK_ASSERT(slot != 0);
  return applications[slot];
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
