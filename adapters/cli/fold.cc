// kezek fold: actions (JSON lines) folded in memory into a journal file, the summary and the state hash.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/cli/line_reader.h"
#include "adapters/embedded/journal_file.h"
#include "engine/engine.h"
#include "engine/limits.h"
#include "events/chain_hasher.h"
#include "events/codec.h"
#include "events/decode_ahead.h"
#include "events/input.h"
#include "projections/summary.h"
#include "workload/reference_data.h"

namespace kezek::cli {
namespace {

constexpr const char* kFoldUsage = R"(usage: kezek fold [options] [INPUT]

Folds actions, one JSON object per line (FlatBuffers' JSON form of schemas/actions.fbs), from
INPUT or standard input ("-"). Every line gets one journal record: applied, rejected (with a
stable code, docs/rejections.md) or duplicate; a blank line is rejected (MalformedJson), a line
over 256 KiB is rejected (LimitExceeded) and kept as its size, SHA-256 and first bytes. The
journal equals, byte for byte, the one 'kezek append' writes for the same input. Prints a summary
and the final state hash; the exit status is 0 even when inputs are rejected (rejections are
outcomes). An output file may not be the input, nor inside a data directory. With '--journal -'
or '--journal-json -' the journal is standard output (one of them at most) and the summary, or
--quiet's state hash, goes to standard error.

options:
  --journal FILE        write the binary journal (length-framed JournalRecord buffers)
  --journal-json FILE   write the journal as JSON lines
  --calendar [FILE]     first post the working-day calendar from FILE (default:
                        shared/data/kz-calendar-2020-2026.csv; FILE is the first of two
                        arguments, or the only one when it ends in .csv) as UpdateCalendar actions,
                        at the first input's instant, after a System ClockTick that
                        starts engine time there
  --quiet               print only the state hash
  --help                this text
)";

// The fold on this thread; the journal's hash chain and everything written of each record (the
// summary, the journal files) on the chain's thread (events/chain_hasher.h), in order; the lines
// decoded on a thread of their own (events/decode_ahead.h). The bytes are the one-core fold's.
struct Folder {
  Engine engine;
  events::Codec codec;  // the chain's thread's (RecordToJson)
  projections::Summary summary;
  adapters::JournalFileWriter journal;
  std::FILE* journal_json = nullptr;
  bool write_journal = false;
  std::string write_error;  // the chain's thread's first failure to write, read once it caught up
  std::atomic<bool> write_failed{false};  // ... and told the fold at once (it stops: a full disk)
  uint64_t offset = 0;
  events::ChainHasher chain{{}, [this](std::span<const uint8_t> record, const Sha256&) {
                              summary.Add(*fb::GetJournalRecord(record.data()));
                              if (!write_error.empty()) return;
                              if (write_journal && !journal.Append(record, &write_error)) {
                                write_failed.store(true, std::memory_order_relaxed);
                                return;
                              }
                              if (journal_json != nullptr) {
                                std::string line = codec.RecordToJson(record);
                                line += '\n';
                                if (std::fwrite(line.data(), 1, line.size(), journal_json) != line.size()) {
                                  write_error = fmt::format("--journal-json: write failed: {}", std::strerror(errno));
                                  write_failed.store(true, std::memory_order_relaxed);
                                }
                              }
                            }};

  Folder() {
    engine.HashRecords(false);  // the chain's thread hashes
    engine.TrackChanges(false);  // no store: each input's changes are forgotten
  }
  // One input, as the actions log of a data directory would hold it (events/input.h).
  bool Fold(std::span<const uint8_t> payload, std::string* error) {
    ApplyResult result;
    if (!events::FoldInput(engine, payload, offset++, &result, error)) return false;
    chain.Add(result.records);
    return true;
  }
  // Every record hashed and written: the engine's head set. False with *error if a write failed.
  bool Finish(std::string* error) {
    engine.SetHead(chain.Head());
    if (!write_error.empty()) *error = write_error;
    return write_error.empty();
  }
};

}  // namespace

int Fold(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--journal", "--journal-json"}, {"--quiet", "--calendar"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kFoldUsage), 0;
  std::vector<std::string> positional = args->positional;
  std::string calendar;
  if (args->options.contains("--calendar")) {
    // "--calendar FILE" or "--calendar" alone: FILE is the first of two arguments (whatever its
    // name: cal.txt beside an input was read as the input, and the input as a second one), or
    // the only one when it ends in .csv (the input is then standard input).
    if (positional.size() == 2 || (positional.size() == 1 && positional.front().ends_with(".csv"))) {
      calendar = positional.front();
      positional.erase(positional.begin());
    } else {
      calendar = workload::DefaultDataDir() + "/kz-calendar-2020-2026.csv";
    }
  }
  if (positional.size() > 1) return fmt::print(stderr, "kezek fold: one INPUT at most\n"), 2;
  const std::string input = positional.empty() ? "-" : positional.front();
  if (const std::string what = ActionsInputMistake(input); !what.empty()) {
    return fmt::print(stderr, "kezek fold: {}: {}\n", adapters::Printable(input), what), 2;
  }
  std::vector<std::string> outputs;
  for (const char* option : {"--journal", "--journal-json"}) {
    if (args->options.contains(option)) outputs.push_back(args->options.at(option));
  }
  for (const std::string& output : outputs) {
    if (RefusedInsideDataDir("fold", "", output)) return 2;
  }
  // Standard output is one journal's at most; the summary then goes to standard error (it was
  // written into the journal's stream: 'kezek journal -' read its words as a record's length).
  const auto stdout_outputs = std::count(outputs.begin(), outputs.end(), std::string("-"));
  if (stdout_outputs > 1) return fmt::print(stderr, "kezek fold: --journal and --journal-json are not both '-' (standard output)\n"), 2;
  std::FILE* const report = stdout_outputs == 1 ? stderr : stdout;
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
    return fmt::print(stderr, "kezek fold: {}\n", adapters::Printable(s.message())), 1;
  }

  Folder folder;
  std::string error;
  // The calendar is read before any output is opened: a calendar that cannot be read leaves the
  // files named by --journal and --journal-json as they were (they were emptied).
  std::vector<workload::CalendarRow> calendar_rows;
  if (!calendar.empty() && !workload::LoadCalendarCsv(calendar, &calendar_rows, &error)) {
    return fmt::print(stderr, "kezek fold: {}\n", adapters::Printable(error)), 1;
  }
  if (args->options.contains("--journal")) {
    if (!folder.journal.Open(args->options.at("--journal"), &error)) return fmt::print(stderr, "kezek fold: {}\n", adapters::Printable(error)), 1;
    folder.write_journal = true;
  }
  if (args->options.contains("--journal-json")) {
    const std::string& path = args->options.at("--journal-json");
    folder.journal_json = path == "-" ? stdout : std::fopen(path.c_str(), "w");
    if (folder.journal_json == nullptr) return fmt::print(stderr, "kezek fold: {}: cannot create\n", adapters::Printable(path)), 1;
  }
  const auto started = std::chrono::steady_clock::now();
  events::InputLine line;
  bool got = true;
  if (const auto s = reader->Next(&line, &got); !s.ok()) return fmt::print(stderr, "kezek fold: {}\n", s.message()), 1;
  if (!calendar.empty()) {
    // Engine time starts with a System clock tick (DESIGN §4): the calendar is posted at the first
    // input's instant (2000-01-01 if it has none), after the tick that starts time there.
    int64_t at = limits::kInstantMsMin;
    std::vector<uint8_t> first;
    events::Codec codec;  // this thread's (the folder's is the chain's thread's)
    if (got && !line.oversize && codec.ParseAction(line.text, &first).code == fb::RejectionCode::None) {
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
    for (auto& action : workload::CalendarActions(calendar_rows, at, "default-")) preload.push_back(std::move(action));
    for (const auto& action : preload) {
      if (!folder.Fold(events::EncodeAction(events::Codec::Pack(action)), &error)) {
        return fmt::print(stderr, "kezek fold: {}\n", adapters::Printable(error)), 1;
      }
    }
  }
  {
    // The lines read and decoded on their own thread (the first one, read above, first), folded
    // here a batch at a time, each input's hint given kPrefetchAhead inputs before its fold.
    bool first = got;
    events::DecodeAhead decoded([&](events::InputLine* next, std::string* failure) {
      if (first) {
        first = false;
        *next = std::move(line);
        return true;
      }
      bool more = false;
      if (const auto s = reader->Next(next, &more); !s.ok()) {
        *failure = adapters::Printable(s.message());
        return false;
      }
      return more;
    });
    if (got) {
      while (const events::DecodeAhead::Batch* batch = decoded.Next()) {
        if (folder.write_failed.load(std::memory_order_relaxed)) break;  // said by Finish
        for (size_t i = 0; i < batch->size(); ++i) {
          if (i + events::kPrefetchAhead < batch->size()) {
            events::PrefetchInput(folder.engine, batch->payload(i + events::kPrefetchAhead));
          }
          if (!folder.Fold(batch->payload(i), &error)) return fmt::print(stderr, "kezek fold: {}\n", adapters::Printable(error)), 1;
        }
      }
      if (!decoded.error().empty()) return fmt::print(stderr, "kezek fold: {}\n", decoded.error()), 1;
    }
  }
  if (!folder.Finish(&error)) return fmt::print(stderr, "kezek fold: {}\n", adapters::Printable(error)), 1;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!folder.journal.Close(&error)) return fmt::print(stderr, "kezek fold: {}\n", adapters::Printable(error)), 1;
  if (folder.journal_json != nullptr) {
    const bool flushed = std::fflush(folder.journal_json) == 0 && std::ferror(folder.journal_json) == 0;
    const int error_number = errno;
    if (folder.journal_json != stdout) std::fclose(folder.journal_json);
    if (!flushed) return fmt::print(stderr, "kezek fold: --journal-json: write failed: {}\n", std::strerror(error_number)), 1;
  }
  if (args->options.contains("--quiet")) {
    fmt::print(report, "{}\n", projections::Hex(folder.engine.StateHash()));
  } else {
    fmt::print(report, "{}", folder.summary.Render(folder.engine));
    fmt::print(report, "folded {} inputs in {:.3f} s\n", folder.summary.records(), seconds);
  }
  return 0;
}

}  // namespace kezek::cli
