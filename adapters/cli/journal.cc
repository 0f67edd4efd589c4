// kezek journal: a journal file or a data directory's journal as JSON lines, its hash chain checked.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/journal_file.h"
#include "adapters/embedded/segment_log.h"
#include "adapters/partition.h"
#include "engine/sha256.h"
#include "events/codec.h"
#include "events/journal_chain.h"
#include "projections/summary.h"

namespace kezek::cli {
namespace {

constexpr const char* kJournalUsage = R"(usage: kezek journal FILE | --data DIR

Prints each record of a journal as a JSON line, after checking the FlatBuffers Verifier and the
SHA-256 hash chain of every record and the order of an input's parts (a torn input is refused:
docs/domain.md, "One input, several records"): FILE is a journal written by 'kezek fold --journal'
('-' or a pipe: read as it comes); --data reads the durable journal of a data directory,
read-only (no lock: it works while 'kezek append' runs); damage the directory's opening finds is
said after the records, and a journal shorter than its state reflects (or whose head the state
contradicts) exits 1. The JSON prints every field, text as UTF-8, prev_sha256 as hex digits and raw_input as a
string (docs/architecture.md, "JSON").
)";

}  // namespace

int Journal(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kJournalUsage), 0;
  const bool from_data = args->options.contains("--data");
  if (args->positional.size() != (from_data ? 0u : 1u)) {
    return fmt::print(stderr, "kezek journal: {}\n{}",
                      from_data ? "--data DIR reads its journal: no FILE beside it" : "one FILE (or --data DIR)", kJournalUsage), 2;
  }
  events::Codec codec;
  events::JournalChain chain;
  std::string problem;
  std::string error;
  const auto visit = [&](std::span<const uint8_t> bytes) {
    if (!problem.empty()) return;
    problem = chain.Add(bytes);
    if (problem.empty()) fmt::print("{}\n", codec.RecordToJson(bytes));
  };
  std::string damage;  // --data: why the directory does not open whole, said after the records
  bool no_state_only = false;  // what it says is that there is no state directory: no damage, no repair
  if (from_data) {
    // The journal alone, read-only beside a writer: a damaged or missing state does not stop it,
    // nor a damaged actions log (the journal is then where the verbatim actions are read). What
    // the opening found is said after the records; a journal the state contradicts (shorter than
    // the state reflects, its head altered) is the damaged one: exit 1 (it exited 0, "chain intact").
    const std::string data = args->options.at("--data");
    std::unique_ptr<adapters::SegmentLog> journal;
    if (const auto s = adapters::OpenLogs(data, nullptr, &journal); !s.ok()) {
      return fmt::print(stderr, "kezek journal: {}\n", s.ToString()), 1;
    }
    {  // how the whole directory opens (read-only, the state's meta only), to say after the records
      LogsOfDir whole;
      const auto s = OpenLogsOf(data, [](const std::string&) {}, &whole);
      damage = !s.ok() ? s.ToString() : whole.open_problem;  // no state directory too: said as a note
      no_state_only = s.ok() && !whole.damaged;
    }
    if (const auto s = journal->Read(0, [&](uint64_t, std::span<const uint8_t> r) { visit(r); return problem.empty(); }); !s.ok()) {
      return fmt::print(stderr, "kezek journal: {}\n", s.ToString()), 1;
    }
  } else if (const std::string what = JournalFileMistake(args->positional[0]); !what.empty()) {
    return fmt::print(stderr, "kezek journal: {}: {}\n", adapters::Printable(args->positional[0]), what), 1;
  } else if (!adapters::ReadJournalFile(args->positional[0], [&](std::span<const uint8_t> r) { return visit(r), problem.empty(); },
                                        &error)) {
    return fmt::print(stderr, "kezek journal: {}\n", adapters::Printable(error)), 1;
  }
  if (problem.empty()) problem = chain.End();
  if (!problem.empty()) return fmt::print(stderr, "kezek journal: {}\n", problem), 1;
  fmt::print(stderr, "kezek journal: {} records, chain intact, head {}\n", chain.records(), projections::Hex(chain.head()));
  if (!damage.empty()) {
    // The journal is short of what the state reflects (it is damaged), or its last record the
    // state reflects hashes otherwise (the journal or the state is): exit 1 either way.
    const bool short_journal = damage.find(adapters::kJournalShort) != std::string::npos;
    const bool contradicted = damage.find(adapters::kHeadContradicted) != std::string::npos;
    const bool journal_damaged = short_journal || contradicted;
    fmt::print(stderr, "kezek journal: {}: {}\n",
               short_journal ? "the journal is damaged" : contradicted ? "the journal or the state is damaged" : "note", damage);
    if (!no_state_only) SayRepair("journal", args->options.at("--data"));
    return journal_damaged ? 1 : 0;
  }
  return 0;
}

}  // namespace kezek::cli
