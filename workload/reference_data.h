// Reference data from shared/data as actions: the working-day calendar (kz-calendar-2020-2026.csv)
// posted as a ministry would post it (one UpdateCalendar a year), and the regions
// (kz-regions.csv) with their UTC offsets before and after 00:00 on 1 March 2024.
#pragma once

#include <string>
#include <vector>

#include "engine/schemas_fwd.h"

namespace kezek::workload {

struct CalendarRow {
  int32_t date = 0;  // yyyymmdd
  fb::DayKind kind = fb::DayKind::Ordinary;
  std::string note;
};

struct Region {
  std::string code;
  std::string name_kk;
  std::string name_ru;
  uint64_t population = 0;
  int16_t offset_before_2024_03_01_minutes = 300;
};

// The directory of shared/data this build was configured with.
std::string DefaultDataDir();

// Reads the calendar CSV. On failure returns false and says why in *error (file, line, what).
[[nodiscard]] bool LoadCalendarCsv(const std::string& path, std::vector<CalendarRow>* rows, std::string* error);
[[nodiscard]] bool LoadRegionsCsv(const std::string& path, std::vector<Region>* regions, std::string* error);

// One UpdateCalendar action per year, posted by the education department at `instant_ms`.
std::vector<fb::ActionT> CalendarActions(const std::vector<CalendarRow>& rows, int64_t instant_ms,
                                         const std::string& key_prefix);

// The instant Kazakhstan moved to one zone: 00:00 on 1 March 2024 at UTC+6 = 2024-02-29T18:00Z.
inline constexpr int64_t kSingleZoneFromMs = 1709229600000;

}  // namespace kezek::workload
