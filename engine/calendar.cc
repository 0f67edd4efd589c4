#include "engine/calendar.h"

#include <algorithm>
#include <limits>

#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/limits.h"

namespace kezek {

void WorkingCalendar::SetDay(LocalDate date, fb::DayKind kind) {
  if (kind == fb::DayKind::Ordinary) {
    days_.erase(date);
  } else {
    days_[date] = kind;
  }
}

namespace {

// Whether a day marked `kind` is worked: a mark decides, Ordinary (never stored) leaves the weekday.
bool Worked(fb::DayKind kind, LocalDate date) {
  switch (kind) {
    case fb::DayKind::Holiday:
    case fb::DayKind::Rollover:
    case fb::DayKind::TransferOff:
      return false;
    case fb::DayKind::TransferWork:
      return true;
    case fb::DayKind::Ordinary:
      break;
  }
  return civil::IsoWeekday(date) <= 5;
}

}  // namespace

bool WorkingCalendar::IsWorkingDay(LocalDate date) const {
  const auto it = days_.find(date);
  return it != days_.end() ? Worked(it->second, date) : civil::IsoWeekday(date) <= 5;
}

std::optional<LocalDate> WorkingCalendar::NthWorkingDayAfter(LocalDate date, int n) const {
  KEZEK_ASSERT(n >= 1);
  // One search for the first mark after `date`, then the marks walked in step with the days (a
  // deadline scanned five days or more, each a lookup in the calendar's tree).
  auto mark = days_.upper_bound(date);
  int found = 0;
  for (int step = 1; step <= limits::kWorkingDaySearchMax; ++step) {
    const LocalDate day{date.value + step};
    bool working;
    if (mark != days_.end() && mark->first == day) {
      working = Worked(mark->second, day);
      ++mark;
    } else {
      working = civil::IsoWeekday(day) <= 5;
    }
    if (working && ++found == n) return day;
  }
  return std::nullopt;
}

bool WorkingCalendar::KindFitsDay(LocalDate date, fb::DayKind kind) {
  const bool weekend = civil::IsoWeekday(date) >= 6;
  switch (kind) {
    case fb::DayKind::Ordinary:
    case fb::DayKind::Holiday:
      return true;
    case fb::DayKind::Rollover:
    case fb::DayKind::TransferOff:
      return !weekend;
    case fb::DayKind::TransferWork:
      return weekend;
  }
  return false;
}

void UtcOffsets::Set(LocalityId locality, InstantMs from, int16_t offset_minutes) {
  entries_[locality][from] = offset_minutes;
}

const std::map<InstantMs, int16_t>* UtcOffsets::TimelineOf(LocalityId locality) const {
  auto it = entries_.find(locality);
  if (it == entries_.end()) it = entries_.find(LocalityId{0});
  return it == entries_.end() ? nullptr : &it->second;
}

int32_t UtcOffsets::OffsetAt(LocalityId locality, InstantMs instant) const {
  const auto* timeline = TimelineOf(locality);
  if (timeline == nullptr) return kDefaultOffsetMinutes;
  auto it = timeline->upper_bound(instant);
  if (it != timeline->begin()) --it;  // the entry in force; before the first, the first
  return it->second;
}

LocalDate UtcOffsets::LocalDateOf(LocalityId locality, InstantMs instant) const {
  return civil::DateOf(instant, OffsetAt(locality, instant));
}

InstantMs UtcOffsets::StartOfLocalDay(LocalityId locality, LocalDate date) const {
  const auto* timeline = TimelineOf(locality);
  if (timeline == nullptr) return civil::StartOf(date, kDefaultOffsetMinutes);
  // Candidates: local midnight under each segment's offset, if it falls inside that segment, and
  // each segment start that jumps over midnight. The earliest candidate is the answer.
  int64_t best = std::numeric_limits<int64_t>::max();
  for (auto it = timeline->begin(); it != timeline->end(); ++it) {
    const auto next = std::next(it);
    const InstantMs candidate = civil::StartOf(date, it->second);
    const bool after_start = it == timeline->begin() || candidate >= it->first;
    const bool before_end = next == timeline->end() || candidate < next->first;
    if (after_start && before_end) best = std::min(best, candidate.value);
    if (it != timeline->begin() && civil::DateOf(it->first, it->second) >= date &&
        civil::DateOf(InstantMs{it->first.value - 1}, std::prev(it)->second) < date) {
      best = std::min(best, it->first.value);
    }
  }
  KEZEK_ASSERT(best != std::numeric_limits<int64_t>::max());
  return InstantMs{best};
}

InstantMs UtcOffsets::EndOfLocalDay(LocalityId locality, LocalDate date) const {
  return StartOfLocalDay(locality, LocalDate{date.value + 1});
}

}  // namespace kezek
