#include "workload/reference_data.h"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace kezek::workload {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  // The reference files quote no field; a note may hold no comma either (checked on load).
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, ',')) fields.push_back(field);
  return fields;
}

bool ParseKind(const std::string& text, fb::DayKind* kind) {
  static const std::map<std::string, fb::DayKind> kinds = {{"holiday", fb::DayKind::Holiday},
                                                           {"rollover", fb::DayKind::Rollover},
                                                           {"transfer_off", fb::DayKind::TransferOff},
                                                           {"transfer_work", fb::DayKind::TransferWork}};
  const auto it = kinds.find(text);
  if (it == kinds.end()) return false;
  *kind = it->second;
  return true;
}

}  // namespace

std::string DefaultDataDir() { return KEZEK_DEFAULT_DATA_DIR; }

bool LoadCalendarCsv(const std::string& path, std::vector<CalendarRow>* rows, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = fmt::format("{}: cannot open: {}", path, std::strerror(errno));
    return false;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1) {
      // The header names the columns; a file without one lost its first day unread.
      if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // a byte order mark
      const auto fields = SplitCsv(line);
      if (fields.size() < 3 || fields[0] != "date" || fields[1] != "kind" || fields[2] != "note") {
        *error = fmt::format("{}:1: expected the header date,kind,note,source", path);
        return false;
      }
      continue;
    }
    if (line.empty()) continue;
    const auto fields = SplitCsv(line);
    CalendarRow row;
    int y = 0, m = 0, d = 0;
    if (fields.size() < 3 || std::sscanf(fields[0].c_str(), "%d-%d-%d", &y, &m, &d) != 3 ||
        !ParseKind(fields[1], &row.kind)) {
      *error = fmt::format("{}:{}: expected date,kind,note,source", path, number);
      return false;
    }
    row.date = y * 10000 + m * 100 + d;
    row.note = fields[2];
    rows->push_back(std::move(row));
  }
  if (!in.eof()) {  // a read failed (a directory opens, and reads nothing)
    *error = fmt::format("{}: cannot be read: {}", path, std::strerror(errno));
    return false;
  }
  if (rows->empty()) {  // an empty file posted no calendar and said nothing
    *error = fmt::format("{}: no days (a header date,kind,note,source and a line a day)", path);
    return false;
  }
  return true;
}

// A region's population at most (Kazakhstan's largest region has about 2.3 million people).
constexpr uint64_t kRegionPopulationMax = 100'000'000;

bool LoadRegionsCsv(const std::string& path, std::vector<Region>* regions, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = fmt::format("{}: cannot open: {}", path, std::strerror(errno));
    return false;
  }
  std::string line;
  int number = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      header_seen = true;
      continue;
    }
    const auto fields = SplitCsv(line);
    // The offset exactly +HH:MM, 00:00..14:00 (sscanf took "+99:00", "+5:00x", "+-3:00").
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    const std::string offset = fields.size() == 7 ? fields[6] : "";
    const bool offset_shaped = offset.size() == 6 && offset[0] == '+' && digit(offset[1]) && digit(offset[2]) &&
                               offset[3] == ':' && digit(offset[4]) && digit(offset[5]);
    const int hours = offset_shaped ? (offset[1] - '0') * 10 + (offset[2] - '0') : 0;
    const int minutes = offset_shaped ? (offset[4] - '0') * 10 + (offset[5] - '0') : 0;
    if (!offset_shaped || minutes > 59 || hours * 60 + minutes > 14 * 60) {
      *error = fmt::format("{}:{}: expected 7 fields ending in an offset +HH:MM (+00:00..+14:00)", path, number);
      return false;
    }
    // The population: a whole number of people a region can have (std::stoull threw on "abc", and
    // sample aborted; 2^64 - 1 had it grow without bound).
    uint64_t population = 0;
    const std::string& count = fields[3];
    const auto [end, problem] = std::from_chars(count.data(), count.data() + count.size(), population);
    if (count.empty() || problem != std::errc() || end != count.data() + count.size() || population > kRegionPopulationMax) {
      *error = fmt::format("{}:{}: the population (field 4) is a whole number 0..{}, not '{}'", path, number,
                           kRegionPopulationMax, count);
      return false;
    }
    Region region{fields[0], fields[1], fields[2], population, static_cast<int16_t>(hours * 60 + minutes)};
    regions->push_back(std::move(region));
  }
  return true;
}

std::vector<fb::ActionT> CalendarActions(const std::vector<CalendarRow>& rows, int64_t instant_ms,
                                         const std::string& key_prefix) {
  std::map<int, std::vector<const CalendarRow*>> by_year;
  for (const auto& row : rows) by_year[row.date / 10000].push_back(&row);
  std::vector<fb::ActionT> actions;
  for (const auto& [year, days] : by_year) {
    fb::ActionT action;
    action.schema_version = 1;
    action.idempotency_key = fmt::format("{}calendar-{}", key_prefix, year);
    action.instant_ms = instant_ms;
    action.actor = std::make_unique<fb::ActorT>();
    action.actor->role = fb::Role::EducationDepartment;
    action.actor->name = "Ministry of Labour and Social Protection";
    fb::UpdateCalendarT update;
    for (const CalendarRow* row : days) {
      auto day = std::make_unique<fb::CalendarDayT>();
      day->date = row->date;
      day->kind = row->kind;
      day->note = row->note;
      update.days.push_back(std::move(day));
    }
    action.body.Set(std::move(update));
    actions.push_back(std::move(action));
  }
  return actions;
}

}  // namespace kezek::workload
