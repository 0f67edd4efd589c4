// Engine::Prefetch, in a file of its own: GCC 12's inter-procedural modref analysis finds
// Abseil's raw_hash_set::prefetch free of side effects and deletes the call (no prefetch
// instruction is left), so this file is compiled with -fno-ipa-modref (engine/CMakeLists.txt).
// A prefetch is a hint that changes no result: tests/golden_test.cc folds the recorded history with
// it, tests/edges_test.cc feeds it damaged bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include <xxhash.h>

#include "engine/engine.h"
#include "engine/limits.h"
#include "engine/rules.h"

namespace kezek {
namespace {

constexpr size_t kCopyBytesMax = 1024;  // a misaligned action longer than this is not prefetched

// Every action that names an application names it in its body's first field (what
// rules::ApplicationNamed reads), so one field check covers them all.
constexpr flatbuffers::voffset_t kApplicationField = 4;
static_assert(fb::ConfirmDocuments::VT_APPLICATION == kApplicationField &&
              fb::RejectDocuments::VT_APPLICATION == kApplicationField &&
              fb::Withdraw::VT_APPLICATION == kApplicationField &&
              fb::AnswerInterest::VT_APPLICATION == kApplicationField &&
              fb::ExtendVoucher::VT_APPLICATION == kApplicationField &&
              fb::ChooseKindergarten::VT_APPLICATION == kApplicationField &&
              fb::SendContract::VT_APPLICATION == kApplicationField &&
              fb::ParentSigns::VT_APPLICATION == kApplicationField &&
              fb::KindergartenSigns::VT_APPLICATION == kApplicationField);

// The action, when the fields a hint reads verify: the key, the body's type, and in the body the
// child's IIN (a filing), the group (a choice) or the application's number (any other). These
// are checked one by one with FlatBuffers' own Verifier, not the whole action: Apply verifies all
// of it, and a hint that verified every string of an action twice cost more than it saved.
// nullptr when they do not verify.
const fb::Action* HintedAction(std::span<const uint8_t> bytes, bool* names_application) {
  *names_application = false;
  if (bytes.size() < 2 * sizeof(flatbuffers::uoffset_t) || !fb::ActionBufferHasIdentifier(bytes.data())) return nullptr;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/16, /*max_tables=*/4096);
  const flatbuffers::uoffset_t root = verifier.VerifyOffset(0);
  if (root == 0) return nullptr;
  const auto& table = *reinterpret_cast<const flatbuffers::Table*>(bytes.data() + root);
  if (!table.VerifyTableStart(verifier) || !table.VerifyOffset(verifier, fb::Action::VT_IDEMPOTENCY_KEY) ||
      !table.VerifyField<uint8_t>(verifier, fb::Action::VT_BODY_TYPE, 1) ||
      !table.VerifyOffset(verifier, fb::Action::VT_BODY)) {
    return nullptr;
  }
  const fb::Action* action = fb::GetAction(bytes.data());
  if (!verifier.VerifyString(action->idempotency_key())) return nullptr;
  const auto* body = static_cast<const flatbuffers::Table*>(action->body());
  if (body == nullptr) return action;
  if (!body->VerifyTableStart(verifier)) return nullptr;
  if (action->body_type() == fb::ActionBody::FileApplication) {
    const bool iin = body->VerifyOffset(verifier, fb::FileApplication::VT_CHILD_IIN) &&
                     verifier.VerifyString(action->body_as_FileApplication()->child_iin());
    return iin ? action : nullptr;
  }
  if (action->body_type() == fb::ActionBody::ChooseKindergarten &&
      !body->VerifyField<uint32_t>(verifier, fb::ChooseKindergarten::VT_GROUP, sizeof(uint32_t))) {
    return nullptr;
  }
  if (action->body_type() == fb::ActionBody::UpsertGroup &&
      (!body->VerifyField<uint32_t>(verifier, fb::UpsertGroup::VT_GROUP, sizeof(uint32_t)) ||
       !body->VerifyField<uint32_t>(verifier, fb::UpsertGroup::VT_KINDERGARTEN, sizeof(uint32_t)))) {
    return nullptr;
  }
  // Another body's first field may be no number at all (it names no application then, and
  // ApplicationNamed does not read it); if it does not verify as one, nothing is read from it.
  *names_application = body->VerifyField<uint64_t>(verifier, kApplicationField, sizeof(uint64_t));
  return action;
}

void PrefetchLine(const Application& app, size_t line) {
  __builtin_prefetch(reinterpret_cast<const char*>(&app) + 64 * line);
}

}  // namespace

void Engine::Prefetch(std::span<const uint8_t> bytes) const {
  // The previous hint's second step first: its application has been loading since that call.
  PrefetchFollowing(std::exchange(prefetch_next_, PrefetchNext{}));
  // Read in place when aligned (as Apply does), else from an aligned copy when small (most are).
  alignas(std::max_align_t) uint8_t copy[kCopyBytesMax];
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(std::max_align_t) != 0) {
    if (bytes.size() > sizeof copy) return;
    std::memcpy(copy, bytes.data(), bytes.size());
    bytes = {copy, bytes.size()};
  }
  if (bytes.size() > limits::kActionBytesMax) return;
  bool names_application = false;
  const fb::Action* hinted = HintedAction(bytes, &names_application);
  if (hinted == nullptr) return;
  const fb::Action& action = *hinted;
  if (const auto* key = action.idempotency_key(); key != nullptr) {
    const XXH128_hash_t hash = XXH3_128bits(key->data(), key->size());
    state_.idempotency.prefetch(std::array<uint64_t, 2>{hash.low64, hash.high64});
  }
  if (action.body() == nullptr) return;
  if (action.body_type() == fb::ActionBody::FileApplication) {
    // The child's entry, looked up by the IIN's twelve digits (a malformed IIN is rejected later).
    const auto* iin = action.body_as_FileApplication()->child_iin();
    if (iin == nullptr || iin->size() != 12) return;
    uint64_t value = 0;
    for (const char digit : iin->string_view()) value = value * 10 + static_cast<uint64_t>(digit - '0');
    state_.children.prefetch(Iin{value});
    return;
  }
  if (action.body_type() == fb::ActionBody::UpsertGroup) {
    // A catalogue update (a month's capacities come group after group, and every partition folds
    // them): the group's entry, and its ДО's, which the rule checks first.
    const auto* upsert = action.body_as_UpsertGroup();
    state_.kindergartens.prefetch(KindergartenId{upsert->kindergarten()});
    state_.groups.prefetch(GroupId{upsert->group()});
    return;
  }
  if (action.body_type() == fb::ActionBody::ChooseKindergarten) {
    const uint32_t group = action.body_as_ChooseKindergarten()->group();
    state_.groups.prefetch(GroupId{group});
    prefetch_next_.group = group;
  }
  if (!names_application) return;
  const std::optional<uint64_t> number = rules::ApplicationNamed(action);
  if (!number) return;
  const uint32_t slot = state_.ApplicationSlot(ApplicationId{*number});
  if (slot == 0) return;
  // Its first cache line (the fields every rule reads first), and the line with the strings the
  // rule writes or the child it may archive.
  const Application& app = state_.applications[slot];
  PrefetchLine(app, 0);
  const fb::ActionBody body = action.body_type();
  const bool signs = body == fb::ActionBody::ParentSigns || body == fb::ActionBody::KindergartenSigns;
  PrefetchLine(app, body == fb::ActionBody::SendContract ? 2 : signs ? 3 : 1);
  prefetch_next_.application = *number;
  prefetch_next_.body = action.body_type();
}

void Engine::PrefetchFollowing(const PrefetchNext& next) const {
  if (next.group != 0) {  // a choice: the group's ДО
    if (const auto group = state_.groups.find(GroupId{next.group}); group != state_.groups.end()) {
      state_.kindergartens.prefetch(group->second.kindergarten);
    }
  }
  if (next.application == 0) return;
  const uint32_t slot = state_.ApplicationSlot(ApplicationId{next.application});
  if (slot == 0) return;
  const Application& app = state_.applications[slot];
  // A signature by the ДО checks the group's ДО, uses the voucher and archives the child; a
  // contract checks the group's ДО; an answer, a withdrawal or a rejection may archive the child.
  const bool kindergarten_signs = next.body == fb::ActionBody::KindergartenSigns;
  if (kindergarten_signs) {
    if (const uint32_t voucher = state_.VoucherSlot(app.voucher); voucher != 0) __builtin_prefetch(&state_.vouchers[voucher]);
  }
  if ((kindergarten_signs || next.body == fb::ActionBody::SendContract) && app.group.value != 0) {
    state_.groups.prefetch(app.group);
  }
  if (kindergarten_signs || next.body == fb::ActionBody::AnswerInterest || next.body == fb::ActionBody::Withdraw ||
      next.body == fb::ActionBody::RejectDocuments) {
    state_.children.prefetch(app.child);
  }
}

namespace rules {

void PrefetchTimers(const State& s) {
  constexpr size_t kAhead = 4;
  if (const Timer* later = s.timers.ahead(kAhead)) {
    if (const uint32_t slot = s.ApplicationSlot(later->application); slot != 0) {
      PrefetchLine(s.applications[slot], 0);  // status, deadline, generation
      PrefetchLine(s.applications[slot], 1);  // the child
    }
  }
  if (const Timer* soon = s.timers.ahead(kAhead / 2)) {
    if (const uint32_t slot = s.ApplicationSlot(soon->application); slot != 0) {
      const Application& app = s.applications[slot];
      // A live timer archives, annuls or returns the application: the first two clear the child's entry.
      if (app.status != fb::ApplicationStatus::Archived && (soon->school_age || soon->generation == app.deadline_generation)) {
        s.children.prefetch(app.child);
      }
    }
  }
}

void PrefetchHeads(const State& s, const Queue& queue) {
  constexpr size_t kAhead = 4;
  for (const Line line : {Line::Priority, Line::General}) {
    if (const QueueEntry* later = queue.Ahead(line, kAhead)) {
      if (const uint32_t slot = s.ApplicationSlot(later->application); slot != 0) {
        PrefetchLine(s.applications[slot], 0);  // status, deadline, voucher
        PrefetchLine(s.applications[slot], 1);  // the child's name
      }
    }
    if (const QueueEntry* soon = queue.Ahead(line, kAhead / 2)) {
      if (const uint32_t slot = s.ApplicationSlot(soon->application); slot != 0) {
        __builtin_prefetch(s.applications[slot].child_name.data());  // written into the notification
      }
    }
  }
}

}  // namespace rules
}  // namespace kezek
