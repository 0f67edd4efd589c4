#include "adapters/kafka/router.h"

#include <optional>
#include <string>

#include "actions_generated.h"
#include "engine/assert.h"
#include "engine/numbers.h"
#include "engine/rules.h"
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
  if (const auto* filing = action->body_as_FileApplication()) return locality(filing->locality());
  if (const auto* allocation = action->body_as_AllocateVouchers()) return locality(allocation->locality());
  if (action->body_type() == fb::ActionBody::NONE) return {"", {0}};
  if (const std::optional<uint64_t> number = rules::ApplicationNamed(*action)) return application(*number);
  return {"*", Every(partitions)};
}

}  // namespace kezek::adapters::kafka
