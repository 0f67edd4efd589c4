// kezek run: a data directory opened, which folds every logged input its state does not reflect yet.
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/runtime.h"

namespace kezek::cli {
namespace {

constexpr const char* kRunUsage = R"(usage: kezek run --data DIR [--batch N]

Opens DIR (recovering torn log tails), and folds every logged input that the state does not
reflect yet, committing every --batch inputs. Prints what it did and the resulting status.
)";

}  // namespace

int Run(int argc, char** argv) {
  if (HasFlag(argc, argv, "--kafka")) return KafkaRun(argc, argv);
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

}  // namespace kezek::cli
