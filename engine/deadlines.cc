// The deadlines: 2 working days to answer, 5 (+2 once) to enroll, 5 to sign, 10 calendar days
// on the stop-list; and the school-age archival. A deadline is the end of a local day; it is
// fixed when set (a later calendar correction does not move it: the citizen was told the date).
#include <algorithm>
#include <vector>

#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/limits.h"
#include "engine/rules.h"

namespace kezek::rules {
namespace {

void Arm(State& s, Application& app) {
  ++app.deadline_generation;
  s.timers.push(Timer{app.deadline_at, app.id, false, app.deadline_generation});
}

}  // namespace

void SetWorkingDayDeadlineAfterDate(State& s, Application& app, fb::DeadlineKind kind, LocalDate date, int n) {
  // A calendar of nothing but days off would have no n-th working day; the search limit then
  // stands in for it rather than leaving the application without a deadline.
  const LocalDate due = s.calendar.NthWorkingDayAfter(date, n)
                            .value_or(LocalDate{date.value + limits::kWorkingDaySearchMax});
  app.deadline = kind;
  app.deadline_date = due;
  app.deadline_at = s.offsets.EndOfLocalDay(app.locality, due);
  Arm(s, app);
}

void SetWorkingDayDeadline(State& s, Application& app, fb::DeadlineKind kind, InstantMs from, int n) {
  SetWorkingDayDeadlineAfterDate(s, app, kind, s.offsets.LocalDateOf(app.locality, from), n);
}

void SetInstantDeadline(State& s, Application& app, fb::DeadlineKind kind, InstantMs at) {
  app.deadline = kind;
  app.deadline_at = at;
  app.deadline_date = s.offsets.LocalDateOf(app.locality, at);
  Arm(s, app);
}

void ClearDeadline(Application& app) {
  app.deadline = fb::DeadlineKind::None;
  app.deadline_at = InstantMs{};
  app.deadline_date = LocalDate{};
  ++app.deadline_generation;  // whatever timer is pending is now stale
}

InstantMs SchoolAgeAt(const State& s, LocalityId locality, LocalDate birth_date) {
  const civil::Ymd birth = civil::ToYmd(birth_date);
  const bool six_by_september = birth.month < 9 || (birth.month == 9 && birth.day == 1);
  const int year = birth.year + limits::kSchoolAgeYears + (six_by_september ? 0 : 1);
  return s.offsets.StartOfLocalDay(locality, civil::FromYmd({year, 9, 1}));
}

void ArmSchoolAgeTimer(State& s, const Application& app) {
  s.timers.push(Timer{app.school_age_at, app.id, true, 0});
}

void ReanchorTimers(Context& c, LocalityId posted) {
  State& s = c.state;
  const auto affected = [&](LocalityId locality) {
    return posted.value == 0 ? !s.offsets.entries().contains(locality) : locality == posted;
  };
  for (const ApplicationId id : s.ApplicationNumbers()) {  // ascending: the decisions' order
    Application& app = s.applications[s.ApplicationSlot(id)];
    if (!affected(app.locality)) continue;
    const bool archived = app.status == fb::ApplicationStatus::Archived;
    const bool holds_place = archived && app.archive_reason == fb::ArchiveReason::Enrolled && app.group.value != 0;
    bool changed = false;
    if (!archived || holds_place) {
      const InstantMs school_age = SchoolAgeAt(s, app.locality, app.birth_date);
      if (school_age != app.school_age_at && school_age > s.now) {
        app.school_age_at = school_age;
        ArmSchoolAgeTimer(s, app);
        changed = true;
      }
    }
    if (!archived && app.deadline != fb::DeadlineKind::None) {
      const InstantMs at = app.deadline == fb::DeadlineKind::StopList
                               ? s.offsets.StartOfLocalDay(app.locality, app.deadline_date)
                               : s.offsets.EndOfLocalDay(app.locality, app.deadline_date);
      // Never to an instant engine time has passed (a posting that reaches back, or one step of a
      // timeline posted entry by entry): no timer would fire it in this input, and it would pass
      // before the posting itself. Such a deadline keeps its instant: the family keeps the hour.
      if (at != app.deadline_at && at > s.now) {
        app.deadline_at = at;
        Arm(s, app);
        c.out.DeadlineMoved(app);
        changed = true;
      }
    }
    if (changed) s.changes.applications.push_back(app.id);
  }
}

void ExpireDue(Context& c, InstantMs now) {
  State& s = c.state;
  KEZEK_ASSERT(c.deferred_issues == nullptr);
  std::vector<uint32_t> deferred;
  c.deferred_issues = &deferred;
  while (!s.timers.empty() && s.timers.next_at() <= now) {
    const Timer timer = s.timers.top();
    // Due timers come in bursts (every deadline of a day at its first action after midnight):
    // what the timers a few on will read is fetched while this one is handled.
    PrefetchTimers(s);
    s.timers.pop();
    Application& app = s.app(timer.application);
    // A school-age instant moved by a UTC offset posted since (ReanchorTimers): stale.
    if (timer.school_age && timer.at != app.school_age_at) continue;
    if (app.status == fb::ApplicationStatus::Archived) {
      // An enrolled child holds its place until it goes to school: then the place is free.
      if (timer.school_age && app.archive_reason == fb::ArchiveReason::Enrolled) FreePlace(c, app);
      continue;
    }
    // Each timer fires at its own instant (timer.at); whatever deadline it sets counts from now.
    if (timer.school_age) {
      ArchiveApplication(c, app, fb::ArchiveReason::SchoolAge, now);
      continue;
    }
    if (timer.generation != app.deadline_generation) continue;  // superseded
    KEZEK_ASSERT(app.deadline_at == timer.at);
    switch (app.deadline) {
      case fb::DeadlineKind::Interest:
        ExpireInterest(c, app, timer.at, now);
        break;
      case fb::DeadlineKind::Enrollment:
      case fb::DeadlineKind::ParentSignature:
        ExpireEnrollment(c, app, now);
        break;
      case fb::DeadlineKind::KindergartenSignature:
        LapseKindergartenSignature(c, app, now);
        break;
      case fb::DeadlineKind::StopList:
        ReturnFromStopList(c, app, now);
        break;
      case fb::DeadlineKind::None:
        KEZEK_ASSERT(false && "armed timer without a deadline");
        break;
    }
  }
  c.deferred_issues = nullptr;
  std::sort(deferred.begin(), deferred.end());
  deferred.erase(std::unique(deferred.begin(), deferred.end()), deferred.end());
  for (const uint32_t queue : deferred) IssueVouchers(c, queue, now);
}

}  // namespace kezek::rules
