// What the kezek commands share: parsing their arguments, the runtime's options from them, opening
// a data directory, and the status text that status, run and demo print.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/runtime.h"
#include "engine/sha256.h"
#include "engine/types.h"
#include "workload/simulation.h"

namespace kezek::cli {

struct Args {
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
  bool help = false;
};

// argv[first..argc): the options in `with_value` take the next argument, those in `flags` none;
// "--help"/"-h" sets help; anything else starting with '-' (but "-") is a usage error, printed,
// and so is an option given twice (`--data a --data b`: which one was meant is not ours to guess).
// For a command that takes no arguments but options: false, with the usage error printed, when
// `args` holds one (`kezek status --data d junk`).
bool NoArguments(const Args& args, std::string_view command);
std::optional<Args> Parse(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                          const std::vector<std::string>& flags);
// Whether argv[first..argc) holds `flag` (a command handing over to another form of itself).
bool HasFlag(int argc, char** argv, const char* flag);
// The option `name` as a whole number (`fallback` when absent); nullopt, printed, if it is none.
std::optional<uint64_t> Number(const Args& args, const std::string& name, uint64_t fallback);
// The generator's options (--seed, --applications, --months, --first-year, --data, --country,
// --births), checked; nullopt, printed, on a usage error.
std::optional<workload::SimulationOptions> SimulationFrom(const Args& args);
// The runtime's options (--batch, --crash-at, --no-sync), checked; nullopt, printed, on a usage error.
std::optional<adapters::Runtime::Options> RuntimeOptions(const Args& args);
// --as-of WHEN / --as-of-sequence N (at most one): false, printed, on a usage error; *target
// stays empty when neither is given.
bool AsOfFrom(const Args& args, const char* command, std::optional<adapters::AsOfTarget>* target);
// Where an as-of answer stands, for a command's output: "as of record S (...)".
std::string AsOfText(const adapters::AsOfPoint& point);
// Opens --data for writing (creating it if `create`): 0, or the exit status, the failure printed.
// `write_behind`: adapters::Runtime::Options::write_behind (kezek append's bulk loop).
int OpenData(const Args& args, const char* command, bool create, std::unique_ptr<adapters::Runtime>* runtime,
             bool write_behind = false);

// The Kafka commands' connection (docs/kafka.md): --config FILE's 'key = value' settings, under
// their flag names, where no flag was given (keys outside `allowed` are a usage error, printed).
bool MergeConfig(Args* args, const std::vector<std::string>& allowed);
// --brokers (required: nullopt, printed, when missing) and --prefix (default "kezek").
std::optional<std::string> Brokers(const Args& args);
std::string Prefix(const Args& args);

// Progress of a long run on standard error (docs/audit.md): a line redrawn at most 5 times a
// second on a terminal, a line "kezek COMMAND: ..." every 10 s otherwise (a log).
class Progress {
 public:
  Progress(std::string command, std::string what, uint64_t total);
  void Update(uint64_t done);
  void Done();  // clears a drawn line
  void Say(const std::string& line);  // a line of its own (the drawn line cleared first)

 private:
  std::string command_, what_;
  uint64_t total_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point started_, last_;
};
// Ctrl-C for a long run: CatchInterrupt(true) makes SIGINT and SIGTERM set Interrupted() instead of
// killing the process (the run stops cleanly at its next step), CatchInterrupt(false) restores them.
void CatchInterrupt(bool on);
std::atomic<bool>& Interrupted();

// What a file given as a journal file is when it is none, and which command reads it ("" when it
// looks like a journal file: a KZJR record framed by its length, as 'kezek fold --journal' writes).
std::string JournalFileMistake(const std::string& path);
// Whether two paths name the same file (or would: one of them need not exist yet); "-" is none.
bool SameFile(const std::string& a, const std::string& b);
// Why `path`, given as JSON lines of actions, is a binary file of Kezek's own (a log segment, a
// journal file), or "" when it is not one (or not a regular file: read as it comes). Each of its
// lines would be journaled as a rejection.
std::string ActionsInputMistake(const std::string& path);
// The Kezek data directory (a KEZEK marker) that holds `output` (a file to be written), or "" when
// none does: a command's output there could overwrite a live segment or the state's files.
std::string DataDirHolding(const std::string& output);
// Refuses to make a new data directory `data` (given as option `what`) inside another (DIR/sub, DIR/state/x: its files
// and a directory of its own would be mistaken for each other): prints why and returns true.
// False when `data` may be opened (a data directory already, or inside none).
bool RefusedNewDataDirInside(std::string_view command, std::string_view what, const std::string& data);
// Refuses '-' as a directory (option `what`): standard input or output elsewhere, it names no
// directory (it made one named '-'). Prints why and returns true.
bool RefusedDashAsDirectory(std::string_view command, std::string_view what, const std::string& value);
// Refuses an output file inside a data directory (or a path that is one): prints "kezek COMMAND:
// WHAT PATH is inside the data directory DIR: …" (or "… is a data directory") and returns true;
// false when `output` may be written ("-" is standard output where `dash_is_stdout`).
bool RefusedInsideDataDir(std::string_view command, std::string_view what, const std::string& output,
                          bool dash_is_stdout = true);

// An instant as a person reads it: ISO 8601 in UTC, to the second ("-" before any action).
std::string IsoUtc(InstantMs instant);
// A data directory's offsets, hashes and sizes, one line each (kezek status).
std::string StatusText(adapters::Runtime& runtime);

// A data directory opened read-only for its logs, whatever its state: through its runtime with the
// state deferred (Runtime::Options::defer_state: loaded only by LoadState) when the directory opens,
// else its two logs alone and why it did not open (its state contradicts its logs, or there is no
// state directory). A damaged state is what a verification reports and a rebuild repairs, so it
// stops neither.
struct LogsOfDir {
  std::unique_ptr<adapters::Runtime> runtime;              // when the directory opens
  std::unique_ptr<adapters::SegmentLog> actions, journal;  // when it does not
  std::string open_problem;  // why it does not, a clause ("the data directory does not open: …"; "" when it does)
  bool damaged = false;      // it does not open for a corruption (not merely for want of a state)
  adapters::SegmentLog& actions_log() { return runtime ? runtime->actions_log() : *actions; }
  adapters::SegmentLog& journal_log() { return runtime ? runtime->journal_log() : *journal; }
};
// Opens `data` so (the runtime's messages, such as a torn tail left, through `say`); any failure
// other than a corruption (no such directory, a log that does not open) is returned. The state,
// when loaded later (LoadState), is read after the opening's retries (Runtime's OpenIn): RocksDB
// opens every table file at its opening (max_open_files -1), so a writer compacting meanwhile does
// not make it fail.
adapters::Status OpenLogsOf(const std::string& data, const std::function<void(const std::string&)>& say,
                            LogsOfDir* out);
// Says on standard error what finds and repairs damage in `data` (verify, then rebuild).
void SayRepair(const char* command, const std::string& data);
// OpenLogsOf for a reader of the journal alone (stats, explain) that must not report on a journal
// its state contradicts (cut short of what the state reflects, its last record altered): that, a
// log that does not open or is short of the state, or a directory that does not open, is said on
// standard error as `kezek COMMAND` (with SayRepair for a damage) and gives the exit code (1). A
// state that does not open stops no such reader: said as a note (with SayRepair), and 0 with
// `logs` holding the journal (journal_log()).
int OpenJournalOf(const char* command, const std::string& data, LogsOfDir* logs);
// Says on standard error why `command` could not open `data`; for a corruption, also SayRepair.
// Returns 1, the exit status.
int OpenFailed(const char* command, const std::string& data, const adapters::Status& s);
// The SHA-256 of a journal's last record (zeros when it has none): its head, without the state.
adapters::Status JournalHead(adapters::SegmentLog& journal, Sha256* head);

}  // namespace kezek::cli
