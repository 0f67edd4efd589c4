// kezek: the command line. Each command has --help. Exit status: 0 success, 1 failure (the
// message says what and where), 2 usage error.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/journal_file.h"
#include "adapters/limits.h"
#include "adapters/line_reader.h"
#include "adapters/runtime.h"
#include "engine/civil_time.h"
#include "engine/engine.h"
#include "engine/limits.h"
#include "events/answer.h"
#include "events/codec.h"
#include "events/input.h"
#include "projections/summary.h"
#include "replay/reference_data.h"
#include "replay/simulation.h"

namespace kezek {
namespace {

constexpr const char* kUsage = R"(kezek: the event-sourced queue and voucher engine for kindergarten vouchers

usage: kezek <command> [options]
       kezek --version

commands:
  demo       generate a city's history from a seed, fold it, print what was decided
  sample     write a generated city history as JSON lines of actions
  fold       fold actions (JSON lines) into a journal; print the outcome and state hash
  journal    print a journal as JSON lines, checking its hash chain
  append     log actions durably in a data directory, fold them, answer each with its outcome
  run        fold every logged action a data directory's state does not reflect yet
  backup     copy a data directory (RocksDB checkpoint plus both logs), restorable
  status     offsets, hashes and sizes of a data directory
  serve      the HTTP API for portal backends and staff systems, on a data directory
  projections  rebuild the read models' store from the journal, or verify it against a rebuild

'kezek <command> --help' tells each command's options.
)";

constexpr const char* kFoldUsage = R"(usage: kezek fold [options] [INPUT]

Folds actions, one JSON object per line (FlatBuffers' JSON form of schemas/actions.fbs), from
INPUT or standard input ("-"). Every line gets one journal record: applied, rejected (with a
stable code, docs/rejections.md) or duplicate; a blank line is rejected (MalformedJson), a line
over 256 KiB is rejected (LimitExceeded) and kept as its size, SHA-256 and first bytes. The
journal equals, byte for byte, the one 'kezek append' writes for the same input. Prints a summary
and the final state hash; the exit status is 0 even when inputs are rejected (rejections are
outcomes). An output file may not be the input.

options:
  --journal FILE        write the binary journal (length-framed JournalRecord buffers)
  --journal-json FILE   write the journal as JSON lines
  --calendar [FILE]     first post the working-day calendar from FILE (default:
                        shared/data/kz-calendar-2020-2026.csv) as UpdateCalendar actions,
                        at the first input's instant, after a System ClockTick that
                        starts engine time there
  --quiet               print only the state hash
  --help                this text
)";

constexpr const char* kSampleUsage = R"(usage: kezek sample [options]

Writes a city's queue history (Almaty, with the real calendar, from 1 January of --first-year)
as JSON lines of actions, generated deterministically from the seed.

options:
  --seed N             default 2025
  --applications N     default 20000
  --births             size the history from births instead: every locality's population x
                       19.7 births a year per 1000 people x 80% of families filing, over the
                       months covered (about 2.2 million applications for the country over 84
                       months); children are born in the cohorts and file at 0-6 years
  --months N           default 24
  --first-year Y       default 2024
  --output FILE        default standard output
  --data DIR           shared/data (default: the one this build was configured with)
  --country            every region and city of republican significance (kz-regions.csv) as a
                       locality with its own UTC offset before 1 March 2024, sized by population
  --help               this text
)";

constexpr const char* kDemoUsage = R"(usage: kezek demo [options]

The main job on the embedded default: generates a city's history from the seed (see 'kezek sample
--help'), folds it in memory, and prints what was decided, a family's notifications, the fold's
throughput, and the state hash; the fold is checked against the generator's own engine.

With --store DIR (a new directory), the same history then goes through the embedded durable
runtime: logged with fsync'd group commit, folded, journaled and kept in RocksDB in DIR, which
'kezek status/run/backup --data DIR' then work on; its state hash is checked against the fold's.

options: --seed N, --applications N, --births, --months N, --first-year Y, --data DIR (shared/data,
as for sample), --country, --store DIR, --help
)";

constexpr const char* kJournalUsage = R"(usage: kezek journal FILE | --data DIR

Prints each record of a journal as a JSON line, after checking the FlatBuffers Verifier and the
SHA-256 hash chain of every record: FILE is a journal written by 'kezek fold --journal'; --data
reads the durable journal of a data directory, read-only (no lock: it works while 'kezek append'
runs). The JSON prints every field, text as UTF-8, prev_sha256 as hex digits and raw_input as a
string (docs/architecture.md, "JSON").
)";

constexpr const char* kAppendUsage = R"(usage: kezek append --data DIR [options] [INPUT]

Reads actions as JSON lines from INPUT or standard input, appends them to DIR's actions log (fsync
once per batch: an input is acknowledged only when it is on disk), folds them, writes their journal
records and the state, and prints one answer per input: a JSON line of schemas/answers.fbs (its
input offset, journal sequence, idempotency key, outcome, rejection code and reason, decisions; a
repeat gets the original's outcome and decisions). Every line is an input, as in 'kezek fold'. A
batch closes when it is full or when no more input arrives within 10 ms (a pipe is answered line
by line). Creates DIR if it does not exist (and leaves nothing behind if it then fails).

options:
  --data DIR        the data directory (required)
  --batch N         inputs per batch (group commit), default 4096
  --log-only        only log the inputs durably; 'kezek run' folds them
  --resume          skip as many input lines as DIR's actions log already holds (to finish an
                    interrupted import of the same INPUT); refused unless those lines are, input
                    for input, what the log holds
  --quiet           no line per input, only the summary on standard error
  --no-sync         no fsync (benchmarks and tests only: an acknowledged input may be lost)
  --help            this text
)";

constexpr const char* kRunUsage = R"(usage: kezek run --data DIR [--batch N]

Opens DIR (recovering torn log tails), and folds every logged input that the state does not
reflect yet, committing every --batch inputs. Prints what it did and the resulting status.
)";

constexpr const char* kBackupUsage = R"(usage: kezek backup --data DIR --to DEST

Writes DEST (which must not exist): a RocksDB checkpoint of DIR's state and copies of its actions
log and journal. DEST is a data directory: 'kezek status --data DEST' and 'kezek run --data DEST'
work on it, and it can take DIR's place.
)";

constexpr const char* kStatusUsage = R"(usage: kezek status --data DIR

Prints the data directory's offsets (logged inputs, applied inputs, journal records), hashes
(journal head, state hash), the engine's time and sizes (logs, state on disk). Read-only: takes no
lock, recovers, cuts and folds nothing (inputs not folded yet show as pending); it works while
another process appends, and for a user who may not write DIR.
)";

struct Args {
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
  bool help = false;
};

std::optional<Args> Parse(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                          const std::vector<std::string>& flags) {
  Args args;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      args.help = true;
    } else if (std::find(with_value.begin(), with_value.end(), arg) != with_value.end()) {
      if (i + 1 >= argc) {
        fmt::print(stderr, "kezek: {} needs a value\n", arg);
        return std::nullopt;
      }
      args.options[arg] = argv[++i];
    } else if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
      args.options[arg] = "";
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      fmt::print(stderr, "kezek: unknown option {}\n", arg);
      return std::nullopt;
    } else {
      args.positional.push_back(arg);
    }
  }
  return args;
}

std::optional<uint64_t> Number(const Args& args, const std::string& name, uint64_t fallback) {
  const auto it = args.options.find(name);
  if (it == args.options.end()) return fallback;
  // Digits only: std::stoull would take "-1" as 18446744073709551615.
  if (!it->second.empty() && it->second.find_first_not_of("0123456789") == std::string::npos) {
    try {
      return std::stoull(it->second);
    } catch (const std::exception&) {  // out of range
    }
  }
  fmt::print(stderr, "kezek: {} takes a whole number, not '{}'\n", name, it->second);
  return std::nullopt;
}

std::optional<replay::SimulationOptions> SimulationFrom(const Args& args) {
  replay::SimulationOptions options;
  const auto seed = Number(args, "--seed", options.seed);
  const auto applications = Number(args, "--applications", options.applications);
  const auto months = Number(args, "--months", static_cast<uint64_t>(options.months));
  const auto first_year = Number(args, "--first-year", static_cast<uint64_t>(options.first_year));
  if (!seed || !applications || !months || !first_year) return std::nullopt;
  if (*applications == 0 || *applications > 20'000'000 || *months == 0 || *months > 84 || *first_year < 2020 ||
      *first_year > 2026) {
    fmt::print(stderr, "kezek: --applications 1..20000000, --months 1..84, --first-year 2020..2026\n");
    return std::nullopt;
  }
  options.seed = *seed;
  options.applications = static_cast<uint32_t>(*applications);
  options.months = static_cast<int>(*months);
  options.first_year = static_cast<int>(*first_year);
  if (args.options.contains("--data")) options.data_dir = args.options.at("--data");
  options.country = args.options.contains("--country");
  options.births_sized = args.options.contains("--births");
  if (options.births_sized && args.options.contains("--applications")) {
    fmt::print(stderr, "kezek: --births sizes the history itself; leave out --applications\n");
    return std::nullopt;
  }
  return options;
}

int Sample(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--seed", "--applications", "--months", "--first-year", "--output", "--data"},
                          {"--country", "--births"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kSampleUsage), 0;
  const auto options = SimulationFrom(*args);
  if (!options) return 2;
  std::FILE* out = stdout;
  const std::string path = args->options.contains("--output") ? args->options.at("--output") : "-";
  if (path != "-" && (out = std::fopen(path.c_str(), "w")) == nullptr) {
    fmt::print(stderr, "kezek: {}: cannot create\n", path);
    return 1;
  }
  events::Codec codec;
  replay::SimulationSummary summary;
  std::string error;
  const bool ok = replay::Simulate(*options, [&](std::span<const uint8_t> bytes) {
    fmt::print(out, "{}\n", codec.ActionToJson(bytes));
  }, &summary, &error);
  if (out != stdout) std::fclose(out);
  if (!ok) return fmt::print(stderr, "kezek: {}\n", error), 1;
  fmt::print(stderr, "kezek sample: {} actions ({} applications filed)\n", summary.actions, summary.filed);
  return 0;
}

struct Folder {
  Engine engine;
  events::Codec codec;
  projections::Summary summary;
  adapters::JournalFileWriter journal;
  std::FILE* journal_json = nullptr;
  bool write_journal = false;
  uint64_t offset = 0;

  // One input, as the actions log of a data directory would hold it (events/input.h).
  bool Fold(std::span<const uint8_t> payload, std::string* error) {
    ApplyResult result;
    if (!events::FoldInput(engine, payload, offset++, &result, error)) return false;
    summary.Add(*fb::GetJournalRecord(result.record.data()));
    if (write_journal && !journal.Append(result.record, error)) return false;
    if (journal_json != nullptr) fmt::print(journal_json, "{}\n", codec.RecordToJson(result.record));
    return true;
  }
};

// Whether two paths name the same file (or would: one of them need not exist yet).
bool SameFile(const std::string& a, const std::string& b) {
  if (a == "-" || b == "-") return false;
  std::error_code error;
  if (std::filesystem::exists(a, error) && std::filesystem::exists(b, error)) return std::filesystem::equivalent(a, b, error);
  return std::filesystem::weakly_canonical(a, error) == std::filesystem::weakly_canonical(b, error);
}

int Fold(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--journal", "--journal-json"}, {"--quiet", "--calendar"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kFoldUsage), 0;
  std::vector<std::string> positional = args->positional;
  std::string calendar;
  if (args->options.contains("--calendar")) {
    // "--calendar FILE" or "--calendar" alone: a following .csv positional is the calendar.
    if (!positional.empty() && positional.front().ends_with(".csv")) {
      calendar = positional.front();
      positional.erase(positional.begin());
    } else {
      calendar = replay::DefaultDataDir() + "/kz-calendar-2020-2026.csv";
    }
  }
  if (positional.size() > 1) return fmt::print(stderr, "kezek fold: one INPUT at most\n"), 2;
  const std::string input = positional.empty() ? "-" : positional.front();
  std::vector<std::string> outputs;
  for (const char* option : {"--journal", "--journal-json"}) {
    if (args->options.contains(option)) outputs.push_back(args->options.at(option));
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (const std::string& other : {input, calendar}) {
      if (!other.empty() && SameFile(outputs[i], other)) {
        return fmt::print(stderr, "kezek fold: {} is an input; an output may not overwrite it\n", outputs[i]), 2;
      }
    }
    if (i == 1 && SameFile(outputs[0], outputs[1])) {
      return fmt::print(stderr, "kezek fold: --journal and --journal-json name the same file {}\n", outputs[1]), 2;
    }
  }
  std::unique_ptr<adapters::LineReader> reader;
  if (const auto s = adapters::LineReader::Open(input, &reader); !s.ok()) {
    return fmt::print(stderr, "kezek fold: {}\n", s.message()), 1;
  }

  Folder folder;
  std::string error;
  if (args->options.contains("--journal")) {
    if (!folder.journal.Open(args->options.at("--journal"), &error)) return fmt::print(stderr, "kezek fold: {}\n", error), 1;
    folder.write_journal = true;
  }
  if (args->options.contains("--journal-json")) {
    const std::string& path = args->options.at("--journal-json");
    folder.journal_json = path == "-" ? stdout : std::fopen(path.c_str(), "w");
    if (folder.journal_json == nullptr) return fmt::print(stderr, "kezek fold: {}: cannot create\n", path), 1;
  }
  const auto started = std::chrono::steady_clock::now();
  events::InputLine line;
  bool got = true;
  if (const auto s = reader->Next(&line, &got); !s.ok()) return fmt::print(stderr, "kezek fold: {}\n", s.message()), 1;
  if (!calendar.empty()) {
    std::vector<replay::CalendarRow> rows;
    if (!replay::LoadCalendarCsv(calendar, &rows, &error)) return fmt::print(stderr, "kezek fold: {}\n", error), 1;
    // Engine time starts with a System clock tick (DESIGN §4): the calendar is posted at the first
    // input's instant (2000-01-01 if it has none), after the tick that starts time there.
    int64_t at = limits::kInstantMsMin;
    std::vector<uint8_t> first;
    if (got && !line.oversize && folder.codec.ParseAction(line.text, &first).code == fb::RejectionCode::None) {
      at = std::clamp(fb::GetAction(first.data())->instant_ms(), limits::kInstantMsMin, limits::kInstantMsMax);
    }
    std::vector<fb::ActionT> preload;
    fb::ActionT tick;
    tick.schema_version = kSchemaVersion;
    tick.idempotency_key = "default-clock";
    tick.instant_ms = at;
    tick.actor = std::make_unique<fb::ActorT>();
    tick.actor->role = fb::Role::System;
    tick.body.Set(fb::ClockTickT{});
    preload.push_back(std::move(tick));
    for (auto& action : replay::CalendarActions(rows, at, "default-")) preload.push_back(std::move(action));
    for (const auto& action : preload) {
      if (!folder.Fold(events::EncodeAction(events::Codec::Pack(action)), &error)) {
        return fmt::print(stderr, "kezek fold: {}\n", error), 1;
      }
    }
  }
  for (; got;) {
    if (!folder.Fold(events::EncodeInput(folder.codec, line), &error)) return fmt::print(stderr, "kezek fold: {}\n", error), 1;
    if (const auto s = reader->Next(&line, &got); !s.ok()) return fmt::print(stderr, "kezek fold: {}\n", s.message()), 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!folder.journal.Close(&error)) return fmt::print(stderr, "kezek fold: {}\n", error), 1;
  if (folder.journal_json != nullptr && folder.journal_json != stdout) std::fclose(folder.journal_json);
  if (args->options.contains("--quiet")) {
    fmt::print("{}\n", projections::Hex(folder.engine.StateHash()));
  } else {
    fmt::print("{}", folder.summary.Render(folder.engine));
    fmt::print("folded {} inputs in {:.3f} s\n", folder.summary.records(), seconds);
  }
  return 0;
}

// What a file that is no journal file is, and which command reads it (kezek journal FILE).
std::string WhatFileIs(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return "";
  unsigned char head[12] = {0};  // a journal file: u32 length, then the record (identifier at 4)
  const size_t n = std::fread(head, 1, sizeof head, file);
  std::fclose(file);
  if (n >= 4 && std::memcmp(head, "KZLG", 4) == 0) {
    return "it is a segment of a data directory's log (actions/ or journal/): 'kezek journal --data DIR' reads a "
           "data directory's journal";
  }
  if (n >= 8 && std::memcmp(head + 4, "KZAC", 4) == 0) return "it is an action buffer, not a journal";
  size_t first = 0;
  while (first < n && std::isspace(head[first])) ++first;
  if (first < n && head[first] == '{') {
    return "it holds JSON lines (actions, or a journal printed as JSON): 'kezek fold FILE' folds actions; 'kezek "
           "journal' reads the binary journal 'kezek fold --journal' writes";
  }
  if (n > 0 && (n < 12 || std::memcmp(head + 8, "KZJR", 4) != 0)) {
    return "it is no journal file (a journal file's first record is a KZJR buffer framed by its length, as 'kezek fold "
           "--journal' writes)";
  }
  return "";
}

int Journal(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kJournalUsage), 0;
  const bool from_data = args->options.contains("--data");
  if (args->positional.size() != (from_data ? 0u : 1u)) return fmt::print(stderr, "{}", kJournalUsage), 2;
  events::Codec codec;
  Sha256Hasher sha256;
  Sha256 previous{};
  uint64_t sequence = 0;
  std::string problem;
  std::string error;
  const auto visit = [&](std::span<const uint8_t> bytes) {
    if (!problem.empty()) return;
    flatbuffers::Verifier verifier(bytes.data(), bytes.size());
    if (!fb::VerifyJournalRecordBuffer(verifier)) {
      problem = fmt::format("record {}: fails the FlatBuffers Verifier", sequence);
      return;
    }
    const fb::JournalRecord* record = fb::GetJournalRecord(bytes.data());
    const auto* prev = record->prev_sha256();
    if (record->sequence() != sequence || prev == nullptr || prev->size() != 32 ||
        !std::equal(prev->begin(), prev->end(), previous.begin())) {
      problem = fmt::format("record {}: breaks the hash chain (sequence {}, expected previous {})", sequence,
                            record->sequence(), projections::Hex(previous));
      return;
    }
    fmt::print("{}\n", codec.RecordToJson(bytes));
    previous = sha256.Of(bytes);
    ++sequence;
  };
  if (from_data) {
    std::unique_ptr<adapters::Runtime> runtime;
    adapters::Runtime::Options options;
    options.say = [](const std::string& message) { fmt::print(stderr, "kezek journal: {}\n", message); };
    if (const auto s = adapters::Runtime::OpenReadOnly(args->options.at("--data"), options, &runtime); !s.ok()) {
      return fmt::print(stderr, "kezek journal: {}\n", s.ToString()), 1;
    }
    if (const auto s = runtime->journal_log().Read(0, [&](uint64_t, std::span<const uint8_t> r) { visit(r); return problem.empty(); }); !s.ok()) {
      return fmt::print(stderr, "kezek journal: {}\n", s.ToString()), 1;
    }
  } else if (const std::string what = WhatFileIs(args->positional[0]); !what.empty()) {
    return fmt::print(stderr, "kezek journal: {}: {}\n", args->positional[0], what), 1;
  } else if (!adapters::ReadJournalFile(args->positional[0], visit, &error)) {
    return fmt::print(stderr, "kezek journal: {}\n", error), 1;
  }
  if (!problem.empty()) return fmt::print(stderr, "kezek journal: {}\n", problem), 1;
  fmt::print(stderr, "kezek journal: {} records, chain intact, head {}\n", sequence, projections::Hex(previous));
  return 0;
}

std::optional<adapters::Runtime::Options> RuntimeOptions(const Args& args) {
  adapters::Runtime::Options options;
  const auto batch = Number(args, "--batch", options.batch_max);
  const auto crash = Number(args, "--crash-at", 0);
  if (!batch || !crash || *batch == 0 || *batch > limits::kBatchInputsMax) {
    fmt::print(stderr, "kezek: --batch takes 1..{}\n", limits::kBatchInputsMax);
    return std::nullopt;
  }
  options.batch_max = *batch;
  options.crash_at = *crash;
  options.log.sync = !args.options.contains("--no-sync");
  options.say = [](const std::string& message) { fmt::print(stderr, "kezek: {}\n", message); };
  return options;
}

// An instant as a person reads it: ISO 8601 in UTC, to the second ("-" before any action).
std::string IsoUtc(InstantMs instant) {
  if (instant.value <= 0) return "-";
  const int64_t day = instant.value >= 0 ? instant.value / kMsPerDay : (instant.value - kMsPerDay + 1) / kMsPerDay;
  const int64_t ms_of_day = instant.value - day * kMsPerDay;
  const int64_t seconds = ms_of_day / 1000;
  return fmt::format("{}T{:02}:{:02}:{:02}Z", civil::FormatIso(LocalDate{static_cast<int32_t>(day)}), seconds / 3600,
                     seconds / 60 % 60, seconds % 60);
}

std::string StatusText(const adapters::Runtime& runtime) {
  const State& s = runtime.engine().state();
  const uint64_t journal_ahead = runtime.journal().end() - s.next_sequence;
  return fmt::format(
      "data directory: {}\n"
      "actions log:    {} inputs, {} bytes\n"
      "applied:        {} inputs ({} pending)\n"
      "journal:        {} records{}, {} bytes, head {}\n"
      "state:          {} applications, {} vouchers, engine time {}, {} bytes on disk\n"
      "state hash:     {}\n",
      runtime.dir(), runtime.actions().end(), runtime.actions().bytes(), runtime.applied(),
      runtime.actions().end() - runtime.applied(), runtime.journal().end(),
      journal_ahead == 0 ? "" : fmt::format(" ({} past the state: re-derived when a writer opens it)", journal_ahead),
      runtime.journal().bytes(), projections::Hex(s.head_sha256), s.applications.size() - 1, s.vouchers.size() - 1,
      IsoUtc(s.now), runtime.StateBytesOnDisk(), projections::Hex(runtime.engine().StateHash()));
}

int OpenData(const Args& args, const char* command, bool create, std::unique_ptr<adapters::Runtime>* runtime) {
  if (!args.options.contains("--data")) return fmt::print(stderr, "kezek {}: --data DIR is required\n", command), 2;
  auto options = RuntimeOptions(args);
  if (!options) return 2;
  options->create = create;
  if (const auto s = adapters::Runtime::Open(args.options.at("--data"), *options, runtime); !s.ok()) {
    return fmt::print(stderr, "kezek {}: {}\n", command, s.ToString()), 1;
  }
  return 0;
}

// --resume: the logged inputs must be, input for input, the first lines of INPUT (each line made
// an input again and compared with what the log holds). Reads those lines from `reader`.
adapters::Status CheckResume(adapters::Runtime& runtime, adapters::LineReader& reader, const std::string& input) {
  events::Codec codec;
  events::InputLine line;
  adapters::Status problem;
  const adapters::Status read = runtime.actions_log().Read(0, [&](uint64_t index, std::span<const uint8_t> logged) {
    bool got = false;
    if (problem = reader.Next(&line, &got); !problem.ok()) return false;
    if (!got) {
      problem = adapters::Status::InvalidArgument(fmt::format(
          "--resume: {} has {} lines, but {}'s actions log holds {} inputs: it is not the INPUT they came from", input,
          index, runtime.dir(), runtime.actions().end()));
      return false;
    }
    const std::vector<uint8_t> again = events::EncodeInput(codec, line);
    if (!std::equal(again.begin(), again.end(), logged.begin(), logged.end())) {
      problem = adapters::Status::InvalidArgument(fmt::format(
          "--resume: line {} of {} is not input {} of {}'s actions log: it is not the INPUT they came from; nothing "
          "was appended", index + 1, input, index, runtime.dir()));
      return false;
    }
    return true;
  });
  return read.ok() ? problem : read;
}

int Append(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data", "--batch", "--crash-at"}, {"--quiet", "--log-only", "--no-sync", "--resume"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kAppendUsage), 0;
  if (args->positional.size() > 1) return fmt::print(stderr, "kezek append: one INPUT at most\n"), 2;
  const std::string input = args->positional.empty() ? "-" : args->positional.front();
  std::unique_ptr<adapters::LineReader> reader;  // opened first: a missing INPUT creates no data directory
  if (const auto s = adapters::LineReader::Open(input, &reader); !s.ok()) {
    return fmt::print(stderr, "kezek append: {}\n", s.message()), 1;
  }
  std::unique_ptr<adapters::Runtime> runtime;
  if (const int rc = OpenData(*args, "append", true, &runtime); rc != 0) return rc;
  const bool quiet = args->options.contains("--quiet");
  const bool log_only = args->options.contains("--log-only");
  const size_t batch = RuntimeOptions(*args)->batch_max;
  if (args->options.contains("--resume")) {
    if (const auto s = CheckResume(*runtime, *reader, input); !s.ok()) {
      return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
    }
  }
  events::Codec codec;
  std::vector<events::InputLine> lines;
  uint64_t inputs = 0;
  const auto started = std::chrono::steady_clock::now();
  const auto flush = [&]() -> adapters::Status {
    inputs += lines.size();
    adapters::Status s = log_only ? runtime->LogOnly(lines) : runtime->Append(lines, [&](const adapters::Runtime::Answer& a) {
      if (!quiet) fmt::print("{}\n", codec.AnswerToJson(events::AnswerOf(a.input, a.record, a.original)));
    });
    lines.clear();
    std::fflush(stdout);
    return s;
  };
  events::InputLine line;
  for (bool got = true;;) {
    // A batch closes when it is full, or when the writer of a pipe has nothing more for now.
    if (!lines.empty() && !reader->Ready(limits::kBatchWaitMsMax)) {
      if (const auto s = flush(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
    }
    if (const auto s = reader->Next(&line, &got); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.message()), 1;
    if (!got) break;
    lines.push_back(std::move(line));
    if (lines.size() == batch) {
      if (const auto s = flush(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
    }
  }
  if (const auto s = flush(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print(stderr, "kezek append: {} inputs {} in {:.3f} s ({:.0f}/s)\n", inputs, log_only ? "logged" : "logged and folded",
             seconds, static_cast<double>(inputs) / std::max(seconds, 1e-9));
  return 0;
}

int Run(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data", "--batch", "--crash-at"}, {"--no-sync"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kRunUsage), 0;
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<adapters::Runtime> runtime;  // opening catches up
  if (const int rc = OpenData(*args, "run", false, &runtime); rc != 0) return rc;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print("{}opened and caught up in {:.3f} s\n", StatusText(*runtime), seconds);
  return 0;
}

int Backup(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data", "--to"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kBackupUsage), 0;
  if (!args->options.contains("--to")) return fmt::print(stderr, "kezek backup: --to DEST is required\n"), 2;
  std::unique_ptr<adapters::Runtime> runtime;
  if (const int rc = OpenData(*args, "backup", false, &runtime); rc != 0) return rc;
  if (const auto s = runtime->Backup(args->options.at("--to")); !s.ok()) {
    return fmt::print(stderr, "kezek backup: {}\n", s.ToString()), 1;
  }
  fmt::print("backup of {} written to {}: {} inputs, {} journal records, state hash {}\n", runtime->dir(),
             args->options.at("--to"), runtime->actions().end(), runtime->journal().end(),
             projections::Hex(runtime->engine().StateHash()));
  return 0;
}

int StatusCommand(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kStatusUsage), 0;
  if (!args->options.contains("--data")) return fmt::print(stderr, "kezek status: --data DIR is required\n"), 2;
  adapters::Runtime::Options options;
  options.say = [](const std::string& message) { fmt::print(stderr, "kezek status: {}\n", message); };
  std::unique_ptr<adapters::Runtime> runtime;
  if (const auto s = adapters::Runtime::OpenReadOnly(args->options.at("--data"), options, &runtime); !s.ok()) {
    return fmt::print(stderr, "kezek status: {}\n", s.ToString()), 1;
  }
  fmt::print("{}", StatusText(*runtime));
  return 0;
}

int Demo(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--seed", "--applications", "--months", "--first-year", "--data", "--store"},
                          {"--country", "--births"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kDemoUsage), 0;
  const std::string store = args->options.contains("--store") ? args->options.at("--store") : "";
  if (!store.empty() && std::filesystem::exists(store) && !std::filesystem::is_empty(store)) {
    return fmt::print(stderr, "kezek demo: {} exists and is not empty; --store takes a new directory\n", store), 2;
  }
  const auto options = SimulationFrom(*args);
  if (!options) return 2;
  uint64_t applications = options->applications;
  std::string error;
  if (options->births_sized && !replay::BirthsSizedApplications(*options, &applications, &error)) {
    return fmt::print(stderr, "kezek demo: {}\n", error), 1;
  }
  fmt::print("Kezek demo: {} applications{} in {} over {} months from {}-01-01, seed {}\n", applications,
             options->births_sized ? " (sized by births)" : "", options->country ? "Kazakhstan's 20 regions and cities" : "г. Алматы", options->months,
             options->first_year, options->seed);
  std::vector<std::vector<uint8_t>> log;
  replay::SimulationSummary generated;
  auto t0 = std::chrono::steady_clock::now();
  if (!replay::Simulate(*options, [&](std::span<const uint8_t> b) { log.emplace_back(b.begin(), b.end()); }, &generated, &error)) {
    return fmt::print(stderr, "kezek demo: {}\n", error), 1;
  }
  const double generate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("generated {} actions in {:.2f} s ({} portal retries, {} mistyped IINs among them)\n\n", log.size(),
             generate_s, generated.duplicates_sent, generated.invalid_sent);

  Engine engine;
  projections::Summary summary;
  std::map<uint64_t, std::vector<std::string>> feed;  // one family's notifications
  const uint64_t followed = 1 + options->seed % 50;
  t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < log.size(); ++i) {
    const ApplyResult result = engine.Apply(log[i], i);
    const fb::JournalRecord* record = fb::GetJournalRecord(result.record.data());
    summary.Add(*record);
    if (record->decisions() == nullptr) continue;
    for (const fb::Decision* d : *record->decisions()) {
      const auto* n = d->body_as_Notification();
      if (n != nullptr && n->application() == followed) {
        const LocalDate day = engine.state().offsets.LocalDateOf(LocalityId{1}, InstantMs{record->engine_time_ms()});
        feed[followed].push_back(fmt::format("  {}  {}\n  {}  {}", civil::FormatDotted(day), n->text_ru()->str(),
                                             std::string(10, ' '), n->text_kk()->str()));
      }
    }
  }
  const double fold_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("{}", summary.Render(engine));
  fmt::print("\nnotifications of application #{} (ru / kk):\n", followed);
  for (const auto& line : feed[followed]) fmt::print("{}\n", line);
  fmt::print("\nfirst five in the longest queue:\n");
  const Queue* longest = nullptr;
  for (const Queue& q : engine.state().queues) if (longest == nullptr || q.size() > longest->size()) longest = &q;
  if (longest != nullptr && longest->size() > 0) {
    std::vector<std::pair<uint64_t, uint64_t>> ranked;
    longest->ForEach([&](const QueueEntry& e, Line) {
      ranked.emplace_back(*engine.PositionOf(e.application), e.application.value);
    });
    std::sort(ranked.begin(), ranked.end());
    fmt::print("  queue: born {}, {} language, {} applications waiting\n", longest->key().birth_year,
               fb::EnumNameLanguage(longest->key().language), longest->size());
    for (size_t i = 0; i < std::min<size_t>(5, ranked.size()); ++i) {
      const Application& a = engine.state().app(ApplicationId{ranked[i].second});
      fmt::print("  {:>3}. #{:<7} {:<18} category {:<22} filed {}\n", ranked[i].first, a.id.value, a.child_name,
                 engine.state().categories[a.category],
                 civil::FormatDotted(engine.state().offsets.LocalDateOf(a.locality, a.filed_at)));
    }
  }
  const bool same = engine.StateHash() == generated.state_sha256;
  fmt::print("\nfolded {} actions in {:.3f} s: {:.0f} actions/s on one core\n", log.size(), fold_s,
             static_cast<double>(log.size()) / fold_s);
  fmt::print("replay check: the fold's state hash {} the generator's engine\n", same ? "equals" : "DIFFERS FROM");
  if (!same || store.empty()) return same ? 0 : 1;

  // The embedded default: the same history through the durable runtime.
  adapters::Runtime::Options options_durable;
  options_durable.create = true;
  options_durable.batch_max = 4096;
  options_durable.say = [](const std::string& message) { fmt::print(stderr, "kezek: {}\n", message); };
  std::unique_ptr<adapters::Runtime> runtime;
  if (const auto s = adapters::Runtime::Open(store, options_durable, &runtime); !s.ok()) {
    return fmt::print(stderr, "kezek demo: {}\n", s.ToString()), 1;
  }
  events::Codec codec;
  std::vector<std::string> lines;
  lines.reserve(log.size());
  for (const auto& bytes : log) lines.push_back(codec.ActionToJson(bytes));
  t0 = std::chrono::steady_clock::now();
  if (const auto s = runtime->Append(lines, {}); !s.ok()) return fmt::print(stderr, "kezek demo: {}\n", s.ToString()), 1;
  const double durable_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool durable_same = runtime->engine().StateHash() == engine.StateHash();
  fmt::print("\nembedded durable runtime: {} inputs as JSON lines logged, folded, journaled and stored in {:.2f} s "
             "({:.0f}/s, fsync'd group commit of 4096)\n{}", lines.size(), durable_s,
             static_cast<double>(lines.size()) / durable_s, StatusText(*runtime));
  fmt::print("durable check: the stored state's hash {} the in-memory fold's\n", durable_same ? "equals" : "DIFFERS FROM");
  return durable_same ? 0 : 1;
}

}  // namespace
}  // namespace kezek

int main(int argc, char** argv) {
  if (argc < 2) return fmt::print(stderr, "{}", kezek::kUsage), 2;
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") return fmt::print("{}", kezek::kUsage), 0;
  if (command == "--version" || command == "version") {
    fmt::print("kezek {} (action and journal schema version {}, state format {})\n", KEZEK_VERSION, kezek::kSchemaVersion,
               kezek::state_codec::kStateFormatVersion);
    return 0;
  }
  if (command == "fold") return kezek::Fold(argc, argv);
  if (command == "sample") return kezek::Sample(argc, argv);
  if (command == "demo") return kezek::Demo(argc, argv);
  if (command == "journal") return kezek::Journal(argc, argv);
  if (command == "append") return kezek::Append(argc, argv);
  if (command == "run") return kezek::Run(argc, argv);
  if (command == "backup") return kezek::Backup(argc, argv);
  if (command == "status") return kezek::StatusCommand(argc, argv);
  if (command == "serve") return kezek::cli::Serve(argc, argv);
  if (command == "projections") return kezek::cli::Projections(argc, argv);
  fmt::print(stderr, "kezek: unknown command '{}'\n\n{}", command, kezek::kUsage);
  return 2;
}
