// The voucher lifecycle: allocation, issue to the head of the queue, the interest answer within
// 2 working days, the 5-working-day use with its one extension, annulment and hand-over of a
// returned voucher to the next in line, the stop-list.
#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/limits.h"
#include "engine/rules.h"

namespace kezek::rules {

Verdict AllocateVouchers(Context& c, InstantMs at, const fb::AllocateVouchers& a) {
  State& s = c.state;
  if (!s.localities.contains(LocalityId{a.locality()})) {
    return Reject(fb::RejectionCode::UnknownLocality, "locality {} is not in the catalogue", a.locality());
  }
  if (a.count() == 0) return Reject(fb::RejectionCode::InvalidField, "count must be at least 1");
  if (a.count() > limits::kVouchersPerAllocationMax) {
    return Reject(fb::RejectionCode::LimitExceeded, "count {} exceeds {} vouchers per allocation", a.count(),
                  limits::kVouchersPerAllocationMax);
  }
  if (!fb::EnumNameQueueType(a.queue_type())[0] || !fb::EnumNameLanguage(a.language())[0] ||
      !fb::EnumNameCorrectionType(a.correction_type())[0]) {
    return Reject(fb::RejectionCode::InvalidField, "an enum field holds a value the schema does not define");
  }
  const bool special = a.queue_type() == fb::QueueType::Special;
  if (special != (a.correction_type() != fb::CorrectionType::None)) {
    return Reject(fb::RejectionCode::InvalidField,
                  "the special queue, and only it, names a correction type");
  }
  const int year = civil::ToYmd(s.offsets.LocalDateOf(LocalityId{a.locality()}, at)).year;
  if (a.birth_year() + limits::kMaxAgeAtFilingYears + 1 < year || a.birth_year() > year) {
    return Reject(fb::RejectionCode::InvalidField, "birth_year {} is no preschool age group in {}", a.birth_year(), year);
  }
  const LocalityId locality{a.locality()};
  // A cohort whose youngest (born on 31 December) has reached school age holds no child who can
  // take a voucher (filing for one is refused, ChildOfSchoolAge): its vouchers would lie free for good.
  if (const InstantMs school = SchoolAgeAt(s, locality, civil::FromYmd({a.birth_year(), 12, 31})); at >= school) {
    return Reject(fb::RejectionCode::InvalidField, "birth_year {} is no preschool age group in {}: all its children "
                  "have reached school age (the last on {})", a.birth_year(), year,
                  civil::FormatIso(s.offsets.LocalDateOf(locality, school)));
  }
  if (s.VouchersNumbered(locality) + uint64_t{a.count()} >= limits::kSerialsPerLocality) {
    return Reject(fb::RejectionCode::LimitExceeded,
                  "locality {} has numbered {} vouchers: {} more would pass the most one locality's numbers hold "
                  "(serials below {}; docs/domain.md \"Country-wide numbers\")",
                  a.locality(), s.VouchersNumbered(locality), a.count(), limits::kSerialsPerLocality);
  }
  const uint32_t queue = QueueFor(s, QueueKey{locality, a.queue_type(), a.birth_year(), a.language(),
                                              a.correction_type()});
  const VoucherId first = s.AddVouchers(locality, queue, a.count());
  Queue& pool = s.queue(queue);
  for (uint32_t i = 0; i < a.count(); ++i) pool.free_vouchers().insert(VoucherId{first.value + i});
  c.out.VouchersAllocated(a, first);
  IssueVouchers(c, queue, at);
  return std::nullopt;
}

void IssueVouchers(Context& c, uint32_t queue_index, InstantMs at) {
  if (c.deferred_issues != nullptr) {
    c.deferred_issues->push_back(queue_index);
    return;
  }
  State& s = c.state;
  Queue& queue = s.queue(queue_index);
  const Ratio ratio = PolicyOf(s, queue.key().locality).ratio;
  while (!queue.free_vouchers().empty() && queue.size() > 0) {
    // An allocation issues to many heads in turn: what the heads a few behind will read is
    // fetched while this one is issued.
    if (queue.size() > 1 && queue.free_vouchers().size() > 1) PrefetchHeads(s, queue);
    const VoucherId voucher_id = *queue.free_vouchers().begin();
    queue.free_vouchers().erase(queue.free_vouchers().begin());
    const QueueEntry head = queue.PopHead(ratio);
    Application& app = s.app(head.application);
    KEZEK_ASSERT(app.status == fb::ApplicationStatus::InQueue);
    Voucher& voucher = s.voucher(voucher_id);
    KEZEK_ASSERT(voucher.state == VoucherState::Free && voucher.queue == queue_index);
    voucher.state = VoucherState::Held;
    voucher.holder = app.id;
    app.voucher = voucher_id;
    app.status = fb::ApplicationStatus::VoucherIssued;
    app.annulled_by_deadline = false;
    SetWorkingDayDeadline(s, app, fb::DeadlineKind::Interest, at, limits::kInterestWorkingDays);
    c.out.VoucherIssued(app);
    c.out.Notify(app, fb::NotificationKind::VoucherIssued, messages::VoucherIssued(app.child_name, app.deadline_date));
  }
}

void ReleaseVoucher(Context& c, Application& app, fb::AnnulReason reason) {
  State& s = c.state;
  KEZEK_ASSERT(app.voucher.value != 0);
  Voucher& voucher = s.voucher(app.voucher);
  KEZEK_ASSERT(voucher.holder == app.id && voucher.state != VoucherState::Used);
  if (app.group.value != 0) {
    Group& group = s.group(app.group);
    KEZEK_ASSERT(group.taken > 0);
    --group.taken;
    app.group = GroupId{};
  }
  voucher.state = VoucherState::Free;
  voucher.holder = ApplicationId{};
  s.queue(voucher.queue).free_vouchers().insert(app.voucher);
  c.out.VoucherAnnulled(app, app.voucher, reason);
  c.out.Notify(app, fb::NotificationKind::VoucherAnnulled, messages::VoucherAnnulled(reason));
  app.voucher = VoucherId{};
  app.extension_used = false;
  app.contract_number.clear();
  app.parent_document_sha256.clear();
}

Verdict AnswerInterest(Context& c, InstantMs at, Application& app, const fb::AnswerInterest& a) {
  if (app.status != fb::ApplicationStatus::VoucherIssued) {
    if (app.status == fb::ApplicationStatus::StopListed && app.annulled_by_deadline) {
      return Reject(fb::RejectionCode::AnswerAfterDeadline,
                    "application {}: the voucher was annulled when the answer's deadline passed", app.id.value);
    }
    return Reject(fb::RejectionCode::TransitionNotAllowed, "application {} is {}: no voucher awaits an answer",
                  app.id.value, fb::EnumNameApplicationStatus(app.status));
  }
  if (!a.interested()) {
    ArchiveApplication(c, app, fb::ArchiveReason::Declined, at);
    return std::nullopt;
  }
  app.status = fb::ApplicationStatus::VoucherInUse;
  c.state.voucher(app.voucher).state = VoucherState::InUse;
  SetWorkingDayDeadline(c.state, app, fb::DeadlineKind::Enrollment, at, limits::kEnrollmentWorkingDays);
  c.out.InterestConfirmed(app);
  c.out.Notify(app, fb::NotificationKind::InterestConfirmed, messages::InterestConfirmed(app.deadline_date));
  return std::nullopt;
}

Verdict ExtendVoucher(Context& c, InstantMs at, Application& app) {
  const bool using_voucher = app.status == fb::ApplicationStatus::VoucherInUse ||
                             app.status == fb::ApplicationStatus::AwaitingContract;
  if (!using_voucher || app.deadline != fb::DeadlineKind::Enrollment) {
    if (app.status == fb::ApplicationStatus::Archived && app.archive_reason == fb::ArchiveReason::NotEnrolledInTime) {
      return Reject(fb::RejectionCode::AnswerAfterDeadline, "application {}: the voucher expired", app.id.value);
    }
    return Reject(fb::RejectionCode::TransitionNotAllowed, "application {} is {}: only a voucher in use is extended",
                  app.id.value, fb::EnumNameApplicationStatus(app.status));
  }
  if (app.extension_used) {
    return Reject(fb::RejectionCode::ExtensionAlreadyUsed, "application {}: the one extension was already taken",
                  app.id.value);
  }
  const LocalDate today = c.state.offsets.LocalDateOf(app.locality, at);
  if (today != app.deadline_date) {
    return Reject(fb::RejectionCode::ExtensionNotOnFifthDay, "application {}: an extension is taken on {}, the 5th day, not {}",
                  app.id.value, civil::FormatIso(app.deadline_date), civil::FormatIso(today));
  }
  app.extension_used = true;
  SetWorkingDayDeadlineAfterDate(c.state, app, fb::DeadlineKind::Enrollment, app.deadline_date,
                                 limits::kExtensionWorkingDays);
  c.out.ExtensionGranted(app);
  c.out.Notify(app, fb::NotificationKind::ExtensionGranted, messages::ExtensionGranted(app.deadline_date));
  return std::nullopt;
}

void ExpireInterest(Context& c, Application& app, InstantMs fired_at, InstantMs now) {
  KEZEK_ASSERT(app.status == fb::ApplicationStatus::VoucherIssued);
  const uint32_t queue = app.queue;
  ReleaseVoucher(c, app, fb::AnnulReason::InterestNotConfirmed);
  app.status = fb::ApplicationStatus::StopListed;
  app.annulled_by_deadline = true;
  // 10 local calendar days from the day the deadline passed: back at the start of the 10th local
  // day after it. An expiry is exact; if a late tick has passed that instant too, the return fires
  // in the same input, at its own instant.
  const LocalDate today = c.state.offsets.LocalDateOf(app.locality, fired_at);
  SetInstantDeadline(c.state, app, fb::DeadlineKind::StopList,
                     c.state.offsets.StartOfLocalDay(app.locality, LocalDate{today.value + limits::kStopListDays}));
  c.out.StopListed(app);
  // When the return is already due (a tick that came after the return day too), the family is
  // told of the return in this same input, not of a return date already gone (DESIGN §4:
  // nobody is told a deadline that has passed).
  if (app.deadline_at > now) {
    c.out.Notify(app, fb::NotificationKind::StopListed, messages::StopListed(app.deadline_date));
  }
  IssueVouchers(c, queue, now);
}

void ReturnFromStopList(Context& c, Application& app, InstantMs at) {
  KEZEK_ASSERT(app.status == fb::ApplicationStatus::StopListed);
  app.annulled_by_deadline = false;
  EnterQueue(c, app, at, fb::NotificationKind::ReturnedToQueue);
}

}  // namespace kezek::rules
