// kezek append: actions logged durably in a data directory, folded, and answered one by one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/cli/line_reader.h"
#include "adapters/embedded/runtime.h"
#include "adapters/limits.h"
#include "events/answer.h"
#include "events/codec.h"
#include "events/input.h"

namespace kezek::cli {
namespace {

constexpr const char* kAppendUsage = R"(usage: kezek append --data DIR [options] [INPUT]

Reads actions as JSON lines from INPUT or standard input, appends them to DIR's actions log (fsync
once per batch: an input is acknowledged only when it is on disk), folds them, writes their journal
records and the state, and prints one answer per input: a JSON line of schemas/answers.fbs (its
input offset, journal sequence, idempotency key, outcome, rejection code and reason, decisions; a
repeat gets the original's outcome and decisions). Every line is an input, as in 'kezek fold'. A
batch closes when it is full, when no more input arrives within 10 ms (a pipe is answered line
by line), or when its first line has waited 100 ms (a steady trickle is answered within about
that). Creates DIR if it does not exist (and leaves nothing behind if it then fails).

options:
  --data DIR        the data directory (required)
  --batch N         inputs per batch (group commit), default 4096
  --log-only        only log the inputs durably; 'kezek run' folds them
  --resume          skip as many input lines as DIR's actions log already holds (to finish an
                    interrupted import of the same INPUT); refused unless those lines are, input
                    for input, what the log holds
  --quiet           no line per input, only the summary on standard error (and, for a file
                    INPUT, progress: a redrawn line on a terminal, one every 10 s otherwise)
  --no-sync         no fsync (benchmarks and tests only: an acknowledged input may be lost)
  --help            this text
)";

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

}  // namespace

int Append(int argc, char** argv) {
  if (HasFlag(argc, argv, "--kafka")) return KafkaAppend(argc, argv);
  const auto args = Parse(argc, argv, 2, {"--data", "--batch", "--crash-at"}, {"--quiet", "--log-only", "--no-sync", "--resume"});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kAppendUsage), 0;
  if (args->positional.size() > 1) return fmt::print(stderr, "kezek append: one INPUT at most\n"), 2;
  const std::string input = args->positional.empty() ? "-" : args->positional.front();
  if (const std::string what = ActionsInputMistake(input); !what.empty()) {
    return fmt::print(stderr, "kezek append: {}: {}\n", adapters::Printable(input), what), 2;
  }
  std::unique_ptr<adapters::LineReader> reader;  // opened first: a missing INPUT creates no data directory
  if (const auto s = adapters::LineReader::Open(input, &reader); !s.ok()) {
    return fmt::print(stderr, "kezek append: {}\n", adapters::Printable(s.message())), 1;
  }
  std::unique_ptr<adapters::Runtime> runtime;
  // Write-behind: a batch's state write lands beside the next batch's fold; settled whenever the
  // input pauses and at the end, so that a reader of the directory never waits on a busy pipe.
  if (const int rc = OpenData(*args, "append", true, &runtime, /*write_behind=*/true); rc != 0) return rc;
  const bool quiet = args->options.contains("--quiet");
  const bool log_only = args->options.contains("--log-only");
  const size_t batch = RuntimeOptions(*args)->batch_max;
  const size_t held = batch * std::max<size_t>(1, limits::kAppendLinesHeld / batch);  // whole batches
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
    // --quiet: no answers at all (a repeat's original records are then not read back either).
    const std::function<void(const adapters::Runtime::Answer&)> print = [&](const adapters::Runtime::Answer& a) {
      // Notifications made from templates are answered with their words too (the engine's book).
      fmt::print("{}\n", codec.AnswerToJson(events::AnswerOf(a.input, a.records, a.original,
                                                             &runtime->engine().state().template_book)));
    };
    adapters::Status s = log_only ? runtime->LogOnly(lines) : runtime->Append(lines, quiet ? nullptr : print);
    lines.clear();
    std::fflush(stdout);
    return s;
  };
  // With --quiet, progress on standard error: the bytes of a file INPUT read so far.
  std::error_code size_error;
  const uint64_t total_bytes = input != "-" && std::filesystem::is_regular_file(input, size_error)
                                   ? std::filesystem::file_size(input, size_error) : 0;
  std::optional<Progress> progress;
  if (quiet && total_bytes > 0) progress.emplace("append", "bytes of INPUT read", total_bytes);
  uint64_t bytes_read = 0;
  // Ctrl-C: the lines read so far are appended (durably), then it stops; --resume goes on.
  CatchInterrupt(true);
  reader->StopOn(&Interrupted());
  events::InputLine line;
  // When the first line of the lines not yet logged was read: a steady trickle (a line every few
  // milliseconds, never 10 ms apart) waited for a whole batch of 4,096, tens of seconds.
  std::chrono::steady_clock::time_point oldest{};
  const auto aged = [&] {
    return std::chrono::steady_clock::now() - oldest >= std::chrono::milliseconds(limits::kBatchAgeMsMax);
  };
  for (bool got = true;;) {
    // A batch closes when it is full, when the writer of a pipe has nothing more for now, or when
    // its first line has waited kBatchAgeMsMax.
    const bool old = !lines.empty() && aged();
    const bool idle = !lines.empty() && !reader->Ready(old ? 0 : limits::kBatchWaitMsMax);
    if (old || idle) {
      // Whole batches held while more input waits (a burst, then a trickle): logged and folded
      // now, the pipeline left running. A partial batch, or a pause: settled too, every answer out.
      const bool settle = idle || lines.size() < batch;
      if (const auto s = flush(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
      if (settle) {
        if (const auto s = runtime->Settle(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
      }
    }
    if (Interrupted().load()) {
      if (progress) progress->Done();
      if (const auto s = flush(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
      if (const auto s = runtime->Settle(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
      fmt::print(stderr, "kezek append: interrupted after {} inputs, each durable{}; the rest of {} was not read "
                         "('kezek append --resume' goes on)\n", inputs, log_only ? "" : " and folded", input);
      return 130;
    }
    if (const auto s = reader->Next(&line, &got); !s.ok()) {
      if (Interrupted().load()) continue;  // Ctrl-C while waiting for input: stopped above
      return fmt::print(stderr, "kezek append: {}\n", s.message()), 1;
    }
    if (!got) break;
    bytes_read += line.bytes + 1;
    if (progress) progress->Update(bytes_read);
    if (lines.empty()) oldest = std::chrono::steady_clock::now();
    lines.push_back(std::move(line));
    // A full batch goes at once unless more input is already waiting (a file, a fast writer): then
    // up to `held` lines go together, each batch logged while the one before folds. A steady
    // trickle is still answered batch by batch.
    if (lines.size() % batch == 0 && (lines.size() == held || !reader->Ready(0))) {
      if (const auto s = flush(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
    }
  }
  if (progress) progress->Done();
  CatchInterrupt(false);
  if (const auto s = flush(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
  if (const auto s = runtime->Settle(); !s.ok()) return fmt::print(stderr, "kezek append: {}\n", s.ToString()), 1;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print(stderr, "kezek append: {} inputs {} in {:.3f} s ({:.0f}/s)\n", inputs, log_only ? "logged" : "logged and folded",
             seconds, static_cast<double>(inputs) / std::max(seconds, 1e-9));
  return 0;
}

}  // namespace kezek::cli
