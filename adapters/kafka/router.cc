#include "adapters/kafka/router.h"

#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>

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

namespace {

// The route of an action (verified, aligned).
Route RouteOfAction(const fb::Action& action, int32_t partitions) {
  const auto locality = [&](uint32_t l) { return Route{std::to_string(l), {PartitionOfLocality(l, partitions)}}; };
  // An action on an application goes to its locality's partition; a number no application can
  // have (unknown everywhere) to partition 0, which journals its rejection.
  const auto application = [&](uint64_t number) {
    const std::optional<LocalityId> of = LocalityOfNumber(number);
    return of ? locality(of->value) : Route{"", {0}};
  };
  if (const auto* filing = action.body_as_FileApplication()) return locality(filing->locality());
  if (const auto* allocation = action.body_as_AllocateVouchers()) return locality(allocation->locality());
  if (action.body_type() == fb::ActionBody::NONE) return {"", {0}};
  if (const std::optional<uint64_t> number = rules::ApplicationNamed(action)) return application(*number);
  return {"*", Every(partitions)};
}

// The action of an action payload, copied out: FlatBuffers reads its scalars in place, and the tag
// byte before them leaves them one byte off their alignment (a fresh vector's storage is aligned
// for any scalar).
std::vector<uint8_t> AlignedAction(std::span<const uint8_t> payload) { return {payload.begin() + 1, payload.end()}; }

}  // namespace

Route RouteOf(std::span<const uint8_t> payload, int32_t partitions) {
  KEZEK_ASSERT(partitions > 0);
  if (payload.empty() || payload[0] != events::kInputAction) return {"", {0}};
  // The canonical bytes were verified when the line became an input (events::EncodeInput).
  const std::vector<uint8_t> aligned = AlignedAction(payload);
  return RouteOfAction(*fb::GetAction(aligned.data()), partitions);
}

std::optional<std::vector<uint8_t>> Refusal(std::span<const uint8_t> payload, int32_t partition, int32_t partitions) {
  if (const std::string problem = events::FrameProblem(payload); !problem.empty()) {
    return events::EncodeForeign(payload, problem);
  }
  if (payload[0] != events::kInputAction) return std::nullopt;  // a refused input is one wherever it lands
  // Only bytes the Verifier takes are routed (a damaged action is the engine's to refuse,
  // VerifierFailed, in whatever partition it came to).
  const std::vector<uint8_t> aligned = AlignedAction(payload);
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!fb::VerifyActionBuffer(verifier)) return std::nullopt;
  KEZEK_ASSERT(partitions > 0);
  const Route route = RouteOfAction(*fb::GetAction(aligned.data()), partitions);
  if (std::find(route.partitions.begin(), route.partitions.end(), partition) != route.partitions.end()) return std::nullopt;
  return events::EncodeRefusal(
      fb::RejectionCode::WrongPartition,
      fmt::format("an action routed to partition {} of {} (key '{}'), read from partition {}: written into the topic "
                  "by another producer (kezek routes by locality, docs/kafka.md \"Routing\")",
                  route.partitions.front(), partitions, route.key, partition),
      payload);
}

}  // namespace kezek::adapters::kafka
