// Engine::Prefetch, in a file of its own: GCC 12's inter-procedural modref analysis finds
// Abseil's raw_hash_set::prefetch free of side effects and deletes the call (no prefetch
// instruction is left), so this file is compiled with -fno-ipa-modref (engine/CMakeLists.txt).
// tests/engine_test.cc checks nothing of it: a prefetch is a hint, it changes no result.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <xxhash.h>

#include "engine/engine.h"
#include "engine/limits.h"

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
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/16, /*max_tables=*/4096);
  if (!fb::VerifyActionBuffer(verifier)) return;
  const fb::Action& action = *fb::GetAction(bytes.data());
  if (const auto* key = action.idempotency_key(); key != nullptr) {
    const XXH128_hash_t hash = XXH3_128bits(key->data(), key->size());
    state_.idempotency.prefetch(std::array<uint64_t, 2>{hash.low64, hash.high64});
  }
  if (action.body() == nullptr) return;
  uint64_t application = 0;
  switch (action.body_type()) {
    case fb::ActionBody::FileApplication: {
      // The child's entry, looked up by the IIN's twelve digits (a malformed IIN is rejected later).
      const auto* iin = action.body_as_FileApplication()->child_iin();
      if (iin == nullptr || iin->size() != 12) break;
      uint64_t value = 0;
      for (const char digit : iin->string_view()) value = value * 10 + static_cast<uint64_t>(digit - '0');
      state_.children.prefetch(Iin{value});
      break;
    }
    case fb::ActionBody::ConfirmDocuments: application = action.body_as_ConfirmDocuments()->application(); break;
    case fb::ActionBody::RejectDocuments: application = action.body_as_RejectDocuments()->application(); break;
    case fb::ActionBody::Withdraw: application = action.body_as_Withdraw()->application(); break;
    case fb::ActionBody::AnswerInterest: application = action.body_as_AnswerInterest()->application(); break;
    case fb::ActionBody::ExtendVoucher: application = action.body_as_ExtendVoucher()->application(); break;
    case fb::ActionBody::ChooseKindergarten: application = action.body_as_ChooseKindergarten()->application(); break;
    case fb::ActionBody::SendContract: application = action.body_as_SendContract()->application(); break;
    case fb::ActionBody::ParentSigns: application = action.body_as_ParentSigns()->application(); break;
    case fb::ActionBody::KindergartenSigns: application = action.body_as_KindergartenSigns()->application(); break;
    case fb::ActionBody::NONE:
    case fb::ActionBody::AllocateVouchers:
    case fb::ActionBody::UpsertLocality:
    case fb::ActionBody::SetUtcOffset:
    case fb::ActionBody::UpsertKindergarten:
    case fb::ActionBody::UpsertGroup:
    case fb::ActionBody::UpdateCalendar:
    case fb::ActionBody::SetPriorityPolicy:
    case fb::ActionBody::ArchiveChild:
    case fb::ActionBody::ClockTick:
      break;
  }
  if (application != 0) {
    if (const uint32_t slot = state_.ApplicationSlot(ApplicationId{application}); slot != 0) {
      __builtin_prefetch(&state_.applications[slot]);  // its first cache line: the fields rules read first
    }
  }
}

}  // namespace kezek
