#include "engine/civil_time.h"

#include <chrono>

#include <fmt/format.h>

namespace kezek::civil {
namespace {
namespace ch = std::chrono;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace

LocalDate FromYmd(Ymd ymd) {
  const ch::year_month_day d{ch::year{ymd.year}, ch::month{ymd.month}, ch::day{ymd.day}};
  return LocalDate{static_cast<int32_t>(ch::sys_days{d}.time_since_epoch().count())};
}

Ymd ToYmd(LocalDate date) {
  const ch::year_month_day d{ch::sys_days{ch::days{date.value}}};
  return Ymd{static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
             static_cast<unsigned>(d.day())};
}

std::optional<LocalDate> FromYyyymmdd(int32_t yyyymmdd) {
  if (yyyymmdd < 10000101 || yyyymmdd > 99991231) return std::nullopt;
  const ch::year_month_day d{ch::year{yyyymmdd / 10000},
                             ch::month{static_cast<unsigned>(yyyymmdd / 100 % 100)},
                             ch::day{static_cast<unsigned>(yyyymmdd % 100)}};
  if (!d.ok()) return std::nullopt;
  return LocalDate{static_cast<int32_t>(ch::sys_days{d}.time_since_epoch().count())};
}

int32_t ToYyyymmdd(LocalDate date) {
  const Ymd ymd = ToYmd(date);
  return ymd.year * 10000 + static_cast<int32_t>(ymd.month * 100 + ymd.day);
}

unsigned IsoWeekday(LocalDate date) {
  return ch::weekday{ch::sys_days{ch::days{date.value}}}.iso_encoding();
}

namespace {

// `value` as exactly `width` decimal digits, zero-padded. REQUIRES: it fits.
void PutDigits(char* at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

// By hand, not fmt: the engine writes a date into most notifications it folds.
std::string FormatDotted(LocalDate date) {
  const Ymd ymd = ToYmd(date);
  if (ymd.year < 0 || ymd.year > 9999) return fmt::format("{:02}.{:02}.{:04}", ymd.day, ymd.month, ymd.year);
  std::string out(10, '.');
  PutDigits(out.data(), ymd.day, 2);
  PutDigits(out.data() + 3, ymd.month, 2);
  PutDigits(out.data() + 6, static_cast<unsigned>(ymd.year), 4);
  return out;
}

std::string FormatIso(LocalDate date) {
  const Ymd ymd = ToYmd(date);
  if (ymd.year < 0 || ymd.year > 9999) return fmt::format("{:04}-{:02}-{:02}", ymd.year, ymd.month, ymd.day);
  std::string out(10, '-');
  PutDigits(out.data(), static_cast<unsigned>(ymd.year), 4);
  PutDigits(out.data() + 5, ymd.month, 2);
  PutDigits(out.data() + 8, ymd.day, 2);
  return out;
}

LocalDate DateOf(InstantMs instant, int32_t offset_minutes) {
  const int64_t local_ms = instant.value + int64_t{offset_minutes} * kMsPerMinute;
  return LocalDate{static_cast<int32_t>(FloorDiv(local_ms, kMsPerDay))};
}

InstantMs StartOf(LocalDate date, int32_t offset_minutes) {
  return InstantMs{int64_t{date.value} * kMsPerDay - int64_t{offset_minutes} * kMsPerMinute};
}

}  // namespace kezek::civil
