#include "adapters/kafka/router.h"

#include <optional>
#include <string>

#include "actions_generated.h"
#include "engine/assert.h"
#include "engine/numbers.h"
#include "events/input.h"

namespace kezek::adapters::kafka {
namespace {

std::vector<int32_t> Every(int32_t partitions) {
  std::vector<int32_t> all(static_cast<size_t>(partitions));
  for (int32_t p = 0; p < partitions; ++p) all[static_cast<size_t>(p)] = p;
  return all;
}

}  // namespace

int32_t PartitionOfLocality(uint32_t locality, int32_t partitions) {
  KEZEK_ASSERT(partitions > 0);
  return static_cast<int32_t>(locality % static_cast<uint32_t>(partitions));
}

Route RouteOf(std::span<const uint8_t> payload, int32_t partitions) {
  KEZEK_ASSERT(partitions > 0);
  if (payload.empty() || payload[0] != events::kInputAction) return {"", {0}};
  // The canonical bytes were verified when the line became an input (events::EncodeInput).
  const fb::Action* action = fb::GetAction(payload.data() + 1);
  const auto locality = [&](uint32_t l) { return Route{std::to_string(l), {PartitionOfLocality(l, partitions)}}; };
  // An action on an application goes to its locality's partition; a number no application can
  // have (unknown everywhere) to partition 0, which journals its rejection.
  const auto application = [&](uint64_t number) {
    const std::optional<LocalityId> of = LocalityOfNumber(number);
    return of ? locality(of->value) : Route{"", {0}};
  };
  switch (action->body_type()) {
    case fb::ActionBody::FileApplication: return locality(action->body_as_FileApplication()->locality());
    case fb::ActionBody::AllocateVouchers: return locality(action->body_as_AllocateVouchers()->locality());
    case fb::ActionBody::ConfirmDocuments: return application(action->body_as_ConfirmDocuments()->application());
    case fb::ActionBody::RejectDocuments: return application(action->body_as_RejectDocuments()->application());
    case fb::ActionBody::Withdraw: return application(action->body_as_Withdraw()->application());
    case fb::ActionBody::AnswerInterest: return application(action->body_as_AnswerInterest()->application());
    case fb::ActionBody::ExtendVoucher: return application(action->body_as_ExtendVoucher()->application());
    case fb::ActionBody::ChooseKindergarten: return application(action->body_as_ChooseKindergarten()->application());
    case fb::ActionBody::SendContract: return application(action->body_as_SendContract()->application());
    case fb::ActionBody::ParentSigns: return application(action->body_as_ParentSigns()->application());
    case fb::ActionBody::KindergartenSigns: return application(action->body_as_KindergartenSigns()->application());
    case fb::ActionBody::UpsertLocality:
    case fb::ActionBody::SetUtcOffset:
    case fb::ActionBody::UpsertKindergarten:
    case fb::ActionBody::UpsertGroup:
    case fb::ActionBody::UpdateCalendar:
    case fb::ActionBody::SetPriorityPolicy:
    case fb::ActionBody::ArchiveChild:
    case fb::ActionBody::ClockTick:
      break;
    case fb::ActionBody::NONE:
      return {"", {0}};
  }
  return {"*", Every(partitions)};
}

}  // namespace kezek::adapters::kafka
