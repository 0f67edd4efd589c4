// kezek: the command line. Dispatch and the general usage only; each command lives in a file of
// its own (adapters/cli/<command>.cc, declared in commands.h) and has --help. Exit status: 0
// success, 1 failure (the message says what and where), 2 usage error.
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/line_reader.h"
#include "adapters/status.h"
#include "engine/engine.h"
#include "engine/state_codec.h"

namespace kezek::cli {
namespace {

struct Command {
  const char* name;
  const char* summary;  // its line in the general usage
  int (*run)(int argc, char** argv);
};

// Every command, in the order the usage lists them. A new command is a file of its own that
// defines it, its declaration in commands.h, a row here, and a line in adapters/CMakeLists.txt.
constexpr Command kCommands[] = {
    {"demo", "generate a city's history from a seed, fold it, print what was decided", Demo},
    {"sample", "write a generated city history as JSON lines of actions", Sample},
    {"fold", "fold actions (JSON lines) into a journal; print the outcome and state hash", Fold},
    {"journal", "print a journal as JSON lines, checking its hash chain", Journal},
    {"append", "log actions durably in a data directory, fold them, answer each with its outcome", Append},
    {"run", "fold every logged action a data directory's state does not reflect yet", Run},
    {"backup", "copy a data directory (RocksDB checkpoint plus both logs), restorable", Backup},
    {"status", "offsets, hashes and sizes of a data directory", StatusCommand},
    {"serve", "the HTTP API for portal backends and staff systems, on a data directory", Serve},
    {"kafka", "make the Kafka topics, export and check a journal partition, route actions to partitions", Kafka},
    {"projections", "rebuild the read models' store from the journal, or verify it against a rebuild", Projections},
    {"explain", "every change of an application's place in its queue, and its causes", Explain},
    {"stats", "statistics of a journal per locality and queue, as of any date: text, CSV or JSON", Stats},
    {"templates", "the engine's own notification texts as a SetMessageTemplates action, to correct and post", Templates},
    {"replay", "audit: verify the journal against a fresh fold of the actions, rebuild a data directory", Replay},
};

std::string Usage() {
  std::string usage =
      "kezek: the event-sourced queue and voucher engine for kindergarten vouchers\n"
      "\n"
      "usage: kezek <command> [options]\n"
      "       kezek --version\n"
      "\n"
      "commands:\n";
  for (const Command& command : kCommands) usage += fmt::format("  {:<12} {}\n", command.name, command.summary);
  usage += "\n'kezek <command> --help' tells each command's options.\n";
  return usage;
}

}  // namespace
}  // namespace kezek::cli

namespace {

// A command's exit status once what it printed reached its reader: output that could not be
// written (a full disk, standard output closed) is an error, said, not a silent exit 0.
bool stdout_closed = false;  // started with `>&-`: descriptor 1 is /dev/full, every write fails

int Finished(int rc) {
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    if (stdout_closed) {
      std::fprintf(stderr, "kezek: standard output is closed: what the command printed is lost\n");
    } else {
      std::fprintf(stderr, "kezek: standard output could not be written: %s\n", std::strerror(errno));
    }
    return rc == 0 ? 1 : rc;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  // Started with a standard descriptor closed (`<&-`, `>&-`, `2>&-`): it points at /dev/null (for
  // standard output /dev/full), so that a file opened later (a data directory's LOCK) never becomes
  // descriptor 0, 1 or 2 and is read as input or written with logs. A closed standard input is said
  // when a command reads it; output to a closed standard output fails, and the command exits 1
  // (with /dev/null there, `kezek journal >&-` exited 0 and its output was lost).
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      if (::open(fd == 1 ? "/dev/full" : "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) return 2;
      if (fd == 0) kezek::adapters::LineReader::StandardInputWasClosed();
      if (fd == 1) stdout_closed = true;
    }
  }
  using kezek::cli::Usage;
  if (argc < 2) return fmt::print(stderr, "{}", Usage()), 2;
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") return fmt::print("{}", Usage()), 0;
  if (name == "--version" || name == "version") {
    fmt::print("kezek {} (action and journal schema version {}, state format {})\n", KEZEK_VERSION, kezek::kSchemaVersion,
               kezek::state_codec::kStateFormatVersion);
    return 0;
  }
  for (const kezek::cli::Command& command : kezek::cli::kCommands) {
    if (name != command.name) continue;
    try {
      return Finished(command.run(argc, argv));
    } catch (const std::system_error& e) {  // fmt::print's failure to write, mid-way
      std::fprintf(stderr, "kezek %s: %s\n", command.name,
                   stdout_closed ? "standard output is closed: the command stopped at its first line of output (what "
                                   "it did before that stands: 'kezek status' tells)"
                                 : e.what());
      return 1;
    }
  }
  fmt::print(stderr, "kezek: unknown command '{}'\n\n{}", kezek::adapters::Printable(name), Usage());
  return 2;
}
