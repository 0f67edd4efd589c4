#include "engine/engine.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack: no allocation per action
#include <xxhash.h>

#include "engine/assert.h"
#include "engine/limits.h"
#include "engine/rules.h"

namespace kezek {
namespace {

using Digest = std::array<uint64_t, 2>;

Digest ToDigest(XXH128_hash_t hash) { return {hash.low64, hash.high64}; }

}  // namespace

namespace rules {

// The digest of an action's content apart from its instant: a retry that re-stamps the instant is
// the same action. REQUIRES: the action is in canonical encoding (events::Canonicalize), so equal
// content gives equal bytes.
std::array<uint64_t, 2> ActionDigest(std::span<const uint8_t> bytes, const fb::Action& action) {
  const uint8_t* instant =
      reinterpret_cast<const flatbuffers::Table*>(&action)->GetAddressOf(fb::Action::VT_INSTANT_MS);
  if (instant == nullptr) return ToDigest(XXH3_128bits(bytes.data(), bytes.size()));
  const size_t at = static_cast<size_t>(instant - bytes.data());
  constexpr size_t kCopyMax = 1024;
  if (bytes.size() <= kCopyMax) {
    // Most actions: a copy with the instant zeroed, hashed in one call (XXH3's streaming state
    // cost more than the copy for an action's few hundred bytes; the digest is the same).
    uint8_t copy[kCopyMax];
    std::memcpy(copy, bytes.data(), bytes.size());
    std::memset(copy + at, 0, sizeof(int64_t));
    return ToDigest(XXH3_128bits(copy, bytes.size()));
  }
  XXH3_state_t storage;
  XXH3_state_t* state = &storage;
  XXH3_INITSTATE(state);
  XXH3_128bits_reset(state);
  const uint64_t zero = 0;
  XXH3_128bits_update(state, bytes.data(), at);
  XXH3_128bits_update(state, &zero, sizeof zero);
  XXH3_128bits_update(state, bytes.data() + at + sizeof zero, bytes.size() - at - sizeof zero);
  return ToDigest(XXH3_128bits_digest(state));
}

bool Verifies(std::span<const uint8_t> bytes) {
  // The file identifier compared here as four bytes, then the Verifier told none: its own check
  // (BufferHasIdentifier) is a call to strncmp for every action. The same verdict either way.
  const char* identifier = fb::ActionIdentifier();
  if (bytes.size() < 2 * sizeof(flatbuffers::uoffset_t) ||
      std::memcmp(bytes.data() + sizeof(flatbuffers::uoffset_t), identifier, flatbuffers::kFileIdentifierLength) != 0) {
    return false;
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/16, /*max_tables=*/4096);
  return verifier.VerifyBuffer<fb::Action>(nullptr);
}

Verdict CheckEnvelope(const fb::Action& action) {
  if (action.schema_version() != kSchemaVersion) {
    return Reject(fb::RejectionCode::UnknownSchemaVersion, "schema_version {} is not {}", action.schema_version(),
                  kSchemaVersion);
  }
  const auto* key = action.idempotency_key();
  if (key == nullptr || key->size() == 0) return Reject(fb::RejectionCode::MissingField, "idempotency_key is required");
  if (key->size() > limits::kIdempotencyKeyBytesMax) {
    return Reject(fb::RejectionCode::LimitExceeded, "idempotency_key has {} bytes, at most {}", key->size(),
                  limits::kIdempotencyKeyBytesMax);
  }
  // A key is echoed in every answer and log line: a control character (a NUL, a line feed) or a
  // directional one has no place in it (nor an invisible one: two keys that look alike).
  if (auto v = CheckText(key, "idempotency_key", /*required=*/true)) return v;
  if (action.instant_ms() < limits::kInstantMsMin || action.instant_ms() > limits::kInstantMsMax) {
    return Reject(fb::RejectionCode::InvalidField, "instant_ms {} is outside 2000-01-01..2100-01-01",
                  action.instant_ms());
  }
  if (action.actor() == nullptr) return Reject(fb::RejectionCode::MissingField, "actor is required");
  if (!fb::EnumNameRole(action.actor()->role())[0]) {
    return Reject(fb::RejectionCode::InvalidField, "actor.role {} is not a role",
                  static_cast<int>(action.actor()->role()));
  }
  const auto kind = action.body_type();
  if (kind == fb::ActionBody::NONE || kind > fb::ActionBody::MAX) {
    return Reject(fb::RejectionCode::UnknownActionKind, "body_type {} is no action this schema version knows",
                  static_cast<int>(kind));
  }
  if (action.body() == nullptr) return Reject(fb::RejectionCode::MissingField, "body is required");
  if (!rules::RoleMayPost(action.actor()->role(), kind)) {
    return Reject(fb::RejectionCode::RoleNotAllowed, "role {} may not post {}", fb::EnumNameRole(action.actor()->role()),
                  fb::EnumNameActionBody(kind));
  }
  return std::nullopt;
}

}  // namespace rules

Engine::Engine() = default;

ApplyResult Engine::Apply(std::span<const uint8_t> bytes, uint64_t input_offset) {
  decisions_.Clear();  // and the builders
  decisions_.set_templates(state_.templates);
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(std::max_align_t) != 0) {
    aligned_input_.assign(bytes.begin(), bytes.end());  // FlatBuffers are read in place, aligned
    bytes = aligned_input_;
  }
  if (bytes.size() > limits::kActionBytesMax) {
    const Rejection r = Reject(fb::RejectionCode::LimitExceeded, "an action has {} bytes, at most {}", bytes.size(),
                               limits::kActionBytesMax);
    return Finish(fb::Outcome::Rejected, &r, {}, bytes.first(0), 0, input_offset);
  }
  if (!rules::Verifies(bytes)) {
    const Rejection r = Rejection{fb::RejectionCode::VerifierFailed, std::string(kNotAnActionBuffer)};
    return Finish(fb::Outcome::Rejected, &r, {}, bytes, 0, input_offset);
  }
  const fb::Action& action = *fb::GetAction(bytes.data());
  if (auto r = rules::CheckEnvelope(action)) return Finish(fb::Outcome::Rejected, &*r, bytes, {}, 0, input_offset);

  const auto* key = action.idempotency_key();
  const Digest key_hash = ToDigest(XXH3_128bits(key->data(), key->size()));
  const Digest digest = rules::ActionDigest(bytes, action);
  // One probe of the table: the key's entry, found or made (filled in below once the action is
  // folded; nothing between here and there touches the table, so `slot` stays valid).
  const auto [slot, fresh] = state_.idempotency.try_emplace(key_hash);
  if (!fresh) {
    if (slot->second.action_digest == digest) {
      return Finish(fb::Outcome::Duplicate, nullptr, bytes, {}, slot->second.sequence, input_offset);
    }
    const Rejection r = Reject(fb::RejectionCode::IdempotencyKeyReused,
                               "idempotency_key was used by record {} for a different action", slot->second.sequence);
    return Finish(fb::Outcome::Rejected, &r, bytes, {}, 0, input_offset);
  }

  // Time's authority (DESIGN §4): a refused instant moves nothing and does not take the key, so
  // the sender may post the action again with a corrected instant.
  if (auto r = rules::AdmitInstant(state_.now, state_.clock, action)) {
    state_.idempotency.erase(slot);
    return Finish(fb::Outcome::Rejected, &*r, bytes, {}, 0, input_offset);
  }
  Context context{state_, decisions_, nullptr};
  const InstantMs instant{action.instant_ms()};
  if (action.body_type() == fb::ActionBody::ClockTick && instant > state_.clock) state_.clock = instant;
  if (instant > state_.now) {
    state_.now = instant;
    rules::ExpireDue(context, instant);
  }
  const size_t decisions_before = decisions_.count();
  const std::optional<Rejection> rejection = Dispatch(action);
  KEZEK_ASSERT(!rejection || decisions_.count() == decisions_before);  // nothing half-applied
  slot->second = IdempotencyEntry{digest, state_.next_sequence};
  state_.changes.idempotency.emplace_back(key_hash, slot->second);
  return Finish(rejection ? fb::Outcome::Rejected : fb::Outcome::Applied, rejection ? &*rejection : nullptr, bytes,
                {}, 0, input_offset);
}

std::optional<Rejection> Engine::Dispatch(const fb::Action& action) {
  Context c{state_, decisions_, nullptr};
  const InstantMs at = state_.now;  // never behind a deadline that already fired
  const fb::Actor& actor = *action.actor();
  // Actions on one application find it first (unknown application, applicant mismatch).
  Application* app = nullptr;
  const auto find = [&](uint64_t id) { return rules::FindApplication(state_, actor, id, &app); };
  switch (action.body_type()) {
    case fb::ActionBody::FileApplication:
      return rules::FileApplication(c, at, InstantMs{action.instant_ms()}, actor,
                                    *action.body_as_FileApplication());
    case fb::ActionBody::ConfirmDocuments:
      return rules::ConfirmDocuments(c, at, actor, *action.body_as_ConfirmDocuments());
    case fb::ActionBody::RejectDocuments:
      return rules::RejectDocuments(c, at, actor, *action.body_as_RejectDocuments());
    case fb::ActionBody::Withdraw:
      return rules::Withdraw(c, at, actor, *action.body_as_Withdraw());
    case fb::ActionBody::AllocateVouchers:
      return rules::AllocateVouchers(c, at, *action.body_as_AllocateVouchers());
    case fb::ActionBody::AnswerInterest: {
      const auto* body = action.body_as_AnswerInterest();
      if (auto v = find(body->application())) return v;
      return rules::AnswerInterest(c, at, *app, *body);
    }
    case fb::ActionBody::ExtendVoucher:
      if (auto v = find(action.body_as_ExtendVoucher()->application())) return v;
      return rules::ExtendVoucher(c, at, *app);
    case fb::ActionBody::ChooseKindergarten: {
      const auto* body = action.body_as_ChooseKindergarten();
      if (auto v = find(body->application())) return v;
      return rules::ChooseKindergarten(c, at, *app, *body);
    }
    case fb::ActionBody::SendContract: {
      const auto* body = action.body_as_SendContract();
      if (auto v = find(body->application())) return v;
      return rules::SendContract(c, at, actor, *app, *body);
    }
    case fb::ActionBody::ParentSigns: {
      const auto* body = action.body_as_ParentSigns();
      if (auto v = find(body->application())) return v;
      return rules::ParentSigns(c, at, *app, *body);
    }
    case fb::ActionBody::KindergartenSigns: {
      const auto* body = action.body_as_KindergartenSigns();
      if (auto v = find(body->application())) return v;
      return rules::KindergartenSigns(c, at, actor, *app, *body);
    }
    case fb::ActionBody::UpsertLocality:
      return rules::UpsertLocality(c, *action.body_as_UpsertLocality());
    case fb::ActionBody::SetUtcOffset:
      return rules::SetUtcOffset(c, *action.body_as_SetUtcOffset());
    case fb::ActionBody::UpsertKindergarten:
      return rules::UpsertKindergarten(c, *action.body_as_UpsertKindergarten());
    case fb::ActionBody::UpsertGroup:
      return rules::UpsertGroup(c, *action.body_as_UpsertGroup());
    case fb::ActionBody::UpdateCalendar:
      return rules::UpdateCalendar(c, *action.body_as_UpdateCalendar());
    case fb::ActionBody::SetPriorityPolicy:
      return rules::SetPriorityPolicy(c, *action.body_as_SetPriorityPolicy());
    case fb::ActionBody::ArchiveChild:
      return rules::ArchiveChild(c, at, *action.body_as_ArchiveChild());
    case fb::ActionBody::SetMessageTemplates:
      return rules::SetMessageTemplates(c, *action.body_as_SetMessageTemplates());
    case fb::ActionBody::ClockTick:
      return std::nullopt;  // time has already advanced
    case fb::ActionBody::NONE:
      break;
  }
  KEZEK_ASSERT(false && "CheckEnvelope admits only known action kinds");
  return std::nullopt;
}

ApplyResult Engine::RejectInput(std::span<const uint8_t> raw_input, fb::RejectionCode code, std::string_view reason,
                                uint64_t input_offset) {
  decisions_.Clear();  // and the builders
  const Rejection r{code, std::string(reason)};
  return Finish(fb::Outcome::Rejected, &r, {}, raw_input, 0, input_offset);
}

// One record per part of the decisions (DecisionWriter), each finished in the builder its
// decisions were built in, chained to the one before; every part repeats the input's envelope.
ApplyResult Engine::Finish(fb::Outcome outcome, const Rejection* rejection, std::span<const uint8_t> action,
                           std::span<const uint8_t> raw, uint64_t duplicate_of, uint64_t input_offset) {
  const std::span<DecisionWriter::Part> parts = decisions_.parts();
  records_.clear();
  for (uint32_t index = 0; index < parts.size(); ++index) {
    flatbuffers::FlatBufferBuilder& builder = *parts[index].builder;
    const auto decisions = builder.CreateVector(parts[index].decisions);
    static constexpr Sha256 kUnhashed{};
    const Sha256& prev_sha256 = hash_records_ ? state_.head_sha256 : kUnhashed;
    const auto prev = builder.CreateVector(prev_sha256.data(), prev_sha256.size());
    const auto action_bytes = action.empty() ? 0 : builder.CreateVector(action.data(), action.size());
    const auto raw_bytes = raw.empty() ? 0 : builder.CreateVector(raw.data(), raw.size());
    flatbuffers::Offset<fb::Rejection> rejection_table = 0;
    if (rejection != nullptr) {
      rejection_table = fb::CreateRejection(builder, rejection->code, builder.CreateString(rejection->reason));
    }
    fb::JournalRecordBuilder record(builder);
    record.add_schema_version(kSchemaVersion);
    record.add_sequence(state_.next_sequence);
    record.add_input_offset(input_offset);
    record.add_engine_time_ms(state_.now.value);
    record.add_prev_sha256(prev);
    record.add_outcome(outcome);
    if (!action.empty()) record.add_action(action_bytes);
    if (!raw.empty()) record.add_raw_input(raw_bytes);
    record.add_duplicate_of(duplicate_of);
    if (rejection != nullptr) record.add_rejection(rejection_table);
    record.add_decisions(decisions);
    record.add_part(index);                        // not written for part 0
    record.add_continued(index + 1 < parts.size());  // not written for the last part
    fb::FinishJournalRecordBuffer(builder, record.Finish());
    const std::span<const uint8_t> bytes = builder.GetBufferSpan();
    // The bound holds (a test may raise it: EngineTesting).
    KEZEK_ASSERT(bytes.size() <= limits::kRecordBytesMax || decisions_.bound().bytes_max > limits::kRecordDecisionBytesMax);
    records_.push_back(bytes);
    if (hash_records_) {
      state_.head_sha256 = sha256_.Of(bytes);
    } else {
      head_unknown_ = true;
    }
    ++state_.next_sequence;
  }
  if (!track_changes_) state_.changes.Clear(state_.categories.size());

  ApplyResult result;
  result.outcome = outcome;
  result.code = rejection != nullptr ? rejection->code : fb::RejectionCode::None;
  result.records = records_;
  result.record_sha256 = hash_records_ ? state_.head_sha256 : Sha256{};
  return result;
}

void Engine::HashRecords(bool on) { hash_records_ = on; }

void Engine::Expect(uint64_t inputs) {
  state_.idempotency.reserve(state_.idempotency.size() + std::min(inputs, limits::kExpectedInputsMax));
}

void Engine::TrackChanges(bool on) {
  track_changes_ = on;
  if (!on) state_.changes.Clear(state_.categories.size());
}

void Engine::SetHead(const Sha256& head) {
  state_.head_sha256 = head;
  head_unknown_ = false;
}

void Engine::DrainChanges(const std::function<void(const state_codec::Put&)>& put) {
  KEZEK_ASSERT(!head_unknown_ && track_changes_);
  state_codec::ChangedEntries(state_, put);
  state_.changes.Clear(state_.categories.size());
}

bool Engine::Restore(const std::function<bool(State*)>& fill, std::string* why) {
  state_ = State();
  if (fill(&state_) && state_codec::FinishLoad(&state_, why)) return true;
  state_ = State();
  return false;
}

std::optional<uint64_t> Engine::PositionOf(ApplicationId id) const {
  if (!state_.has_app(id)) return std::nullopt;
  const Application& app = state_.app(id);
  if (app.status != fb::ApplicationStatus::InQueue) return std::nullopt;
  return rules::PositionOf(state_, app);
}

}  // namespace kezek
