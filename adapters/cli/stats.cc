// kezek stats: an analyst's statistics of a journal (projections/history_stats.h), as of any
// instant or sequence, as a table, CSV or JSON.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/console_page.h"
#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/journal_file.h"
#include "adapters/embedded/segment_log.h"
#include "engine/civil_time.h"
#include "events/journal_chain.h"
#include "projections/history_stats.h"
#include "projections/summary.h"

namespace kezek::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStatsUsage = R"(usage: kezek stats (--data DIR | --journal FILE) [options]

Statistics of a journal per locality and queue (general, special) and for the whole country
(docs/audit.md, "Statistics"), read from the journal alone, its hash chain checked as it is read:
  flows          applications filed and queued, waiting now; vouchers issued, used (enrolled),
                 declined, expired (interest not confirmed, not enrolled in time) and returned
                 unused (withdrawn, school age); stop-list entries and returns to the queue;
                 archivals by reason; waiting time from filing to the first voucher and to
                 enrollment in days (median and 90th percentile)
  queue          applications waiting at the end of every month (Kazakhstan time, UTC+5), the
                 month under way as of the last record
  kindergartens  the most requested ДО: enrollment requests and enrollments

options:
  --data DIR             a data directory or backup (read-only; works beside a writer)
  --journal FILE         a journal file ('kezek fold --journal'; '-' or a pipe: read as it comes)
  --as-of WHEN           only what happened before WHEN: a date YYYY-MM-DD (through the end of
                         that day, Kazakhstan time) or an instant YYYY-MM-DDTHH:MM:SSZ (UTC)
  --as-of-sequence N     only the journal's first N records (through the input the Nth ends inside)
  --format F             text (default), csv or json
  --section S            with --format csv: flows (default), queue or kindergartens
  --top N                kindergartens listed (default 20; text: 10)
  --html FILE            ('-': standard output) write the auditors' console as one self-contained page instead (charts
                         of the queue by month and of vouchers per locality, the flows, the most
                         requested ДО, and the hash chain checked to the journal's end): it works
                         offline, nothing loaded from elsewhere (docs/audit.md, "The console");
                         not inside a data directory
  --help                 this text
)";

}  // namespace

int Stats(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data", "--journal", "--as-of", "--as-of-sequence", "--format", "--section", "--top", "--html"}, {});
  if (!args) return fmt::print(stderr, "{}", kStatsUsage), 2;
  if (args->help) return fmt::print("{}", kStatsUsage), 0;
  if (!NoArguments(*args, "stats")) return 2;
  const bool from_data = args->options.contains("--data");
  if (from_data == args->options.contains("--journal")) {
    return fmt::print(stderr, "kezek stats: one of --data DIR or --journal FILE\n{}", kStatsUsage), 2;
  }
  projections::HistoryStats::Bound bound;
  if (args->options.contains("--as-of")) {
    bound.before_ms = adapters::AsOfInstantEnd(args->options.at("--as-of"));
    if (!bound.before_ms) {
      return fmt::print(stderr, "kezek stats: --as-of takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ from 2000-01-01 to 2100-12-31, not '{}'\n",
                        adapters::Printable(args->options.at("--as-of"))), 2;
    }
  }
  if (args->options.contains("--as-of-sequence")) {
    const auto n = Number(*args, "--as-of-sequence", 0);
    if (!n) return 2;
    bound.before_sequence = *n;
  }
  const std::string format = args->options.contains("--format") ? args->options.at("--format") : "text";
  const std::string section = args->options.contains("--section") ? args->options.at("--section") : "flows";
  if (format != "text" && format != "csv" && format != "json") {
    return fmt::print(stderr, "kezek stats: --format is text, csv or json, not '{}'\n", adapters::Printable(format)), 2;
  }
  if (section != "flows" && section != "queue" && section != "kindergartens") {
    return fmt::print(stderr, "kezek stats: --section is flows, queue or kindergartens, not '{}'\n", adapters::Printable(section)), 2;
  }
  if (args->options.contains("--section") && format != "csv" && !args->options.contains("--html")) {
    return fmt::print(stderr, "kezek stats: --section chooses a CSV table: it goes with --format csv (text and JSON "
                              "hold every section)\n"), 2;
  }
  const bool html = args->options.contains("--html");
  if (html && RefusedInsideDataDir("stats", "--html", args->options.at("--html"), /*dash_is_stdout=*/true)) return 2;
  if (html && args->options.contains("--journal") && SameFile(args->options.at("--html"), args->options.at("--journal"))) {
    return fmt::print(stderr, "kezek stats: --html {} is the journal read; the page may not overwrite it\n",
                      adapters::Printable(args->options.at("--html"))), 2;
  }
  if (html && (args->options.contains("--format") || args->options.contains("--section"))) {
    return fmt::print(stderr, "kezek stats: --html writes a page: not with --format or --section\n"), 2;
  }
  const auto top = Number(*args, "--top", format == "text" ? 10 : 20);
  if (!top) return 2;
  if (*top > 100'000) return fmt::print(stderr, "kezek stats: --top is at most 100000\n"), 2;

  projections::HistoryStats stats(bound);
  events::JournalChain chain;
  std::string problem;
  bool reached = false;
  // The page reports the chain checked to the journal's end, past an as-of bound too.
  const auto visit = [&](std::span<const uint8_t> record) {
    if (!problem.empty() || (reached && !html)) return false;
    problem = chain.Add(record);
    if (!problem.empty()) return false;
    if (!reached) reached = !stats.Apply(record);
    return !reached || html;
  };
  CatchInterrupt(true);
  if (from_data && !html && (bound.before_ms || bound.before_sequence)) {
    // As of a point: from the newest checkpoint before it and the records after it (docs/audit.md,
    // "As of"); the chain is checked from the checkpoint's head on.
    adapters::AsOfTarget target;
    target.before_ms = bound.before_ms;
    target.sequence = bound.before_sequence;
    target.past_end_is_end = true;  // the journal's first N records: past its end, all of it
    adapters::AsOfPoint point;
    const adapters::Status s = adapters::OpenAsOf(args->options.at("--data"), target, &point, nullptr, nullptr, &stats);
    for (const std::string& note : point.notes) fmt::print(stderr, "kezek stats: {}\n", note);
    if (!s.ok()) return fmt::print(stderr, "kezek stats: {}\n", s.ToString()), 1;
    fmt::print(stderr, "kezek stats: {}\n", AsOfText(point));
  } else if (from_data) {
    // The journal; the state's meta alone (seconds to load the whole state for a country), which
    // the opening checks the logs against: a journal the state contradicts (cut short, another
    // directory's) is reported, not counted as this directory's.
    const std::string data = args->options.at("--data");
    if (const adapters::Status s = adapters::CheckDataDirectory(data); !s.ok()) {
      return fmt::print(stderr, "kezek stats: {}\n", adapters::Printable(s.message())), 1;
    }
    LogsOfDir logs;
    if (const int code = OpenJournalOf("stats", data, &logs); code != 0) return code;
    adapters::SegmentLog* journal = &logs.journal_log();
    Progress progress("stats", "records", journal->end());
    const auto s = journal->Read(0, [&](uint64_t index, std::span<const uint8_t> r) {
      if (Interrupted().load()) return false;
      progress.Update(index);
      return visit(r);
    });
    progress.Done();
    if (!s.ok()) return fmt::print(stderr, "kezek stats: {}\n", s.ToString()), 1;
  } else if (const std::string what = JournalFileMistake(args->options.at("--journal")); !what.empty()) {
    return fmt::print(stderr, "kezek stats: {}: {}\n", adapters::Printable(args->options.at("--journal")), what), 1;
  } else {
    std::string error;
    if (!adapters::ReadJournalFile(args->options.at("--journal"), [&](std::span<const uint8_t> r) {
          return !Interrupted().load() && visit(r);
        }, &error)) {
      return fmt::print(stderr, "kezek stats: {}\n", adapters::Printable(error)), 1;
    }
  }
  CatchInterrupt(false);
  if (Interrupted().load()) return fmt::print(stderr, "kezek stats: interrupted; nothing printed\n"), 130;
  if (html) {
    if (problem.empty()) problem = chain.End();
    const std::string json = fmt::format(
        "{{\"statistics\": {}, \"chain\": {{\"verified\": {}, \"records\": {}, \"head\": \"{}\", \"problem\": {}, "
        "\"source\": \"kezek stats --html\"}}}}",
        stats.Json(static_cast<uint32_t>(*top)), problem.empty() ? "true" : "false", chain.records(),
        projections::Hex(chain.head()), projections::JsonQuoted(problem));
    const std::string path = args->options.at("--html");
    errno = 0;
    const std::string page = console::PageWithData(json);
    const bool to_stdout = path == "-";  // as '-' is for fold --journal and sample --output (it wrote a file named '-')
    if (to_stdout) {
      if (std::fwrite(page.data(), 1, page.size(), stdout) != page.size() || std::fflush(stdout) != 0) {
        return fmt::print(stderr, "kezek stats: standard output cannot be written: {}\n", std::strerror(errno)), 1;
      }
    } else if (std::ofstream out(path, std::ios::binary | std::ios::trunc);
               !out || !out.write(page.data(), static_cast<std::streamsize>(page.size())) || !out.flush()) {
      const int why = errno;
      return fmt::print(stderr, "kezek stats: {}: cannot be written{}\n", adapters::Printable(path),
                        why != 0 ? fmt::format(": {}", std::strerror(why)) : std::string()), 1;
    }
    fmt::print(stderr, "kezek stats: wrote {} ({} bytes): {} records, chain {}\n",
               to_stdout ? std::string("the page to standard output") : adapters::Printable(path), page.size(),
               chain.records(), problem.empty() ? "verified" : "NOT verified: " + problem);
    return problem.empty() ? 0 : 1;
  }
  // Read to its end (no bound reached): a journal whose last input is torn is refused, as
  // `kezek journal` refuses it, not counted half-applied.
  if (problem.empty() && !reached) problem = chain.End();
  if (!problem.empty()) return fmt::print(stderr, "kezek stats: {}\n", problem), 1;
  if (format == "json") {
    fmt::print("{}", stats.Json(static_cast<uint32_t>(*top)));
  } else if (format == "csv") {
    fmt::print("{}", stats.Csv(section, static_cast<uint32_t>(*top)));
  } else {
    // Names come from the journal as posted (a locality's, a ДО's): none moves a terminal's cursor.
    fmt::print("statistics of {} journal records (to sequence {}), engine time {}\n\n{}", stats.records(),
               stats.next_sequence(), IsoUtc(InstantMs{stats.engine_time_ms()}),
               adapters::Printable(stats.Text(static_cast<uint32_t>(*top)), /*keep_newlines=*/true));
  }
  return 0;
}

}  // namespace kezek::cli
