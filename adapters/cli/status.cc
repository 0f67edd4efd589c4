// kezek status: a data directory's offsets, hashes and sizes, read-only.
#include <memory>
#include <string>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/runtime.h"
#include "engine/engine.h"
#include "projections/summary.h"

namespace kezek::cli {
namespace {

constexpr const char* kStatusUsage = R"(usage: kezek status --data DIR [--as-of WHEN | --as-of-sequence N]

Prints the data directory's offsets (logged inputs, applied inputs, journal records), hashes
(journal head, state hash), the engine's time and sizes (logs, state on disk). Read-only: takes no
lock, recovers, cuts and folds nothing (inputs not folded yet show as pending); it works while
another process appends, and for a user who may not write DIR. Exit 0; 1 when DIR cannot be read,
or when its state does not load or contradicts its logs: then what the logs hold is printed (the
journal's head from its last record), the state's line says what is wrong, and standard error
what finds and repairs it (docs/audit.md, "A damaged state").

As of (docs/audit.md): the state as it was after the journal's first N records, or after every
record up to WHEN (a date YYYY-MM-DD through its end in Kazakhstan, or YYYY-MM-DDTHH:MM:SSZ):
loaded from the newest checkpoint before it ('kezek replay checkpoint') and the inputs after it
folded again, each record compared with the journal's. Its state hash is the one a run stopped
there had.
)";

// A data directory whose state does not load (or that does not open): what its logs say, what is
// wrong (`problem`, the state's line), and what repairs it. Exit status 1.
int DamagedStatus(const std::string& data, LogsOfDir* logs, const std::string& problem) {
  adapters::SegmentLog& actions = logs->actions_log();
  adapters::SegmentLog& journal = logs->journal_log();
  Sha256 head{};
  const adapters::Status read = JournalHead(journal, &head);
  fmt::print("data directory: {}\nactions log:    {} inputs, {} bytes\n", adapters::Printable(data), actions.end(), actions.bytes());
  if (logs->runtime) {  // the state's own entry says it, read without loading the rest
    fmt::print("applied:        {} inputs ({} pending)\n", logs->runtime->applied(), actions.end() - logs->runtime->applied());
  }
  fmt::print("journal:        {} records, {} bytes, head {}\n", journal.end(), journal.bytes(),
             read.ok() ? projections::Hex(head) : fmt::format("unknown ({})", read.ToString()));
  fmt::print("state:          {}\n", problem);
  SayRepair("status", data);
  return 1;
}

}  // namespace

int StatusCommand(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data", "--as-of", "--as-of-sequence"}, {});
  if (!args) return 2;
  if (!NoArguments(*args, "status")) return 2;
  if (args->help) return fmt::print("{}", kStatusUsage), 0;
  if (!args->options.contains("--data")) return fmt::print(stderr, "kezek status: --data DIR is required\n"), 2;
  std::optional<adapters::AsOfTarget> target;
  if (!AsOfFrom(*args, "status", &target)) return 2;
  const std::string data = args->options.at("--data");
  if (!target) {
    LogsOfDir logs;
    const auto say = [](const std::string& message) { fmt::print(stderr, "kezek status: {}\n", message); };
    if (const auto s = OpenLogsOf(data, say, &logs); !s.ok()) {
      return fmt::print(stderr, "kezek status: {}\n", s.ToString()), 1;
    }
    if (!logs.runtime) {
      return DamagedStatus(data, &logs, "NOT READ: " + logs.open_problem);
    }
    if (const auto loaded = logs.runtime->LoadState(); !loaded.ok()) {
      return DamagedStatus(data, &logs, fmt::format("DOES NOT LOAD: {}", loaded.ToString()));
    }
    return fmt::print("{}", StatusText(*logs.runtime)), 0;
  }
  // As of: the logs alone (the stored state is today's), from the checkpoint before the point.
  adapters::AsOfPoint point;
  std::unique_ptr<Engine> engine;
  const adapters::Status s = adapters::OpenAsOf(data, *target, &point, &engine, nullptr);
  for (const std::string& note : point.notes) fmt::print(stderr, "kezek status: {}\n", note);
  if (!s.ok()) return fmt::print(stderr, "kezek status: {}\n", s.ToString()), 1;
  const State& state = engine->state();
  fmt::print("data directory: {}\n{}\nstate:          {} applications, {} vouchers, engine time {}\nstate hash:     {}\n",
             adapters::Printable(data), AsOfText(point), state.applications.size() - 1, state.vouchers.size() - 1,
             IsoUtc(state.now), projections::Hex(engine->StateHash()));
  return 0;
}

}  // namespace kezek::cli
