// The domain rules, one home each, shared by the fold (engine.cc). Internal to engine/.
//
// Every handler validates first and changes the state only when it accepts: a rejection leaves
// the state exactly as it was. Handlers take the instant `at` at which they act: the engine's time
// (the latest instant seen, so never a moment whose deadlines have already passed), or a
// deadline's own instant when time passes it. Only a filing keeps its action's instant (within
// a skew behind engine time, RankingInstant), as the filing time that orders the queue.
#pragma once

#include <array>
#include <optional>
#include <vector>
#include <span>
#include <string>

#include <fmt/format.h>

#include "engine/decision_writer.h"
#include "engine/schemas_fwd.h"
#include "engine/state.h"

namespace kezek {

struct Rejection {
  fb::RejectionCode code = fb::RejectionCode::None;
  std::string reason;
};
using Verdict = std::optional<Rejection>;  // nullopt: accepted and applied

template <typename... Args>
Rejection Reject(fb::RejectionCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Rejection{code, fmt::format(format, std::forward<Args>(args)...)};
}

struct Context {
  State& state;
  DecisionWriter& out;
  // While timers fire (ExpireDue), the queues whose free vouchers are to be issued once every due
  // timer has fired, at the input's instant; null otherwise (IssueVouchers issues at once).
  std::vector<uint32_t>* deferred_issues = nullptr;
};

namespace rules {

// --- the envelope (engine.cc) --------------------------------------------------------------
// Schema version, idempotency key, instant, actor, kind and role of a verified action.
Verdict CheckEnvelope(const fb::Action& action);
// The idempotency digest of an action's content apart from its instant: a retry that re-stamps
// the instant is the same action. REQUIRES: canonical encoding (events::Codec), so equal content
// gives equal bytes.
std::array<uint64_t, 2> ActionDigest(std::span<const uint8_t> bytes, const fb::Action& action);

// --- time (engine_time.cc) ----------------------------------------------------------------
// Whether an action stamped at its instant may act at engine time `now` (0: time not started).
// A ClockTick starts time, then moves it at most limits::kTickAdvanceMaxMs; any other action is
// refused before the first tick and when stamped over limits::kActionSkewAheadMs ahead of `clock`
// (the System clock's last tick; a tick's bound counts from `now`).
// A refused instant is InstantInFuture: the action is journaled, and time does not move.
Verdict AdmitInstant(InstantMs now, InstantMs clock, const fb::Action& action);
// The instant a filing stamped `stamped` ranks by at engine time `now`: its stamp, clamped to no
// earlier than `now` minus limits::kFilingSkewBehindMs.
InstantMs RankingInstant(InstantMs now, InstantMs stamped);

// Whether aligned `bytes` are a valid Action buffer (FlatBuffers' Verifier, the engine's bounds).
bool Verifies(std::span<const uint8_t> bytes);

// --- access (access.cc) --------------------------------------------------------------------
// Whether `role` may post an action of kind `body`.
bool RoleMayPost(fb::Role role, fb::ActionBody body);
// The application an action names (the number in its body); nullopt for an action that names
// none (a filing, the catalogue, an allocation, a tick) or has no body.
std::optional<uint64_t> ApplicationNamed(const fb::Action& action);

// --- applications (applications.cc) --------------------------------------------------------
// Files at engine time `at` an application its sender stamped `stamped`; it ranks by
// RankingInstant(at, stamped), and the decision carries both.
Verdict FileApplication(Context& c, InstantMs at, InstantMs stamped, const fb::Actor& actor,
                        const fb::FileApplication& a);
Verdict ConfirmDocuments(Context& c, InstantMs at, const fb::Actor& actor, const fb::ConfirmDocuments& a);
Verdict RejectDocuments(Context& c, InstantMs at, const fb::Actor& actor, const fb::RejectDocuments& a);
Verdict Withdraw(Context& c, InstantMs at, const fb::Actor& actor, const fb::Withdraw& a);
Verdict ArchiveChild(Context& c, InstantMs at, const fb::ArchiveChild& a);
// Puts an application (back) into its queue and issues any free voucher it meets.
void EnterQueue(Context& c, Application& app, InstantMs at, fb::NotificationKind kind);
// Ends an application: releases what it holds, archives it, and hands its voucher on.
void ArchiveApplication(Context& c, Application& app, fb::ArchiveReason reason, InstantMs at);
// Finds an application the actor may act on, checking the applicant for portal actions.
Verdict FindApplication(State& s, const fb::Actor& actor, uint64_t id, Application** found);
// A child holds one place at a time (docs/domain.md): the refusal of a filing, or of a second
// place through its other queue's application, while `child` is enrolled through `enrolled`.
Rejection HoldsPlace(Iin child, ApplicationId enrolled);
uint64_t PositionOf(const State& s, const Application& app);

// --- vouchers (vouchers.cc) ----------------------------------------------------------------
Verdict AllocateVouchers(Context& c, InstantMs at, const fb::AllocateVouchers& a);
Verdict AnswerInterest(Context& c, InstantMs at, Application& app, const fb::AnswerInterest& a);
Verdict ExtendVoucher(Context& c, InstantMs at, Application& app);
// Issues free vouchers of queue `queue` to the heads of that queue while both last; while timers
// fire, notes the queue instead (Context::deferred_issues).
void IssueVouchers(Context& c, uint32_t queue, InstantMs at);
// Annuls the application's voucher (if any) back into its queue's pool and frees its place.
// The caller issues the pool afterwards (IssueVouchers) once its own decisions are written.
void ReleaseVoucher(Context& c, Application& app, fb::AnnulReason reason);
// The interest deadline passed at `fired_at`: the voucher is annulled and the application stop-listed
// for limits::kStopListDays from that day; the voucher is handed on with deadlines from `now`.
void ExpireInterest(Context& c, Application& app, InstantMs fired_at, InstantMs now);
void ReturnFromStopList(Context& c, Application& app, InstantMs at);

// --- enrollment (enrollment.cc) ------------------------------------------------------------
Verdict ChooseKindergarten(Context& c, InstantMs at, Application& app, const fb::ChooseKindergarten& a);
Verdict SendContract(Context& c, InstantMs at, const fb::Actor& actor, Application& app, const fb::SendContract& a);
Verdict ParentSigns(Context& c, InstantMs at, Application& app, const fb::ParentSigns& a);
Verdict KindergartenSigns(Context& c, InstantMs at, const fb::Actor& actor, Application& app,
                          const fb::KindergartenSigns& a);
void ExpireEnrollment(Context& c, Application& app, InstantMs at);
void LapseKindergartenSignature(Context& c, Application& app, InstantMs at);
// An enrolled child goes to school (its school-age instant): its place is free again.
void FreePlace(Context& c, Application& app);
// The child's age in whole years on 1 September of the school year that contains `on`.
int AgeOnFirstSeptember(LocalDate birth_date, LocalDate on);

// --- deadlines (deadlines.cc) --------------------------------------------------------------
// Sets the application's deadline to the end of the n-th working day after the local date of
// `from`, and arms its timer.
void SetWorkingDayDeadline(State& s, Application& app, fb::DeadlineKind kind, InstantMs from, int n);
// Sets the deadline to the end of the n-th working day after `date` (an extension).
void SetWorkingDayDeadlineAfterDate(State& s, Application& app, fb::DeadlineKind kind, LocalDate date, int n);
void SetInstantDeadline(State& s, Application& app, fb::DeadlineKind kind, InstantMs at);
void ClearDeadline(Application& app);
void ArmSchoolAgeTimer(State& s, const Application& app);
// A UTC offset was posted for `locality` (0: the default, for every locality without entries of
// its own): each pending deadline of its applications keeps its local date and passes at that
// date's end (a stop-list's return: its start) in the timeline now in force, `DeadlineMoved` where
// the instant changed; a school-age instant is 00:00 local of its 1 September again (never shown,
// so not a decision). An instant is never moved to one at or before engine time (it keeps its
// own). Timers armed before stay in their buckets and are skipped as stale.
void ReanchorTimers(Context& c, LocalityId locality);
// Fires every timer due at or before `now`, each at its own instant, in (instant, application) order.
// What a firing sets in motion for anyone counts its deadline from `now`, the instant of the input
// being processed, the first moment that family can be told (DESIGN §4): a fresh enrollment window
// counts from it, and a voucher returned by a firing is handed on only after every due timer has
// fired (so to the head of the queue as it stands at `now`, never to a child who reached school
// age meanwhile), queue by queue in index order. Nobody is told a deadline already gone, and no
// voucher is issued and annulled in one input.
void ExpireDue(Context& c, InstantMs now);
// Starts loading what the due timers a few places after top() will read (engine/prefetch.cc):
// the application 4 timers on, and the child entry of the one 2 on (its application loading
// since). Changes nothing. REQUIRES: s.timers.top() was called since the last pop().
void PrefetchTimers(const State& s);
// The same for vouchers issued to a queue's heads in turn (an allocation): the applications 4
// places behind the head of each line, and the child's name of those 2 places behind (their
// applications loading since). Changes nothing.
void PrefetchHeads(const State& s, const Queue& queue);
// 00:00 local on the 1 September the child starts school (6 by that day).
InstantMs SchoolAgeAt(const State& s, LocalityId locality, LocalDate birth_date);

// --- catalogue, calendar and policy (catalogue.cc) ------------------------------------------
Verdict UpsertLocality(Context& c, const fb::UpsertLocality& a);
Verdict SetUtcOffset(Context& c, const fb::SetUtcOffset& a);
Verdict UpsertKindergarten(Context& c, const fb::UpsertKindergarten& a);
Verdict UpsertGroup(Context& c, const fb::UpsertGroup& a);
Verdict UpdateCalendar(Context& c, const fb::UpdateCalendar& a);
Verdict SetPriorityPolicy(Context& c, const fb::SetPriorityPolicy& a);
// The policy's own consistency: tiers, categories (each in one tier), a general line, the ratio.
Verdict CheckPolicy(const fb::SetPriorityPolicy& a);
// Posts the words of every notification from now on: the next version of the templates.
Verdict SetMessageTemplates(Context& c, const fb::SetMessageTemplates& a);
// A posting's own consistency: one template for each of messages::Keys(), each with as many "{}"
// as the engine's own text of it, in each language.
Verdict CheckTemplates(const fb::SetMessageTemplates& a);
// The queue index for a key, created empty if new.
uint32_t QueueFor(State& s, const QueueKey& key);
// What a text field may hold besides printable text: a name or number shown on one line (no
// control character: C0, DEL, C1), free text (line feeds and tabs too), or anything (a template,
// whose own check refuses control characters under its own code).
enum class TextKind { kLine, kLines, kAny };
// Checks a text field: present if `required`, within limits::kTextFieldBytesMax, and free of the
// control characters its kind may not hold.
Verdict CheckText(const flatbuffers::String* text, const char* field, bool required, TextKind kind = TextKind::kLine);

}  // namespace rules
}  // namespace kezek
