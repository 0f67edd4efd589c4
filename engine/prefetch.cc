// Engine::Prefetch, in a file of its own: GCC 12's inter-procedural modref analysis finds
// Abseil's raw_hash_set::prefetch free of side effects and deletes the call (no prefetch
// instruction is left), so this file is compiled with -fno-ipa-modref (engine/CMakeLists.txt).
// A prefetch is a hint that changes no result: tests/golden_test.cc folds the recorded history with
// it, tests/edges_test.cc feeds it damaged bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <xxhash.h>

#include "engine/engine.h"
#include "engine/limits.h"
#include "engine/rules.h"

namespace kezek {
namespace {

constexpr size_t kCopyBytesMax = 1024;  // a misaligned action longer than this is not prefetched

}  // namespace

void Engine::Prefetch(std::span<const uint8_t> bytes) const {
  // Read in place when aligned (as Apply does), else from an aligned copy when small (most are).
  alignas(std::max_align_t) uint8_t copy[kCopyBytesMax];
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(std::max_align_t) != 0) {
    if (bytes.size() > sizeof copy) return;
    std::memcpy(copy, bytes.data(), bytes.size());
    bytes = {copy, bytes.size()};
  }
  if (bytes.size() > limits::kActionBytesMax) return;
  if (!rules::Verifies(bytes)) return;
  const fb::Action& action = *fb::GetAction(bytes.data());
  if (const auto* key = action.idempotency_key(); key != nullptr) {
    const XXH128_hash_t hash = XXH3_128bits(key->data(), key->size());
    state_.idempotency.prefetch(std::array<uint64_t, 2>{hash.low64, hash.high64});
  }
  if (action.body_type() == fb::ActionBody::FileApplication && action.body() != nullptr) {
    // The child's entry, looked up by the IIN's twelve digits (a malformed IIN is rejected later).
    const auto* iin = action.body_as_FileApplication()->child_iin();
    if (iin == nullptr || iin->size() != 12) return;
    uint64_t value = 0;
    for (const char digit : iin->string_view()) value = value * 10 + static_cast<uint64_t>(digit - '0');
    state_.children.prefetch(Iin{value});
  } else if (const std::optional<uint64_t> number = rules::ApplicationNamed(action)) {
    if (const uint32_t slot = state_.ApplicationSlot(ApplicationId{*number}); slot != 0) {
      __builtin_prefetch(&state_.applications[slot]);  // its first cache line: the fields rules read first
    }
  }
}

}  // namespace kezek
