// Enrollment: choose a ДО and group with a free place (reserved at once), the ДО sends the
// contract, the parent signs within 5 working days, the ДО countersigns within 5 working days.
// The engine records the signed documents' digests; checking the EDS is the portal's job.
#include <algorithm>

#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/limits.h"
#include "engine/rules.h"

namespace kezek::rules {
namespace {

Verdict CheckDigest(const flatbuffers::String* digest) {
  if (digest == nullptr) return Reject(fb::RejectionCode::MissingField, "document_sha256 is required");
  const std::string_view text = digest->string_view();
  // A loop, not find_first_not_of: that searches the set with memchr once per character.
  const bool hex = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!hex) return Reject(fb::RejectionCode::InvalidField, "document_sha256 is 64 lowercase hex digits");
  return std::nullopt;
}

Verdict CheckStatus(const Application& app, fb::ApplicationStatus wanted) {
  if (app.status == wanted) return std::nullopt;
  if (app.status == fb::ApplicationStatus::Archived && app.archive_reason == fb::ArchiveReason::NotEnrolledInTime) {
    return Reject(fb::RejectionCode::AnswerAfterDeadline, "application {}: the voucher expired before this action",
                  app.id.value);
  }
  return Reject(fb::RejectionCode::TransitionNotAllowed, "application {} is {}, not {}", app.id.value,
                fb::EnumNameApplicationStatus(app.status), fb::EnumNameApplicationStatus(wanted));
}

Verdict CheckKindergartenActor(const State& s, const fb::Actor& actor, const Application& app) {
  const KindergartenId kindergarten = s.groups.at(app.group).kindergarten;
  if (actor.kindergarten() != kindergarten.value) {
    return Reject(fb::RejectionCode::KindergartenMismatch, "application {} asked kindergarten {}, not {}",
                  app.id.value, kindergarten.value, actor.kindergarten());
  }
  return std::nullopt;
}

// A child holds one place at a time: not a second one through its other queue's application.
Verdict CheckHoldsNoPlace(const State& s, const Application& app) {
  const auto it = s.children.find(app.child);
  if (it == s.children.end() || it->second.enrolled.value == 0 || it->second.enrolled == app.id) return std::nullopt;
  return HoldsPlace(app.child, it->second.enrolled);
}

}  // namespace

int AgeOnFirstSeptember(LocalDate birth_date, LocalDate on) {
  const civil::Ymd today = civil::ToYmd(on);
  const int school_year = today.month >= 9 ? today.year : today.year - 1;
  const civil::Ymd birth = civil::ToYmd(birth_date);
  const bool birthday_passed = birth.month < 9 || (birth.month == 9 && birth.day == 1);
  return school_year - birth.year - (birthday_passed ? 0 : 1);
}

Verdict ChooseKindergarten(Context& c, InstantMs at, Application& app, const fb::ChooseKindergarten& a) {
  State& s = c.state;
  if (auto v = CheckStatus(app, fb::ApplicationStatus::VoucherInUse)) return v;
  const auto group_it = s.groups.find(GroupId{a.group()});
  if (group_it == s.groups.end()) {
    return Reject(fb::RejectionCode::UnknownGroup, "group {} is not in the catalogue", a.group());
  }
  Group& group = s.group(group_it->first);
  const Kindergarten& kindergarten = s.kindergartens.at(group.kindergarten);
  if (kindergarten.locality != app.locality) {
    return Reject(fb::RejectionCode::GroupNotSuitable, "group {} is in locality {}, the voucher in {}", a.group(),
                  kindergarten.locality.value, app.locality.value);
  }
  if (group.language != app.language) {
    return Reject(fb::RejectionCode::GroupNotSuitable, "group {} teaches in {}, the application asks {}", a.group(),
                  fb::EnumNameLanguage(group.language), fb::EnumNameLanguage(app.language));
  }
  const int age = AgeOnFirstSeptember(app.birth_date, s.offsets.LocalDateOf(app.locality, at));
  if (age < group.min_age_years || age > group.max_age_years) {
    return Reject(fb::RejectionCode::GroupNotSuitable, "group {} takes ages {}-{}, the child is {} on 1 September",
                  a.group(), group.min_age_years, group.max_age_years, age);
  }
  if (group.correction != app.correction) {
    return Reject(fb::RejectionCode::CorrectionTypeNotServed, "group {} serves correction type {}, the child needs {}",
                  a.group(), fb::EnumNameCorrectionType(group.correction), fb::EnumNameCorrectionType(app.correction));
  }
  if (auto v = CheckHoldsNoPlace(s, app)) return v;
  if (group.taken >= group.capacity) {
    return Reject(fb::RejectionCode::NoFreePlace, "group {} has no free place ({} of {} taken)", a.group(),
                  group.taken, group.capacity);
  }
  ++group.taken;
  app.group = group_it->first;
  app.status = fb::ApplicationStatus::AwaitingContract;
  c.out.EnrollmentRequested(app, group.kindergarten);
  c.out.Notify(app, fb::NotificationKind::AwaitingContract, messages::AwaitingContract());
  return std::nullopt;
}

Verdict SendContract(Context& c, InstantMs at, const fb::Actor& actor, Application& app, const fb::SendContract& a) {
  if (auto v = CheckStatus(app, fb::ApplicationStatus::AwaitingContract)) return v;
  if (auto v = CheckKindergartenActor(c.state, actor, app)) return v;
  if (auto v = CheckText(a.contract_number(), "contract_number", true)) return v;
  app.status = fb::ApplicationStatus::ContractSent;
  app.contract_number = a.contract_number()->str();
  SetWorkingDayDeadline(c.state, app, fb::DeadlineKind::ParentSignature, at, limits::kSignatureWorkingDays);
  c.out.ContractSent(app);
  c.out.Notify(app, fb::NotificationKind::ContractSent, messages::ContractSent(app.deadline_date));
  return std::nullopt;
}

Verdict ParentSigns(Context& c, InstantMs at, Application& app, const fb::ParentSigns& a) {
  if (auto v = CheckStatus(app, fb::ApplicationStatus::ContractSent)) return v;
  if (auto v = CheckDigest(a.document_sha256())) return v;
  app.status = fb::ApplicationStatus::ParentSigned;
  app.parent_document_sha256 = a.document_sha256()->str();
  SetWorkingDayDeadline(c.state, app, fb::DeadlineKind::KindergartenSignature, at, limits::kSignatureWorkingDays);
  c.out.ParentSigned(app);
  return std::nullopt;
}

Verdict KindergartenSigns(Context& c, InstantMs at, const fb::Actor& actor, Application& app,
                          const fb::KindergartenSigns& a) {
  if (auto v = CheckStatus(app, fb::ApplicationStatus::ParentSigned)) return v;
  if (auto v = CheckKindergartenActor(c.state, actor, app)) return v;
  if (auto v = CheckDigest(a.document_sha256())) return v;
  State& s = c.state;
  if (auto v = CheckHoldsNoPlace(s, app)) return v;
  app.kindergarten_document_sha256 = a.document_sha256()->str();
  s.voucher(app.voucher).state = VoucherState::Used;
  const KindergartenId kindergarten_id = s.groups.at(app.group).kindergarten;
  const Kindergarten& kindergarten = s.kindergartens.at(kindergarten_id);
  c.out.Enrolled(app, kindergarten_id);
  c.out.Notify(app, fb::NotificationKind::Enrolled, messages::Enrolled(kindergarten.name_ru, kindergarten.name_kk));
  ArchiveApplication(c, app, fb::ArchiveReason::Enrolled, at);
  ChildEntry& child = s.child(app.child);
  child.enrolled = app.id;
  // The child's application in the other queue is withdrawn with it: a child holds one place, and
  // a voucher issued to it now would wait days for an answer that cannot come while others wait
  // (its voucher, if any, goes to the next in line). Withdrawn, not Enrolled: the card, the
  // statistics and the family read Enrolled as "enrolled through this application".
  const auto others = child.active;  // copy: archival clears the entries
  for (const ApplicationId other : others) {
    if (other.value != 0) ArchiveApplication(c, s.app(other), fb::ArchiveReason::Withdrawn, at);
  }
  return std::nullopt;
}

void ExpireEnrollment(Context& c, Application& app, InstantMs at) {
  KEZEK_ASSERT(app.status == fb::ApplicationStatus::VoucherInUse ||
               app.status == fb::ApplicationStatus::AwaitingContract ||
               app.status == fb::ApplicationStatus::ContractSent);
  app.annulled_by_deadline = true;
  ArchiveApplication(c, app, fb::ArchiveReason::NotEnrolledInTime, at);
}

void FreePlace(Context& c, Application& app) {
  KEZEK_ASSERT(app.status == fb::ApplicationStatus::Archived && app.archive_reason == fb::ArchiveReason::Enrolled);
  if (app.group.value == 0) return;  // freed already
  Group& group = c.state.group(app.group);
  KEZEK_ASSERT(group.taken > 0);
  --group.taken;
  c.out.PlaceFreed(app, group.kindergarten);
  app.group = GroupId{};
  ChildEntry& child = c.state.child(app.child);
  if (child.enrolled == app.id) child.enrolled = ApplicationId{};
}

void LapseKindergartenSignature(Context& c, Application& app, InstantMs at) {
  KEZEK_ASSERT(app.status == fb::ApplicationStatus::ParentSigned);
  Group& group = c.state.group(app.group);
  KEZEK_ASSERT(group.taken > 0);
  --group.taken;
  app.group = GroupId{};
  app.contract_number.clear();
  app.parent_document_sha256.clear();
  app.status = fb::ApplicationStatus::VoucherInUse;
  SetWorkingDayDeadline(c.state, app, fb::DeadlineKind::Enrollment, at, limits::kEnrollmentWorkingDays);
  c.out.EnrollmentRequestLapsed(app);
  c.out.Notify(app, fb::NotificationKind::InterestConfirmed, messages::InterestConfirmed(app.deadline_date));
}

}  // namespace kezek::rules
