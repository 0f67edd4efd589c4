// kezek run: a data directory opened, which folds every logged input its state does not reflect yet.
#include <chrono>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/runtime.h"

namespace kezek::cli {
namespace {

constexpr const char* kRunUsage = R"(usage: kezek run --data DIR [--batch N]

Opens DIR (recovering torn log tails), and folds every logged input that the state does not
reflect yet, committing every --batch inputs. Prints what it did and the resulting status.
Progress goes to standard error (a redrawn line on a terminal, a line every 10 s otherwise).
Killed at any point (Ctrl-C, kill -9), it loses nothing: the next run goes on from the last
commit.
)";

}  // namespace

int Run(int argc, char** argv) {
  if (HasFlag(argc, argv, "--kafka")) return KafkaRun(argc, argv);
  const auto args = Parse(argc, argv, 2, {"--data", "--batch", "--crash-at"}, {"--no-sync"});
  if (!args) return 2;
  if (!NoArguments(*args, "run")) return 2;
  if (args->help) return fmt::print("{}", kRunUsage), 0;
  const auto started = std::chrono::steady_clock::now();
  auto options = RuntimeOptions(*args);
  if (!options) return 2;
  if (!args->options.contains("--data")) return fmt::print(stderr, "kezek run: --data DIR is required\n"), 2;
  // An empty directory is made a data directory; not inside another one (its logs or state).
  if (RefusedNewDataDirInside("run", "--data", args->options.at("--data"))) return 2;
  // Progress: a line redrawn on a terminal, one every 10 s in a log.
  std::optional<Progress> progress;
  options->progress = [&](uint64_t folded, uint64_t total) {
    if (!progress) progress.emplace("run", "inputs folded", total);
    progress->Update(folded);
  };
  std::unique_ptr<adapters::Runtime> runtime;  // opening catches up
  if (const auto s = adapters::Runtime::Open(args->options.at("--data"), *options, &runtime); !s.ok()) {
    if (progress) progress->Done();
    return OpenFailed("run", args->options.at("--data"), s);
  }
  if (progress) progress->Done();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print("{}opened and caught up in {:.3f} s\n", StatusText(*runtime), seconds);
  return 0;
}

}  // namespace kezek::cli
