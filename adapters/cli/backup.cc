// kezek backup: a data directory copied (RocksDB checkpoint plus both logs), restorable.
#include <memory>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/runtime.h"
#include "projections/summary.h"

namespace kezek::cli {
namespace {

constexpr const char* kBackupUsage = R"(usage: kezek backup --data DIR --to DEST

Writes DEST (which must not exist): a RocksDB checkpoint of DIR's state and copies of its actions
log and journal. DEST is a data directory: 'kezek status --data DEST' and 'kezek run --data DEST'
work on it, and it can take DIR's place. Every frame of the copied logs is read back, its checksum
checked: a damaged record anywhere in them refuses the backup (exit 1, nothing left). Until it is whole DEST holds a file UNFINISHED: a backup
killed part-way leaves a directory every command refuses, naming it (remove it, back up again).

DIR is opened as its writer opens it (it takes the lock: not beside a running 'append' or
'serve'), so it is first made whole as an opening makes it: logged inputs its state does not
reflect yet are folded ('catching up'), and a torn last record is cut (docs/architecture.md). The
backup is of that directory.
)";

}  // namespace

int Backup(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data", "--to"}, {});
  if (!args) return 2;
  if (!NoArguments(*args, "backup")) return 2;
  if (args->help) return fmt::print("{}", kBackupUsage), 0;
  if (!args->options.contains("--to")) return fmt::print(stderr, "kezek backup: --to DEST is required\n"), 2;
  if (RefusedNewDataDirInside("backup", "--to", args->options.at("--to"))) return 2;
  std::unique_ptr<adapters::Runtime> runtime;
  if (const int rc = OpenData(*args, "backup", false, &runtime); rc != 0) return rc;
  if (const auto s = runtime->Backup(args->options.at("--to")); !s.ok()) {
    return fmt::print(stderr, "kezek backup: {}\n", s.ToString()), 1;
  }
  fmt::print("backup of {} written to {}: {} inputs, {} journal records, state hash {}\n", adapters::Printable(runtime->dir()),
             adapters::Printable(args->options.at("--to")), runtime->actions().end(), runtime->journal().end(),
             projections::Hex(runtime->engine().StateHash()));
  return 0;
}

}  // namespace kezek::cli
