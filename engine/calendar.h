// The working-day calendar and each locality's UTC offset: both are data that arrive as actions
// (UpdateCalendar, SetUtcOffset), never the machine's tzdata or locale.
//
// A day is a working day if it is Monday-Friday and not a Holiday, Rollover or TransferOff, or if
// it is a TransferWork day. "Within N working days of an event on day D" ends at the end of the
// N-th working day after D, in the locality's local time.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek {

class WorkingCalendar {
 public:
  // Marks a day; DayKind::Ordinary removes any mark (a correction back to the default).
  void SetDay(LocalDate date, fb::DayKind kind);
  bool IsWorkingDay(LocalDate date) const;
  // The n-th working day after `date` (not counting `date`); nullopt if none lies within
  // limits::kWorkingDaySearchMax days (a calendar that is all days off).
  // REQUIRES: n >= 1.
  std::optional<LocalDate> NthWorkingDayAfter(LocalDate date, int n) const;
  // Whether `kind` may mark `date`: Rollover and TransferOff fall on weekdays, TransferWork on a
  // Saturday or Sunday.
  static bool KindFitsDay(LocalDate date, fb::DayKind kind);
  const std::map<LocalDate, fb::DayKind>& marked_days() const { return days_; }

 private:
  std::map<LocalDate, fb::DayKind> days_;
};

class UtcOffsets {
 public:
  // Without any entry a locality keeps UTC+5, Kazakhstan's single zone since 1 March 2024.
  static constexpr int16_t kDefaultOffsetMinutes = 300;

  // From `from` on, `locality` keeps `offset_minutes`; LocalityId{0} is the default for every
  // locality without entries of its own. A locality's earliest entry also covers all time before it.
  void Set(LocalityId locality, InstantMs from, int16_t offset_minutes);
  int32_t OffsetAt(LocalityId locality, InstantMs instant) const;
  LocalDate LocalDateOf(LocalityId locality, InstantMs instant) const;
  // The first instant whose local date is after `date`: the end of that local day.
  InstantMs EndOfLocalDay(LocalityId locality, LocalDate date) const;
  // The first instant whose local date is `date` or later.
  InstantMs StartOfLocalDay(LocalityId locality, LocalDate date) const;
  const std::map<LocalityId, std::map<InstantMs, int16_t>>& entries() const { return entries_; }

 private:
  const std::map<InstantMs, int16_t>* TimelineOf(LocalityId locality) const;
  std::map<LocalityId, std::map<InstantMs, int16_t>> entries_;
};

}  // namespace kezek
