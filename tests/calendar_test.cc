// The working-day calendar and the UTC offsets (engine/calendar.h), with Kazakhstan's real
// calendar from shared/data (kz-calendar-2020-2026.csv): the figures and worked examples of
// shared/data/README.md, the rules that break naive code (rollovers that skip holidays, Sunday
// working days, a transfer that moves a rollover), and the move to one zone on 1 March 2024.
#include "engine/calendar.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "engine/civil_time.h"
#include "engine/schemas_fwd.h"
#include "workload/reference_data.h"

namespace kezek::test {
namespace {

LocalDate Date(int y, unsigned m, unsigned d) { return civil::FromYmd({y, m, d}); }

int64_t UtcMs(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
  return int64_t{Date(y, m, d).value} * kMsPerDay + ((int64_t{hh} * 60 + mm) * 60 + ss) * 1000 + ms;
}

InstantMs At(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
  return InstantMs{UtcMs(y, m, d, hh, mm, ss, ms)};
}

std::vector<workload::CalendarRow> RealRows() {
  std::vector<workload::CalendarRow> rows;
  std::string error;
  REQUIRE_MESSAGE(workload::LoadCalendarCsv(workload::DefaultDataDir() + "/kz-calendar-2020-2026.csv", &rows, &error),
                  error);
  REQUIRE(!rows.empty());
  return rows;
}

WorkingCalendar RealCalendar() {
  WorkingCalendar calendar;
  std::vector<int32_t> not_dates;
  for (const auto& row : RealRows()) {
    const auto date = civil::FromYyyymmdd(row.date);
    if (date) {
      calendar.SetDay(*date, row.kind);
    } else {
      not_dates.push_back(row.date);
    }
  }
  REQUIRE_MESSAGE(not_dates.empty(), "rows that are no date, the first: ", not_dates.empty() ? 0 : not_dates[0]);
  return calendar;
}

int WorkingDaysIn(const WorkingCalendar& calendar, int year) {
  int count = 0;
  for (LocalDate d = Date(year, 1, 1); d <= Date(year, 12, 31); d = LocalDate{d.value + 1}) {
    if (calendar.IsWorkingDay(d)) ++count;
  }
  return count;
}

LocalDate Due(const WorkingCalendar& calendar, LocalDate from, int n) {
  const auto due = calendar.NthWorkingDayAfter(from, n);
  REQUIRE(due.has_value());
  return *due;
}

// Locality 1 as the harness sets Almaty up: UTC+6 from 2000, UTC+5 from 00:00 1 March 2024 local.
UtcOffsets Almaty() {
  UtcOffsets offsets;
  offsets.Set(LocalityId{1}, At(2000, 1, 1), 360);
  offsets.Set(LocalityId{1}, InstantMs{workload::kSingleZoneFromMs}, 300);
  return offsets;
}

constexpr LocalityId kAlmaty{1};

}  // namespace

// --- the working-day calendar ----------------------------------------------------------------

TEST_CASE("calendar: working days a year match the reference figures 2020-2026") {
  const WorkingCalendar calendar = RealCalendar();
  CHECK(WorkingDaysIn(calendar, 2020) == 246);
  CHECK(WorkingDaysIn(calendar, 2021) == 245);
  CHECK(WorkingDaysIn(calendar, 2022) == 246);
  CHECK(WorkingDaysIn(calendar, 2023) == 246);
  CHECK(WorkingDaysIn(calendar, 2024) == 249);
  CHECK(WorkingDaysIn(calendar, 2025) == 246);
  CHECK(WorkingDaysIn(calendar, 2026) == 247);
}

TEST_CASE("calendar: every row of the reference calendar is a kind that fits its day") {
  for (const auto& row : RealRows()) {
    CAPTURE(row.date);
    const auto date = civil::FromYyyymmdd(row.date);
    REQUIRE(date.has_value());
    CHECK(WorkingCalendar::KindFitsDay(*date, row.kind));
  }
}

TEST_CASE("calendar: the n-th working day after any day of 2019-2027 is the n-th a day-by-day scan finds") {
  // NthWorkingDayAfter walks the marks in step with the days; the scan asks IsWorkingDay of each.
  const WorkingCalendar calendar = RealCalendar();
  int checked = 0;
  for (LocalDate from = Date(2019, 12, 1); from <= Date(2027, 1, 31); from = LocalDate{from.value + 1}) {
    for (int n = 1; n <= 12; ++n) {
      LocalDate day = from;
      for (int found = 0; found < n;) {
        day = LocalDate{day.value + 1};
        if (calendar.IsWorkingDay(day)) ++found;
      }
      if (Due(calendar, from, n) != day) {
        FAIL_CHECK(fmt::format("{} + {} working days: {} by the walk, {} by the scan", civil::FormatDotted(from), n,
                               civil::FormatDotted(Due(calendar, from, n)), civil::FormatDotted(day)));
      }
      ++checked;
    }
  }
  CHECK(checked > 30'000);
}

TEST_CASE("calendar: with no marks, Monday-Friday work and the weekend rests") {
  const WorkingCalendar empty;
  // Mon 2025-02-03 ... Sun 2025-02-09
  for (unsigned day = 3; day <= 7; ++day) CHECK(empty.IsWorkingDay(Date(2025, 2, day)));
  CHECK_FALSE(empty.IsWorkingDay(Date(2025, 2, 8)));
  CHECK_FALSE(empty.IsWorkingDay(Date(2025, 2, 9)));
  CHECK(Due(empty, Date(2025, 2, 7), 1) == Date(2025, 2, 10));  // Fri -> Mon
  CHECK(Due(empty, Date(2025, 2, 8), 1) == Date(2025, 2, 10));  // Sat -> Mon
  CHECK(Due(empty, Date(2025, 2, 3), 5) == Date(2025, 2, 10));  // Mon + 5 -> next Mon
}

TEST_CASE("calendar: the seed's example: Thu 06.02.2025 + 2 working days is Mon 10.02.2025") {
  const WorkingCalendar calendar = RealCalendar();
  CHECK(civil::IsoWeekday(Date(2025, 2, 6)) == 4);
  CHECK(Due(calendar, Date(2025, 2, 6), 1) == Date(2025, 2, 7));
  CHECK(Due(calendar, Date(2025, 2, 6), 2) == Date(2025, 2, 10));
}

TEST_CASE("calendar: Thu 20.03.2025 + 2 working days is Thu 27.03.2025 (Nauryz and its rollovers)") {
  const WorkingCalendar calendar = RealCalendar();
  CHECK_FALSE(calendar.IsWorkingDay(Date(2025, 3, 21)));  // Nauryz (Fri)
  CHECK_FALSE(calendar.IsWorkingDay(Date(2025, 3, 24)));  // rollover for Sat 22.03
  CHECK_FALSE(calendar.IsWorkingDay(Date(2025, 3, 25)));  // rollover for Sun 23.03
  CHECK(Due(calendar, Date(2025, 3, 20), 1) == Date(2025, 3, 26));
  CHECK(Due(calendar, Date(2025, 3, 20), 2) == Date(2025, 3, 27));
}

TEST_CASE("calendar: 2020 Nauryz: the rollovers 24 and 25 March skip the holiday Mon 23 March") {
  const WorkingCalendar calendar = RealCalendar();
  for (unsigned day = 21; day <= 25; ++day) CHECK_FALSE(calendar.IsWorkingDay(Date(2020, 3, day)));
  CHECK(calendar.IsWorkingDay(Date(2020, 3, 20)));
  CHECK(calendar.IsWorkingDay(Date(2020, 3, 26)));
  CHECK(Due(calendar, Date(2020, 3, 20), 1) == Date(2020, 3, 26));  // Fri -> Thu
  CHECK(Due(calendar, Date(2020, 3, 20), 2) == Date(2020, 3, 27));
  CHECK(Due(calendar, Date(2020, 3, 19), 5) == Date(2020, 3, 31));  // 20, 26, 27, 30, 31
  CHECK(Due(calendar, Date(2020, 3, 22), 1) == Date(2020, 3, 26));  // from a day off inside the run
}

TEST_CASE("calendar: 2020 transfer: Victory Day's rollover moved from Mon 11.05 to Fri 08.05") {
  const WorkingCalendar calendar = RealCalendar();
  CHECK_FALSE(calendar.IsWorkingDay(Date(2020, 5, 7)));  // Defender of the Fatherland Day
  CHECK_FALSE(calendar.IsWorkingDay(Date(2020, 5, 8)));  // transfer_off
  CHECK_FALSE(calendar.IsWorkingDay(Date(2020, 5, 9)));  // Victory Day (Sat)
  CHECK(calendar.IsWorkingDay(Date(2020, 5, 11)));       // Monday: a working day after all
  CHECK(Due(calendar, Date(2020, 5, 6), 1) == Date(2020, 5, 11));
  CHECK(Due(calendar, Date(2020, 5, 6), 2) == Date(2020, 5, 12));
  CHECK(Due(calendar, Date(2020, 5, 7), 1) == Date(2020, 5, 11));
}

TEST_CASE("calendar: a Sunday made a working day counts: Sun 05.01.2020") {
  const WorkingCalendar calendar = RealCalendar();
  CHECK(civil::IsoWeekday(Date(2020, 1, 5)) == 7);
  CHECK(calendar.IsWorkingDay(Date(2020, 1, 5)));
  CHECK_FALSE(calendar.IsWorkingDay(Date(2020, 1, 3)));  // the Friday it stands in for
  CHECK_FALSE(calendar.IsWorkingDay(Date(2020, 1, 4)));  // an ordinary Saturday
  // 01.01 and 02.01 holidays, 03.01 transfer_off, Sat 04.01, then Sunday 05.01 works.
  CHECK(Due(calendar, Date(2019, 12, 31), 1) == Date(2020, 1, 5));
  CHECK(Due(calendar, Date(2019, 12, 31), 2) == Date(2020, 1, 6));
  CHECK(Due(calendar, Date(2020, 1, 4), 1) == Date(2020, 1, 5));
  // The other Sunday working days of the reference data.
  CHECK(calendar.IsWorkingDay(Date(2020, 12, 20)));
  CHECK(calendar.IsWorkingDay(Date(2025, 1, 5)));
}

TEST_CASE("calendar: Orthodox Christmas and Kurban Ait on a weekend do not roll over") {
  const WorkingCalendar calendar = RealCalendar();
  // Kurban Ait 2024 fell on Sun 16.06; Mon 17.06.2024 (first announced as the holiday) works.
  CHECK_FALSE(calendar.IsWorkingDay(Date(2024, 6, 16)));
  CHECK(calendar.IsWorkingDay(Date(2024, 6, 17)));
}

TEST_CASE("calendar: the date itself is never counted, and n counts working days only") {
  const WorkingCalendar calendar = RealCalendar();
  // From a working day, a holiday or a weekend day alike.
  CHECK(Due(calendar, Date(2025, 2, 10), 1) == Date(2025, 2, 11));
  CHECK(Due(calendar, Date(2025, 3, 21), 1) == Date(2025, 3, 26));
  CHECK(Due(calendar, Date(2025, 2, 9), 2) == Date(2025, 2, 11));
}

TEST_CASE("calendar: a correction to Ordinary removes a mark; a later mark replaces an earlier one") {
  WorkingCalendar calendar = RealCalendar();
  const LocalDate monday = Date(2024, 6, 17);
  calendar.SetDay(monday, fb::DayKind::Holiday);  // the first announcement
  CHECK_FALSE(calendar.IsWorkingDay(monday));
  calendar.SetDay(monday, fb::DayKind::Ordinary);  // the correction
  CHECK(calendar.IsWorkingDay(monday));
  CHECK(calendar.marked_days().count(monday) == 0);

  const LocalDate saturday = Date(2024, 6, 15);
  calendar.SetDay(saturday, fb::DayKind::TransferWork);
  CHECK(calendar.IsWorkingDay(saturday));
  calendar.SetDay(saturday, fb::DayKind::Holiday);
  CHECK_FALSE(calendar.IsWorkingDay(saturday));
  CHECK(calendar.marked_days().at(saturday) == fb::DayKind::Holiday);
}

TEST_CASE("calendar: with no working day within the search limit there is no n-th working day") {
  WorkingCalendar calendar;
  const LocalDate start = Date(2030, 1, 1);
  for (int i = 1; i <= 400; ++i) calendar.SetDay(LocalDate{start.value + i}, fb::DayKind::Holiday);
  CHECK_FALSE(calendar.NthWorkingDayAfter(start, 1).has_value());
  // One working day just inside the limit is found.
  const LocalDate last{start.value + 400};
  REQUIRE(civil::IsoWeekday(last) <= 5);
  calendar.SetDay(last, fb::DayKind::Ordinary);
  CHECK(calendar.NthWorkingDayAfter(start, 1) == last);
  CHECK_FALSE(calendar.NthWorkingDayAfter(start, 2).has_value());
}

TEST_CASE("calendar: KindFitsDay: rollover and transfer_off on weekdays, transfer_work on weekends") {
  const LocalDate monday = Date(2025, 2, 10);
  const LocalDate friday = Date(2025, 2, 14);
  const LocalDate saturday = Date(2025, 2, 15);
  const LocalDate sunday = Date(2025, 2, 16);
  for (const LocalDate day : {monday, friday, saturday, sunday}) {
    CHECK(WorkingCalendar::KindFitsDay(day, fb::DayKind::Ordinary));
    CHECK(WorkingCalendar::KindFitsDay(day, fb::DayKind::Holiday));
  }
  for (const LocalDate day : {monday, friday}) {
    CHECK(WorkingCalendar::KindFitsDay(day, fb::DayKind::Rollover));
    CHECK(WorkingCalendar::KindFitsDay(day, fb::DayKind::TransferOff));
    CHECK_FALSE(WorkingCalendar::KindFitsDay(day, fb::DayKind::TransferWork));
  }
  for (const LocalDate day : {saturday, sunday}) {
    CHECK_FALSE(WorkingCalendar::KindFitsDay(day, fb::DayKind::Rollover));
    CHECK_FALSE(WorkingCalendar::KindFitsDay(day, fb::DayKind::TransferOff));
    CHECK(WorkingCalendar::KindFitsDay(day, fb::DayKind::TransferWork));
  }
  CHECK_FALSE(WorkingCalendar::KindFitsDay(monday, static_cast<fb::DayKind>(9)));
}

// --- civil dates -------------------------------------------------------------------------------

TEST_CASE("calendar: civil dates: yyyymmdd, weekdays and the portal's dd.mm.yyyy") {
  CHECK(civil::FromYyyymmdd(20250210) == Date(2025, 2, 10));
  CHECK(civil::ToYyyymmdd(Date(2025, 2, 10)) == 20250210);
  CHECK_FALSE(civil::FromYyyymmdd(20250229).has_value());
  CHECK(civil::FromYyyymmdd(20240229).has_value());
  CHECK_FALSE(civil::FromYyyymmdd(20251301).has_value());
  CHECK_FALSE(civil::FromYyyymmdd(20250100).has_value());
  CHECK_FALSE(civil::FromYyyymmdd(2025021).has_value());
  CHECK(civil::IsoWeekday(Date(1970, 1, 1)) == 4);
  CHECK(civil::IsoWeekday(Date(2024, 3, 1)) == 5);
  CHECK(civil::FormatDotted(Date(2025, 2, 10)) == "10.02.2025");
  CHECK(civil::FormatIso(Date(2025, 2, 10)) == "2025-02-10");
  CHECK(civil::DateOf(InstantMs{-1}, 0) == LocalDate{-1});  // before the epoch floors down
}

// --- UTC offsets ---------------------------------------------------------------------------

TEST_CASE("calendar: utc offsets: the single-zone instant is 00:00 1 March 2024 at UTC+6") {
  CHECK(workload::kSingleZoneFromMs == UtcMs(2024, 2, 29, 18, 0));
  const UtcOffsets offsets = Almaty();
  CHECK(offsets.OffsetAt(kAlmaty, At(2024, 2, 29, 17, 59, 59, 999)) == 360);
  CHECK(offsets.OffsetAt(kAlmaty, At(2024, 2, 29, 18, 0)) == 300);
  CHECK(offsets.OffsetAt(kAlmaty, At(2010, 6, 1)) == 360);
  CHECK(offsets.OffsetAt(kAlmaty, At(2025, 6, 1)) == 300);
}

TEST_CASE("calendar: utc offsets: the local date just before and after the change") {
  const UtcOffsets offsets = Almaty();
  // 17:59:59.999Z is 23:59:59.999 on 29 Feb at UTC+6; 18:00Z is 23:00 on 29 Feb again at UTC+5:
  // the clocks went back an hour, and 29 February 2024 lasted 25 hours in Almaty.
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 29, 17, 59, 59, 999)) == Date(2024, 2, 29));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 29, 18, 0)) == Date(2024, 2, 29));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 29, 18, 59, 59, 999)) == Date(2024, 2, 29));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 29, 19, 0)) == Date(2024, 3, 1));
}

TEST_CASE("calendar: utc offsets: local midnight on both sides of the change") {
  const UtcOffsets offsets = Almaty();
  // Before: midnight is 18:00Z.
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 27, 17, 59, 59, 999)) == Date(2024, 2, 27));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 27, 18, 0)) == Date(2024, 2, 28));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 28, 17, 59, 59, 999)) == Date(2024, 2, 28));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 2, 28, 18, 0)) == Date(2024, 2, 29));
  // After: midnight is 19:00Z.
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 3, 1, 18, 0)) == Date(2024, 3, 1));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 3, 1, 18, 59, 59, 999)) == Date(2024, 3, 1));
  CHECK(offsets.LocalDateOf(kAlmaty, At(2024, 3, 1, 19, 0)) == Date(2024, 3, 2));
}

TEST_CASE("calendar: utc offsets: the end of a local day around the change") {
  const UtcOffsets offsets = Almaty();
  CHECK(offsets.EndOfLocalDay(kAlmaty, Date(2024, 2, 28)) == At(2024, 2, 28, 18, 0));
  CHECK(offsets.EndOfLocalDay(kAlmaty, Date(2024, 2, 29)) == At(2024, 2, 29, 19, 0));  // 25 hours long
  CHECK(offsets.EndOfLocalDay(kAlmaty, Date(2024, 3, 1)) == At(2024, 3, 1, 19, 0));
  CHECK(offsets.StartOfLocalDay(kAlmaty, Date(2024, 2, 29)) == At(2024, 2, 28, 18, 0));
  CHECK(offsets.StartOfLocalDay(kAlmaty, Date(2024, 3, 1)) == At(2024, 2, 29, 19, 0));
  // The end of a day is the first instant of the next one: LocalDateOf agrees on both sides.
  for (int day = -3; day <= 3; ++day) {
    const LocalDate date{Date(2024, 2, 29).value + day};
    CAPTURE(civil::FormatIso(date));
    const InstantMs end = offsets.EndOfLocalDay(kAlmaty, date);
    CHECK(offsets.LocalDateOf(kAlmaty, InstantMs{end.value - 1}) == date);
    CHECK(offsets.LocalDateOf(kAlmaty, end) == LocalDate{date.value + 1});
  }
}

TEST_CASE("calendar: utc offsets: a forward jump over midnight starts the day at the jump") {
  // A made-up zone change from UTC+5 to UTC+6 at 23:30 local: local midnight never happens.
  UtcOffsets offsets;
  const LocalityId west{7};
  offsets.Set(west, At(2000, 1, 1), 300);
  offsets.Set(west, At(2030, 1, 10, 18, 30), 360);
  CHECK(offsets.LocalDateOf(west, At(2030, 1, 10, 18, 29, 59, 999)) == Date(2030, 1, 10));
  CHECK(offsets.LocalDateOf(west, At(2030, 1, 10, 18, 30)) == Date(2030, 1, 11));
  CHECK(offsets.StartOfLocalDay(west, Date(2030, 1, 11)) == At(2030, 1, 10, 18, 30));
  CHECK(offsets.EndOfLocalDay(west, Date(2030, 1, 10)) == At(2030, 1, 10, 18, 30));
  CHECK(offsets.EndOfLocalDay(west, Date(2030, 1, 11)) == At(2030, 1, 11, 18, 0));
}

TEST_CASE("calendar: utc offsets: a locality without entries uses locality 0's, else UTC+5") {
  UtcOffsets offsets;
  const LocalityId other{42};
  // No entries at all: UTC+5, Kazakhstan's single zone.
  CHECK(UtcOffsets::kDefaultOffsetMinutes == 300);
  CHECK(offsets.OffsetAt(other, At(2020, 1, 1)) == 300);
  CHECK(offsets.LocalDateOf(other, At(2020, 1, 1, 18, 59)) == Date(2020, 1, 1));
  CHECK(offsets.LocalDateOf(other, At(2020, 1, 1, 19, 0)) == Date(2020, 1, 2));
  CHECK(offsets.EndOfLocalDay(other, Date(2020, 1, 1)) == At(2020, 1, 1, 19, 0));

  // Locality 0's entries are the default for every locality without its own.
  offsets.Set(LocalityId{0}, At(2000, 1, 1), 360);
  offsets.Set(LocalityId{0}, InstantMs{workload::kSingleZoneFromMs}, 300);
  CHECK(offsets.OffsetAt(other, At(2020, 1, 1)) == 360);
  CHECK(offsets.OffsetAt(other, At(2025, 1, 1)) == 300);
  CHECK(offsets.EndOfLocalDay(other, Date(2024, 2, 29)) == At(2024, 2, 29, 19, 0));

  // A locality with entries of its own ignores locality 0's.
  const LocalityId uralsk{27};
  offsets.Set(uralsk, At(2000, 1, 1), 300);
  CHECK(offsets.OffsetAt(uralsk, At(2020, 1, 1)) == 300);
  CHECK(offsets.OffsetAt(other, At(2020, 1, 1)) == 360);
}

TEST_CASE("calendar: utc offsets: a locality's earliest entry also covers the time before it") {
  UtcOffsets offsets;
  offsets.Set(kAlmaty, At(2010, 1, 1), 360);
  CHECK(offsets.OffsetAt(kAlmaty, At(2005, 1, 1)) == 360);
  CHECK(offsets.EndOfLocalDay(kAlmaty, Date(2005, 1, 1)) == At(2005, 1, 1, 18, 0));
}

}  // namespace kezek::test
