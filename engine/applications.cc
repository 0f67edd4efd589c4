// The application lifecycle's entry and exit: filing, the PMPK's document check, withdrawal and
// archival. Statuses and texts follow the portal guide (shared/seed).
#include <utility>

#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/limits.h"
#include "engine/rules.h"
#include "engine/utf8.h"

namespace kezek::rules {
namespace {

size_t QueueTypeIndex(fb::QueueType type) { return type == fb::QueueType::General ? 0 : 1; }

Verdict CheckIin(const flatbuffers::String* text, const char* field, IinInfo* info) {
  if (text == nullptr) return Reject(fb::RejectionCode::MissingField, "{} is required", field);
  auto parsed = ParseIin(text->string_view());
  if (const auto* error = std::get_if<IinError>(&parsed)) {
    return Rejection{error->code, fmt::format("{} '{}': {}", field, Utf8Prefix(text->string_view(), 32), error->reason)};
  }
  *info = std::get<IinInfo>(parsed);
  return std::nullopt;
}

Verdict CheckSpecialChoice(const State& s, const fb::FileApplication& a) {
  if (a.correction_type() == fb::CorrectionType::None) {
    return Reject(fb::RejectionCode::MissingField, "a special-queue application names its correction type");
  }
  if (auto v = CheckText(a.conclusion_document(), "conclusion_document", true)) return v;
  const auto kg = s.kindergartens.find(KindergartenId{a.kindergarten()});
  if (kg == s.kindergartens.end()) {
    return Reject(fb::RejectionCode::UnknownKindergarten, "kindergarten {} is not in the catalogue", a.kindergarten());
  }
  if (kg->second.locality.value != a.locality()) {
    return Reject(fb::RejectionCode::InvalidField, "kindergarten {} is not in locality {}", a.kindergarten(), a.locality());
  }
  for (const GroupId id : kg->second.groups) {
    if (s.groups.at(id).correction == a.correction_type()) return std::nullopt;
  }
  return Reject(fb::RejectionCode::CorrectionTypeNotServed, "kindergarten {} has no group for correction type {}",
                a.kindergarten(), fb::EnumNameCorrectionType(a.correction_type()));
}

}  // namespace

uint64_t PositionOf(const State& s, const Application& app) {
  KEZEK_ASSERT(app.status == fb::ApplicationStatus::InQueue);
  const Queue& queue = s.queues[app.queue];
  return queue.PositionOf(QueueEntry{app.place.tier, app.filed_at, app.id}, app.place.line,
                          PolicyOf(s, app.locality).ratio);
}

Rejection HoldsPlace(Iin child, ApplicationId enrolled) {
  return Reject(fb::RejectionCode::ChildHoldsPlace,
                "child {} is enrolled through application {} and holds its place until school age", FormatIin(child),
                enrolled.value);
}

Verdict FindApplication(State& s, const fb::Actor& actor, uint64_t id, Application** found) {
  if (!s.has_app(ApplicationId{id})) {
    return Reject(fb::RejectionCode::UnknownApplication, "application {} does not exist", id);
  }
  Application& app = s.app(ApplicationId{id});
  if (actor.role() == fb::Role::Portal) {
    // An absent or invalid actor.iin is no applicant: ApplicantMismatch (docs/rejections.md), its
    // reason saying which it is rather than naming another applicant.
    if (actor.iin() == nullptr) {
      return Reject(fb::RejectionCode::ApplicantMismatch,
                    "actor.iin is required: a Portal action on application {} names the applicant it acts for", id);
    }
    const auto parsed = ParseIin(actor.iin()->string_view());
    if (const auto* error = std::get_if<IinError>(&parsed)) {
      return Reject(fb::RejectionCode::ApplicantMismatch, "actor.iin '{}' names no applicant: {}",
                    Utf8Prefix(actor.iin()->string_view(), 32), error->reason);
    }
    if (std::get<IinInfo>(parsed).iin != app.applicant) {
      return Reject(fb::RejectionCode::ApplicantMismatch, "application {} was filed by another applicant", id);
    }
  }
  *found = &app;
  return std::nullopt;
}

Verdict FileApplication(Context& c, InstantMs at, InstantMs stamped, const fb::Actor& actor,
                        const fb::FileApplication& a) {
  State& s = c.state;
  const InstantMs filed_at = RankingInstant(at, stamped);
  IinInfo applicant{}, child{};
  if (auto v = CheckIin(actor.iin(), "actor.iin", &applicant)) return v;
  if (auto v = CheckIin(a.child_iin(), "child_iin", &child)) return v;
  if (auto v = CheckText(a.child_name(), "child_name", true)) return v;
  if (auto v = CheckText(a.priority_category(), "priority_category", true)) return v;
  if (!fb::EnumNameQueueType(a.queue_type())[0] || !fb::EnumNameLanguage(a.language())[0] ||
      !fb::EnumNameFinancing(a.financing())[0] || !fb::EnumNameCorrectionType(a.correction_type())[0]) {
    return Reject(fb::RejectionCode::InvalidField, "an enum field holds a value the schema does not define");
  }
  const LocalityId locality{a.locality()};
  if (!s.localities.contains(locality)) {
    return Reject(fb::RejectionCode::UnknownLocality, "locality {} is not in the catalogue", a.locality());
  }
  if (child.birth_date > s.offsets.LocalDateOf(locality, filed_at)) {
    return Reject(fb::RejectionCode::IinBornInFuture, "child_iin names a birth date after the filing date");
  }
  const InstantMs school_age_at = SchoolAgeAt(s, locality, child.birth_date);
  if (school_age_at <= at) {
    return Reject(fb::RejectionCode::ChildOfSchoolAge, "the child has reached school age ({})",
                  civil::FormatIso(s.offsets.LocalDateOf(locality, school_age_at)));
  }
  const auto place = PlaceOf(PolicyOf(s, locality), a.priority_category()->string_view());
  if (!place) {
    return Reject(fb::RejectionCode::UnknownPriorityCategory, "priority category '{}' is not in the policy in force",
                  Utf8Prefix(a.priority_category()->string_view(), 64));
  }
  if (a.queue_type() == fb::QueueType::Special) {
    if (auto v = CheckSpecialChoice(s, a)) return v;
  } else if (a.correction_type() != fb::CorrectionType::None) {
    return Reject(fb::RejectionCode::InvalidField, "a general-queue application has no correction type");
  }
  const auto child_it = s.children.find(child.iin);
  if (child_it != s.children.end() && child_it->second.active[QueueTypeIndex(a.queue_type())].value != 0) {
    return Reject(fb::RejectionCode::DuplicateActiveApplication, "child {} already has active application {} in the {} queue",
                  FormatIin(child.iin), child_it->second.active[QueueTypeIndex(a.queue_type())].value,
                  fb::EnumNameQueueType(a.queue_type()));
  }
  if (child_it != s.children.end() && child_it->second.enrolled.value != 0) {
    return HoldsPlace(child.iin, child_it->second.enrolled);
  }
  if (s.ApplicationsNumbered(locality) + uint64_t{1} >= limits::kSerialsPerLocality) {
    return Reject(fb::RejectionCode::LimitExceeded,
                  "locality {} has numbered {} applications, the most one locality's numbers hold "
                  "(serials below {}; docs/domain.md \"Country-wide numbers\")",
                  locality.value, s.ApplicationsNumbered(locality), limits::kSerialsPerLocality);
  }

  // Accepted: from here on the state changes.
  const civil::Ymd birth = civil::ToYmd(child.birth_date);
  const QueueKey key{locality, a.queue_type(), static_cast<uint16_t>(birth.year), a.language(),
                     a.correction_type()};
  Application app;
  app.child = child.iin;
  app.applicant = applicant.iin;
  app.child_name = a.child_name()->str();
  app.birth_date = child.birth_date;
  app.filed_at = filed_at;
  app.school_age_at = school_age_at;
  app.locality = locality;
  app.queue = QueueFor(s, key);
  const std::string category = a.priority_category()->str();
  auto [cat, inserted] = s.category_index.try_emplace(category, static_cast<uint16_t>(s.categories.size()));
  if (inserted) s.categories.push_back(category);
  app.category = cat->second;
  app.place = *place;
  app.type = a.queue_type();
  app.language = a.language();
  app.correction = a.correction_type();
  app.chosen_kindergarten = KindergartenId{a.kindergarten()};
  if (a.conclusion_document()) app.conclusion_document = a.conclusion_document()->str();
  Application& stored = s.AddApplication(std::move(app));
  s.child(child.iin).active[QueueTypeIndex(stored.type)] = stored.id;
  ArmSchoolAgeTimer(s, stored);

  c.out.ApplicationAccepted(stored, stamped);
  if (stored.type == fb::QueueType::General) {
    EnterQueue(c, stored, at, fb::NotificationKind::ApplicationAccepted);
  } else {
    stored.status = fb::ApplicationStatus::AwaitingDocuments;
    c.out.AwaitingDocuments(stored);
    c.out.Notify(stored, fb::NotificationKind::AwaitingDocuments, messages::AwaitingDocuments());
  }
  return std::nullopt;
}

void EnterQueue(Context& c, Application& app, InstantMs at, fb::NotificationKind kind) {
  State& s = c.state;
  app.status = fb::ApplicationStatus::InQueue;
  ClearDeadline(app);
  s.queue(app.queue).Insert(QueueEntry{app.place.tier, app.filed_at, app.id}, app.place.line);
  const uint64_t position = PositionOf(s, app);
  switch (kind) {
    case fb::NotificationKind::ApplicationAccepted:
      c.out.EnteredQueue(app, s.queues[app.queue].key(), position);
      c.out.Notify(app, kind, messages::ApplicationAccepted(position));
      break;
    case fb::NotificationKind::DocumentsConfirmed:
      c.out.EnteredQueue(app, s.queues[app.queue].key(), position);
      c.out.Notify(app, kind, messages::DocumentsConfirmed(position));
      break;
    case fb::NotificationKind::ReturnedToQueue:
      c.out.ReturnedToQueue(app, s.queues[app.queue].key(), position);
      c.out.Notify(app, kind, messages::ReturnedToQueue(position));
      break;
    case fb::NotificationKind::AwaitingDocuments:
    case fb::NotificationKind::DocumentsRejected:
    case fb::NotificationKind::VoucherIssued:
    case fb::NotificationKind::AwaitingContract:
    case fb::NotificationKind::ContractSent:
    case fb::NotificationKind::Enrolled:
    case fb::NotificationKind::VoucherAnnulled:
    case fb::NotificationKind::StopListed:
    case fb::NotificationKind::Archived:
    case fb::NotificationKind::ExtensionGranted:
    case fb::NotificationKind::InterestConfirmed:
      KEZEK_ASSERT(false && "not a way into the queue");
      break;
  }
  IssueVouchers(c, app.queue, at);
}

Verdict ConfirmDocuments(Context& c, InstantMs at, const fb::Actor& actor, const fb::ConfirmDocuments& a) {
  Application* app = nullptr;
  if (auto v = FindApplication(c.state, actor, a.application(), &app)) return v;
  if (app->status != fb::ApplicationStatus::AwaitingDocuments) {
    return Reject(fb::RejectionCode::TransitionNotAllowed, "application {} is {}, not AwaitingDocuments",
                  app->id.value, fb::EnumNameApplicationStatus(app->status));
  }
  EnterQueue(c, *app, at, fb::NotificationKind::DocumentsConfirmed);
  return std::nullopt;
}

Verdict RejectDocuments(Context& c, InstantMs at, const fb::Actor& actor, const fb::RejectDocuments& a) {
  if (auto v = CheckText(actor.name(), "actor.name (the specialist's full name)", true)) return v;
  if (auto v = CheckText(a.reason(), "reason", false, TextKind::kLines)) return v;
  Application* app = nullptr;
  if (auto v = FindApplication(c.state, actor, a.application(), &app)) return v;
  if (app->status != fb::ApplicationStatus::AwaitingDocuments) {
    return Reject(fb::RejectionCode::TransitionNotAllowed, "application {} is {}, not AwaitingDocuments",
                  app->id.value, fb::EnumNameApplicationStatus(app->status));
  }
  const std::string_view name = actor.name()->string_view();
  c.out.DocumentsRejected(*app, name, a.reason() ? a.reason()->string_view() : std::string_view{});
  c.out.Notify(*app, fb::NotificationKind::DocumentsRejected, messages::DocumentsRejected(name));
  ArchiveApplication(c, *app, fb::ArchiveReason::DocumentsRejected, at);
  return std::nullopt;
}

Verdict Withdraw(Context& c, InstantMs at, const fb::Actor& actor, const fb::Withdraw& a) {
  Application* app = nullptr;
  if (auto v = FindApplication(c.state, actor, a.application(), &app)) return v;
  if (app->status == fb::ApplicationStatus::Archived) {
    return Reject(fb::RejectionCode::TransitionNotAllowed, "application {} is already archived", app->id.value);
  }
  ArchiveApplication(c, *app, fb::ArchiveReason::Withdrawn, at);
  return std::nullopt;
}

Verdict ArchiveChild(Context& c, InstantMs at, const fb::ArchiveChild& a) {
  IinInfo child{};
  if (auto v = CheckIin(a.child_iin(), "child_iin", &child)) return v;
  if (a.reason() != fb::ArchiveReason::SchoolAge && a.reason() != fb::ArchiveReason::Withdrawn) {
    return Reject(fb::RejectionCode::InvalidField, "staff archive a child's applications only for SchoolAge or Withdrawn");
  }
  const auto it = c.state.children.find(child.iin);
  if (it == c.state.children.end()) {
    return Reject(fb::RejectionCode::UnknownChild, "child {} has no application", FormatIin(child.iin));
  }
  const auto active = it->second.active;  // copy: archival clears the entries
  const ApplicationId enrolled = it->second.enrolled;
  if (active[0].value == 0 && active[1].value == 0 && enrolled.value == 0) {
    return Reject(fb::RejectionCode::TransitionNotAllowed, "child {} has no active application and holds no place",
                  FormatIin(child.iin));
  }
  for (const ApplicationId id : active) {
    if (id.value != 0) ArchiveApplication(c, c.state.app(id), a.reason(), at);
  }
  // An enrolled child leaving its ДО before school age (moved away, gone to school early): its
  // place is free for the next child at once.
  if (enrolled.value != 0) FreePlace(c, c.state.app(enrolled));
  return std::nullopt;
}

void ArchiveApplication(Context& c, Application& app, fb::ArchiveReason reason, InstantMs at) {
  State& s = c.state;
  KEZEK_ASSERT(app.status != fb::ApplicationStatus::Archived);
  if (app.status == fb::ApplicationStatus::InQueue) {
    s.queue(app.queue).Erase(QueueEntry{app.place.tier, app.filed_at, app.id}, app.place.line);
  }
  // The enrolled application's voucher is used, not released.
  const bool had_voucher = app.voucher.value != 0 && std::as_const(s).voucher(app.voucher).state != VoucherState::Used;
  if (had_voucher) {
    const fb::AnnulReason annul = reason == fb::ArchiveReason::Declined            ? fb::AnnulReason::Declined
                                  : reason == fb::ArchiveReason::NotEnrolledInTime ? fb::AnnulReason::NotEnrolledInTime
                                  : reason == fb::ArchiveReason::SchoolAge         ? fb::AnnulReason::SchoolAge
                                                                                   : fb::AnnulReason::Withdrawn;
    ReleaseVoucher(c, app, annul);
  }
  ClearDeadline(app);
  app.status = fb::ApplicationStatus::Archived;
  app.archive_reason = reason;
  ChildEntry& child = s.child(app.child);
  child.active[QueueTypeIndex(app.type)] = ApplicationId{};
  c.out.Archived(app);
  c.out.Notify(app, fb::NotificationKind::Archived, messages::Archived(reason));
  if (had_voucher) IssueVouchers(c, app.queue, at);
}

}  // namespace kezek::rules
