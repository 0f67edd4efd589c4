// kezek: the command line. Each command has --help. Exit status: 0 success, 1 failure (the
// message says what and where), 2 usage error.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "adapters/journal_file.h"
#include "engine/civil_time.h"
#include "engine/engine.h"
#include "events/codec.h"
#include "projections/summary.h"
#include "replay/reference_data.h"
#include "replay/simulation.h"

namespace kezek {
namespace {

constexpr const char* kUsage = R"(kezek: the event-sourced queue and voucher engine for kindergarten vouchers

usage: kezek <command> [options]

commands:
  demo       generate a city's history from a seed, fold it, print what was decided
  sample     write a generated city history as JSON lines of actions
  fold       fold actions (JSON lines) into a journal; print the outcome and state hash
  journal    print a binary journal as JSON lines, checking its hash chain

'kezek <command> --help' tells each command's options.
)";

constexpr const char* kFoldUsage = R"(usage: kezek fold [options] [INPUT]

Folds actions, one JSON object per line (FlatBuffers' JSON form of schemas/actions.fbs), from
INPUT or standard input ("-"). Every line gets one journal record: applied, rejected (with a
stable code, docs/rejections.md) or duplicate. Blank lines are skipped. Prints a summary and the
final state hash; the exit status is 0 even when inputs are rejected (rejections are outcomes).

options:
  --journal FILE        write the binary journal (length-framed JournalRecord buffers)
  --journal-json FILE   write the journal as JSON lines
  --calendar [FILE]     first post the working-day calendar from FILE (default:
                        shared/data/kz-calendar-2020-2026.csv) as UpdateCalendar actions
  --quiet               print only the state hash
  --help                this text
)";

constexpr const char* kSampleUsage = R"(usage: kezek sample [options]

Writes a city's queue history (Almaty, with the real calendar, from 1 January of --first-year)
as JSON lines of actions, generated deterministically from the seed.

options:
  --seed N             default 2025
  --applications N     default 20000
  --months N           default 24
  --first-year Y       default 2024
  --output FILE        default standard output
  --data DIR           shared/data (default: the one this build was configured with)
  --help               this text
)";

constexpr const char* kDemoUsage = R"(usage: kezek demo [options]

The main job on the embedded default: generates a city's history from the seed (see 'kezek sample
--help'), folds it in memory, and prints what was decided, a family's notifications, the fold's
throughput, and the state hash; the fold is checked against the generator's own engine.

options: --seed N, --applications N, --months N, --first-year Y, --data DIR (as for sample), --help
)";

constexpr const char* kJournalUsage = R"(usage: kezek journal FILE

Prints each record of a binary journal (written by 'kezek fold --journal') as a JSON line, after
checking the FlatBuffers Verifier and the SHA-256 hash chain of every record.
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
  try {
    size_t used = 0;
    const uint64_t value = std::stoull(it->second, &used);
    if (used == it->second.size()) return value;
  } catch (const std::exception&) {
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
  return options;
}

int Sample(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--seed", "--applications", "--months", "--first-year", "--output", "--data"}, {});
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

  bool Take(const ApplyResult& result, std::string* error) {
    summary.Add(*fb::GetJournalRecord(result.record.data()));
    if (write_journal && !journal.Append(result.record, error)) return false;
    if (journal_json != nullptr) fmt::print(journal_json, "{}\n", codec.RecordToJson(result.record));
    return true;
  }
  bool FoldJson(const std::string& line, std::string* error) {
    std::vector<uint8_t> bytes;
    const events::CodecError parse = codec.ParseAction(line, &bytes);
    if (parse.code != fb::RejectionCode::None) {
      const std::span<const uint8_t> raw(reinterpret_cast<const uint8_t*>(line.data()), line.size());
      return Take(engine.RejectInput(raw, parse.code, parse.reason, offset++), error);
    }
    return Take(engine.Apply(bytes, offset++), error);
  }
};

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
  std::ifstream file;
  if (input != "-") {
    file.open(input);
    if (!file) return fmt::print(stderr, "kezek fold: {}: cannot open\n", input), 1;
  }
  std::istream& in = input == "-" ? std::cin : file;

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
  if (!calendar.empty()) {
    std::vector<replay::CalendarRow> rows;
    if (!replay::LoadCalendarCsv(calendar, &rows, &error)) return fmt::print(stderr, "kezek fold: {}\n", error), 1;
    for (const auto& action : replay::CalendarActions(rows, 946'684'800'000, "default-")) {
      if (!folder.Take(folder.engine.Apply(events::Codec::Pack(action), folder.offset++), &error)) {
        return fmt::print(stderr, "kezek fold: {}\n", error), 1;
      }
    }
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      ++folder.offset;
      continue;
    }
    if (!folder.FoldJson(line, &error)) return fmt::print(stderr, "kezek fold: {}\n", error), 1;
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

int Journal(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kJournalUsage), 0;
  if (args->positional.size() != 1) return fmt::print(stderr, "{}", kJournalUsage), 2;
  events::Codec codec;
  Sha256 previous{};
  uint64_t sequence = 0;
  std::string problem;
  std::string error;
  const bool read = adapters::ReadJournalFile(args->positional[0], [&](std::span<const uint8_t> bytes) {
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
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), previous.data(), &length, EVP_sha256(), nullptr);
    ++sequence;
  }, &error);
  if (!read) return fmt::print(stderr, "kezek journal: {}\n", error), 1;
  if (!problem.empty()) return fmt::print(stderr, "kezek journal: {}\n", problem), 1;
  fmt::print(stderr, "kezek journal: {} records, chain intact, head {}\n", sequence, projections::Hex(previous));
  return 0;
}

int Demo(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--seed", "--applications", "--months", "--first-year", "--data"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kDemoUsage), 0;
  const auto options = SimulationFrom(*args);
  if (!options) return 2;
  fmt::print("Kezek demo: {} applications in г. Алматы over {} months from {}-01-01, seed {}\n",
             options->applications, options->months, options->first_year, options->seed);
  std::vector<std::vector<uint8_t>> log;
  replay::SimulationSummary generated;
  std::string error;
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
  return same ? 0 : 1;
}

}  // namespace
}  // namespace kezek

int main(int argc, char** argv) {
  if (argc < 2) return fmt::print(stderr, "{}", kezek::kUsage), 2;
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") return fmt::print("{}", kezek::kUsage), 0;
  if (command == "fold") return kezek::Fold(argc, argv);
  if (command == "sample") return kezek::Sample(argc, argv);
  if (command == "demo") return kezek::Demo(argc, argv);
  if (command == "journal") return kezek::Journal(argc, argv);
  fmt::print(stderr, "kezek: unknown command '{}'\n\n{}", command, kezek::kUsage);
  return 2;
}
