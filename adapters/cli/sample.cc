// kezek sample: a generated city history as JSON lines of actions (workload/simulation.h).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "events/codec.h"
#include "workload/simulation.h"

namespace kezek::cli {
namespace {

constexpr const char* kSampleUsage = R"(usage: kezek sample [options]

Writes a city's queue history (Almaty, with the real calendar, from 1 January of --first-year)
as JSON lines of actions, generated deterministically from the seed.

options:
  --seed N             default 2025
  --applications N     default 20000
  --births             size the history from births instead: every locality's births (18.15 a
                       year per 1000 people in 2024, the regions' own where published, 10.5%
                       fewer from 2025) x 95% of families filing, over the months covered (about
                       2.4 million applications for the country over 84 months); children are
                       born in the cohorts and file at 0-6 years. Either way the queue already
                       waiting on the first day (its published size, scaled) is filed first
  --months N           default 24
  --first-year Y       default 2024
  --output FILE        default standard output (not inside a data directory)
  --data DIR           shared/data (default: the one this build was configured with)
  --country            every region and city of republican significance (kz-regions.csv) as a
                       locality with its own UTC offset before 1 March 2024, sized by births
  --inline-texts       post no message templates: the engine writes every notification's texts
                       out in full (by default the catalogue's own texts are posted first as
                       templates, SetMessageTemplates, and notifications carry their arguments)
  --calibration        print the history's figures beside Kazakhstan's published ones
                       (shared/data/kz-preschool-figures.md) on standard error
  --help               this text
)";

}  // namespace

int Sample(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--seed", "--applications", "--months", "--first-year", "--output", "--data"},
                          {"--country", "--births", "--calibration", "--inline-texts"});
  if (!args) return 2;
  if (!NoArguments(*args, "sample")) return 2;
  if (args->help) return fmt::print("{}", kSampleUsage), 0;
  auto options = SimulationFrom(*args);
  if (!options) return 2;
  options->message_templates = !args->options.contains("--inline-texts");
  std::FILE* out = stdout;
  const std::string path = args->options.contains("--output") ? args->options.at("--output") : "-";
  if (RefusedInsideDataDir("sample", "--output", path)) return 2;
  // Nor over the reference data the history is made from (its calendar was overwritten, exit 0).
  if (std::error_code e; path != "-") {
    const auto canonical = [&](const std::filesystem::path& p) { return std::filesystem::weakly_canonical(std::filesystem::absolute(p, e), e); };
    const std::filesystem::path reference = canonical(options->data_dir.empty() ? workload::DefaultDataDir() : options->data_dir);
    if (canonical(std::filesystem::path(path)).parent_path() == reference) {
      return fmt::print(stderr, "kezek sample: --output {} is inside the reference data directory {}: it may not overwrite what "
                                "the history is made from\n", adapters::Printable(path), adapters::Printable(reference.string())), 2;
    }
  }
  // The file is created when the first action is ready: a history that cannot be made (reference
  // data missing) leaves a file of that name as it was (it was emptied). Whether it can be written
  // is found first (a births-sized history takes minutes to make): a regular file or a new one is
  // opened to append, without truncating, and a new one removed again.
  if (std::error_code e; path != "-" && (!std::filesystem::exists(path, e) || std::filesystem::is_regular_file(path, e))) {
    const bool existed = std::filesystem::exists(path, e);
    std::FILE* probe = std::fopen(path.c_str(), "a");
    if (probe == nullptr) {
      fmt::print(stderr, "kezek sample: {}: cannot create: {}\n", adapters::Printable(path), std::strerror(errno));
      return 1;
    }
    std::fclose(probe);
    if (!existed) std::filesystem::remove(path, e);
  }
  bool opened = path == "-";
  const auto open = [&] {
    opened = true;
    if ((out = std::fopen(path.c_str(), "w")) != nullptr) return true;
    fmt::print(stderr, "kezek sample: {}: cannot create: {}\n", adapters::Printable(path), std::strerror(errno));
    return false;
  };
  events::Codec codec;
  workload::SimulationSummary summary;
  std::string error;
  const bool ok = workload::Simulate(*options, [&](std::span<const uint8_t> bytes) {
    if (!opened && !open()) return;
    if (out != nullptr) fmt::print(out, "{}\n", codec.ActionToJson(bytes));
  }, &summary, &error);
  if (ok && !opened && !open()) return 1;
  if (out == nullptr) return 1;  // said why
  if (out != stdout) std::fclose(out);
  if (!ok) return fmt::print(stderr, "kezek: {}\n", adapters::Printable(error)), 1;
  fmt::print(stderr, "kezek sample: {} actions ({} applications filed, {} of them the queue waiting on the first day)\n",
             summary.actions, summary.filed, summary.backlog);
  // The calendar file holds the years it was published for: a history past them counts every
  // Monday to Friday as a working day (no holidays, no transfers), as the engine does for a year no
  // UpdateCalendar has posted.
  const int last_month = options->first_year * 12 + options->months - 1;  // months since year 0
  if (summary.calendar_last_day != 0 && last_month / 12 > summary.calendar_last_day / 10000) {
    fmt::print(stderr,
               "kezek sample: warning: the history runs to {}-{:02d}, past the working-day calendar (its last day "
               "{}-{:02d}-{:02d}): after it, Monday to Friday count as working days, with no holidays\n",
               last_month / 12, last_month % 12 + 1, summary.calendar_last_day / 10000, summary.calendar_last_day / 100 % 100,
               summary.calendar_last_day % 100);
  }
  if (args->options.contains("--calibration")) fmt::print(stderr, "{}", workload::CalibrationTable(summary.calibration));
  return 0;
}

}  // namespace kezek::cli
