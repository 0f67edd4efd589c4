// Civil dates without any time zone database: conversions between day numbers, yyyymmdd and
// calendar fields, built on std::chrono's calendar types (which read no clock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/types.h"

namespace kezek::civil {

struct Ymd {
  int year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

LocalDate FromYmd(Ymd ymd);
Ymd ToYmd(LocalDate date);
// Returns the date of a yyyymmdd number, or nullopt if it names no real day.
std::optional<LocalDate> FromYyyymmdd(int32_t yyyymmdd);
int32_t ToYyyymmdd(LocalDate date);
// 1 = Monday ... 7 = Sunday (ISO).
unsigned IsoWeekday(LocalDate date);
// "dd.mm.yyyy", the form the portal shows citizens.
std::string FormatDotted(LocalDate date);
// "yyyy-mm-dd".
std::string FormatIso(LocalDate date);

// The local day of an instant, given the offset in force, and the instant a local day starts.
LocalDate DateOf(InstantMs instant, int32_t offset_minutes);
InstantMs StartOf(LocalDate date, int32_t offset_minutes);

}  // namespace kezek::civil
