// kezek status: a data directory's offsets, hashes and sizes, read-only.
#include <memory>
#include <string>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/runtime.h"

namespace kezek::cli {
namespace {

constexpr const char* kStatusUsage = R"(usage: kezek status --data DIR

Prints the data directory's offsets (logged inputs, applied inputs, journal records), hashes
(journal head, state hash), the engine's time and sizes (logs, state on disk). Read-only: takes no
lock, recovers, cuts and folds nothing (inputs not folded yet show as pending); it works while
another process appends, and for a user who may not write DIR.
)";

}  // namespace

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

}  // namespace kezek::cli
