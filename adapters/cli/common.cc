#include "adapters/cli/common.h"

#include <unistd.h>

#include <csignal>
#include <cctype>
#include <cstdio>
#include <cstring>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "adapters/limits.h"
#include "adapters/partition.h"
#include "adapters/small_file.h"
#include "engine/civil_time.h"
#include "engine/sha256.h"
#include "engine/state.h"
#include "projections/summary.h"

namespace kezek::cli {

std::optional<Args> Parse(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                          const std::vector<std::string>& flags) {
  Args args;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool known = std::find(with_value.begin(), with_value.end(), arg) != with_value.end() ||
                       std::find(flags.begin(), flags.end(), arg) != flags.end();
    if (known && args.options.contains(arg)) {
      fmt::print(stderr, "kezek: {} is given twice\n", arg);
      return std::nullopt;
    }
    if (arg == "--help" || arg == "-h") {
      args.help = true;
    } else if (std::find(with_value.begin(), with_value.end(), arg) != with_value.end()) {
      if (i + 1 >= argc) {
        fmt::print(stderr, "kezek: {} needs a value\n", arg);
        return std::nullopt;
      }
      // No option takes an empty value: `--data ""` (an unset shell variable) would name the
      // current directory's nothing, `--store ""` no store at all, both silently.
      if (argv[i + 1][0] == '\0') {
        fmt::print(stderr, "kezek: {} needs a value, not an empty one\n", arg);
        return std::nullopt;
      }
      args.options[arg] = argv[++i];
    } else if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
      args.options[arg] = "";
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      fmt::print(stderr, "kezek: unknown option {}\n", adapters::Printable(arg));
      return std::nullopt;
    } else {
      args.positional.push_back(arg);
    }
  }
  return args;
}

bool NoArguments(const Args& args, std::string_view command) {
  if (args.positional.empty()) return true;
  fmt::print(stderr, "kezek {}: unexpected argument '{}' (kezek {} --help)\n", command, adapters::Printable(args.positional.front()),
             command);
  return false;
}

bool HasFlag(int argc, char** argv, const char* flag) {
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) == flag) return true;
  }
  return false;
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
  fmt::print(stderr, "kezek: {} takes a whole number, not '{}'\n", name, adapters::Printable(it->second));
  return std::nullopt;
}

std::optional<workload::SimulationOptions> SimulationFrom(const Args& args) {
  workload::SimulationOptions options;
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

std::string IsoUtc(InstantMs instant) {
  if (instant.value <= 0) return "-";
  const int64_t day = instant.value >= 0 ? instant.value / kMsPerDay : (instant.value - kMsPerDay + 1) / kMsPerDay;
  const int64_t ms_of_day = instant.value - day * kMsPerDay;
  const int64_t seconds = ms_of_day / 1000;
  return fmt::format("{}T{:02}:{:02}:{:02}Z", civil::FormatIso(LocalDate{static_cast<int32_t>(day)}), seconds / 3600,
                     seconds / 60 % 60, seconds % 60);
}

std::string StatusText(adapters::Runtime& runtime) {
  const State& s = runtime.engine().state();
  const uint64_t journal_ahead = runtime.journal().end() - s.next_sequence;
  // The head is the journal's last record's (what `replay verify --expect-head` checks), also
  // when the journal is ahead of the state (the state's head is then said beside it).
  std::string head = projections::Hex(s.head_sha256);
  if (journal_ahead != 0) {
    Sha256 last{};
    const adapters::Status read = JournalHead(runtime.journal_log(), &last);
    head = read.ok() ? fmt::format("{} (the state's: {})", projections::Hex(last), head)
                     : fmt::format("unknown ({}; the state's: {})", read.ToString(), head);
  }
  return fmt::format(
      "data directory: {}\n"
      "actions log:    {} inputs, {} bytes\n"
      "applied:        {} inputs ({} pending)\n"
      "journal:        {} records{}, {} bytes, head {}\n"
      "state:          {} applications, {} vouchers, engine time {}, {} bytes on disk\n"
      "state hash:     {}\n",
      adapters::Printable(runtime.dir()), runtime.actions().end(), runtime.actions().bytes(), runtime.applied(),
      runtime.actions().end() - runtime.applied(), runtime.journal().end(),
      journal_ahead == 0 ? "" : fmt::format(" ({} past the state: re-derived when a writer opens it)", journal_ahead),
      runtime.journal().bytes(), head, s.applications.size() - 1, s.vouchers.size() - 1,
      IsoUtc(s.now), runtime.StateBytesOnDisk(), projections::Hex(runtime.engine().StateHash()));
}

adapters::Status OpenLogsOf(const std::string& data, const std::function<void(const std::string&)>& say,
                            LogsOfDir* out) {
  adapters::Runtime::Options options;
  options.say = say;
  options.defer_state = true;
  const adapters::Status s = adapters::Runtime::OpenReadOnly(data, options, &out->runtime);
  if (s.ok()) return s;
  // A data directory (its marker there) without a state directory: a writer derives the state
  // from the logs ('kezek run'); the logs are read as they are.
  std::error_code error;
  const std::filesystem::path dir(data);
  const bool no_state = std::filesystem::is_regular_file(dir / "KEZEK", error) && !std::filesystem::exists(dir / "state", error);
  if (s.code() != adapters::Status::Code::kCorruption && !no_state) return s;
  out->open_problem = no_state ? "the data directory has no state (a writer, 'kezek run', derives one from its logs)"
                               : fmt::format("the data directory does not open: {}", s.ToString());
  out->damaged = !no_state;
  adapters::SegmentLog::Options log_options;
  log_options.read_only = true;
  // The journal first, as a read-only runtime opens them (Runtime::OpenLogs): the actions log,
  // opened after it, then holds every input its records came from, though a writer appends. (The
  // runtime opened both before it found the corruption, and said any torn tail then.)
  adapters::SegmentLog::Recovery recovery;
  for (auto [name, log] : {std::pair{"journal", &out->journal}, std::pair{"actions", &out->actions}}) {
    if (const auto l = adapters::SegmentLog::Open((dir / name).string(), log_options, log, &recovery); !l.ok()) return l;
  }
  return adapters::Status::Ok();
}

void SayRepair(const char* command, const std::string& data) {
  fmt::print(stderr,
             "kezek {0}: 'kezek replay verify --data {1}' names what is damaged; when it finds the hash chain intact "
             "and the fold equal to the journal (only the state damaged), 'kezek replay rebuild --data {1} --out "
             "NEWDIR' makes a whole data directory from the actions log alone, to take its place (docs/audit.md, "
             "\"A damaged state\"); when the actions log is the damaged one, the same rebuild recovers the inputs from "
             "the journal (\"A damaged actions log\")\n",
             command, adapters::Printable(data));
}

int OpenJournalOf(const char* command, const std::string& data, LogsOfDir* logs) {
  const auto say = [command](const std::string& said) { fmt::print(stderr, "kezek {}: {}\n", command, said); };
  const auto s = OpenLogsOf(data, say, logs);
  if (s.ok() && !logs->damaged) {
    // No state directory (no damage: 'kezek run' derives one): said, as the damage is (it said nothing).
    if (!logs->open_problem.empty()) say(fmt::format("note: {}; read from the journal alone", logs->open_problem));
    return 0;
  }
  const std::string problem = s.ok() ? logs->open_problem : s.ToString();
  // Read alone only when the state itself is what does not open: the logs opened, and their checks
  // against the state (each log's length, the journal's head) are not what failed. A log that does
  // not open stops the checks before the journal's, so it is refused too (a journal cut short beside
  // a damaged actions log was counted).
  const bool logs_failed = !s.ok() || problem.find(adapters::kJournalShort) != std::string::npos ||
                           problem.find(adapters::kHeadContradicted) != std::string::npos ||
                           problem.find(adapters::kActionsShort) != std::string::npos;
  if (logs_failed) {
    say(problem);
    if (s.ok() || s.code() == adapters::Status::Code::kCorruption) SayRepair(command, data);
    return 1;
  }
  // The state does not open: the journal is read alone, its frames and chain checked as they are
  // read, but not against the state's count of records or head (the state's meta is unread).
  say(fmt::format("note: {}; read from the journal alone", problem));
  SayRepair(command, data);
  return 0;
}

int OpenFailed(const char* command, const std::string& data, const adapters::Status& s) {
  fmt::print(stderr, "kezek {}: {}\n", command, s.ToString());
  if (s.code() == adapters::Status::Code::kCorruption) SayRepair(command, data);
  if (s.code() == adapters::Status::Code::kBusy && std::string_view(command) == "backup") {
    // A server runs 24/7: its copy is made beside it, from its logs, and checked against its journal.
    fmt::print(stderr,
               "kezek backup: beside the running writer, 'kezek replay rebuild --data {} --out DEST' makes a whole "
               "data directory from its logs (the journal compared byte for byte, the state hash too) without "
               "stopping it (docs/audit.md)\n", adapters::Printable(data));
  }
  return 1;
}

adapters::Status JournalHead(adapters::SegmentLog& journal, Sha256* head) {
  *head = Sha256{};
  if (journal.end() == 0) return adapters::Status::Ok();
  std::vector<uint8_t> last;
  if (auto s = journal.ReadRecord(journal.end() - 1, &last); !s.ok()) return s;
  *head = Sha256Hasher().Of(last);
  return adapters::Status::Ok();
}

bool AsOfFrom(const Args& args, const char* command, std::optional<adapters::AsOfTarget>* target) {
  target->reset();
  const bool when = args.options.contains("--as-of"), sequence = args.options.contains("--as-of-sequence");
  if (when && sequence) return fmt::print(stderr, "kezek {}: --as-of or --as-of-sequence, not both\n", command), false;
  if (when) {
    const auto end = adapters::AsOfInstantEnd(args.options.at("--as-of"));
    if (!end) {
      return fmt::print(stderr, "kezek {}: --as-of takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ from 2000-01-01 to 2100-12-31, not '{}'\n", command,
                        adapters::Printable(args.options.at("--as-of"))), false;
    }
    *target = adapters::AsOfTarget{};
    (*target)->before_ms = *end;
  }
  if (sequence) {
    const auto n = Number(args, "--as-of-sequence", 0);
    if (!n) return false;
    *target = adapters::AsOfTarget{};
    (*target)->sequence = *n;
  }
  return true;
}

std::string AsOfText(const adapters::AsOfPoint& p) {
  return fmt::format("as of record {} ({} inputs; engine time {}; head {}), from {} and {} records folded after it",
                     p.sequence, p.inputs, p.sequence == 0 ? "none" : IsoUtc(InstantMs{p.engine_time_ms}),
                     projections::Hex(p.head),
                     p.checkpoint == 0 ? std::string("the journal's start") : fmt::format("the checkpoint at record {}", p.checkpoint),
                     p.folded_records);
}

int OpenData(const Args& args, const char* command, bool create, std::unique_ptr<adapters::Runtime>* runtime,
             bool write_behind) {
  if (!args.options.contains("--data")) return fmt::print(stderr, "kezek {}: --data DIR is required\n", command), 2;
  auto options = RuntimeOptions(args);
  if (!options) return 2;
  options->create = create;
  options->write_behind = write_behind;
  if (create && RefusedNewDataDirInside(command, "--data", args.options.at("--data"))) return 2;
  if (const auto s = adapters::Runtime::Open(args.options.at("--data"), *options, runtime); !s.ok()) {
    return OpenFailed(command, args.options.at("--data"), s);
  }
  return 0;
}

// --config FILE: its settings, under their flag names, where no flag was given.
bool MergeConfig(Args* args, const std::vector<std::string>& allowed) {
  // One file serves every Kafka command: a key another command takes is passed over here; one that
  // none takes (a typo) is refused.
  static const std::vector<std::string> kKnown = {"--brokers", "--prefix",     "--group", "--instance",
                                                  "--data",    "--partitions", "--batch"};
  const auto it = args->options.find("--config");
  if (it == args->options.end()) return true;
  const std::string shown = adapters::Printable(it->second);
  std::string text;
  if (const std::string why = adapters::ReadSmallFile(it->second, limits::kConfigBytesMax, &text); !why.empty()) {
    return fmt::print(stderr, "kezek: --config {}: {}\n", shown, why), false;
  }
  std::istringstream in(text);
  std::map<std::string, int> seen;  // each key's line
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const auto trim = [](std::string s) {
      const size_t a = s.find_first_not_of(" \t\r");
      const size_t b = s.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    line = trim(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    const std::string key = eq == std::string::npos ? "" : "--" + trim(line.substr(0, eq));
    if (eq == std::string::npos || std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      std::vector<std::string> names;
      for (const std::string& known : kKnown) names.push_back(known.substr(2));
      fmt::print(stderr, "kezek: --config {} line {}: expected 'key = value' with a key of {}\n", shown, number,
                 fmt::join(names, ", "));
      return false;
    }
    const bool taken = std::find(allowed.begin(), allowed.end(), key) != allowed.end();
    if (const auto [at, fresh] = seen.try_emplace(key, number); !fresh) {
      fmt::print(stderr, "kezek: --config {} line {}: {} is already set on line {}\n", shown, number, key.substr(2), at->second);
      return false;
    }
    // An empty value is refused as an empty flag is ("--group ''" needs a value).
    if (trim(line.substr(eq + 1)).empty()) {
      fmt::print(stderr, "kezek: --config {} line {}: {} needs a value, not an empty one\n", shown, number, key.substr(2));
      return false;
    }
    if (taken) args->options.try_emplace(key, trim(line.substr(eq + 1)));  // a flag given too wins
  }
  return true;
}

std::optional<std::string> Brokers(const Args& args) {
  const auto it = args.options.find("--brokers");
  if (it == args.options.end() || it->second.empty()) {
    fmt::print(stderr, "kezek: --brokers HOST:PORT is required (or 'brokers = ...' in --config)\n");
    return std::nullopt;
  }
  // Each HOST:PORT checked here: librdkafka takes a port over 65535 modulo 65536 (99999 is 34463).
  std::string_view rest = it->second;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view broker = rest.substr(0, comma);
    const size_t colon = broker.rfind(':');
    const std::string_view host = colon == std::string_view::npos ? std::string_view{} : broker.substr(0, colon);
    const std::string_view port = colon == std::string_view::npos ? std::string_view{} : broker.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
    const bool printable = std::all_of(broker.begin(), broker.end(), [](char c) { return c > ' ' && c < 0x7F; });
    if (host.empty() || !digits || std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535 || !printable) {
      fmt::print(stderr, "kezek: --brokers: '{}' is no HOST:PORT (a port 1..65535)\n", adapters::Printable(broker));
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  // The topics' prefix goes with the brokers (every Kafka command asks for both): a name Kafka
  // takes (ASCII letters, digits, '.', '_', '-'; the topic names at most 249 characters).
  if (const auto prefix = args.options.find("--prefix"); prefix != args.options.end()) {
    const std::string& p = prefix->second;
    const bool legal = std::all_of(p.begin(), p.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    });
    if (p.empty() || p.size() > 240 || !legal) {
      fmt::print(stderr, "kezek: --prefix: '{}' is no topic prefix (1..240 of a-z A-Z 0-9 . _ -)\n", adapters::Printable(p));
      return std::nullopt;
    }
  }
  return it->second;
}

std::string Prefix(const Args& args) {
  const auto it = args.options.find("--prefix");
  return it == args.options.end() ? "kezek" : it->second;
}

Progress::Progress(std::string command, std::string what, uint64_t total)
    : command_(std::move(command)), what_(std::move(what)), total_(total), tty_(isatty(2) == 1),
      started_(std::chrono::steady_clock::now()), last_(started_) {}

void Progress::Update(uint64_t done) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(10'000))) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double percent = total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total_);
  const std::string line = fmt::format("{}: {} of {} ({:.0f}%), {:.0f} s", what_, done, total_, percent, seconds);
  if (tty_) {
    fmt::print(stderr, "\r{}\x1b[K", line);
    drawn_ = true;
  } else {
    fmt::print(stderr, "kezek {}: {}\n", command_, line);
  }
}

void Progress::Say(const std::string& line) {
  Done();
  fmt::print(stderr, "kezek {}: {}\n", command_, line);
}

void Progress::Done() {
  if (drawn_) fmt::print(stderr, "\r\x1b[K");
  drawn_ = false;
}

namespace {
std::atomic<bool> g_interrupted{false};
// The first signal asks the command to stop at its next check (it finishes what it must: a
// rebuild removes its half-made directory); a second one stops it at once, as the signal does
// by default (a command blocked reading a pipe that stays open never reaches its check).
// signal() and raise() are async-signal-safe.
extern "C" void OnInterrupt(int signal) {
  if (g_interrupted.exchange(true)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}
}  // namespace

void CatchInterrupt(bool on) {
  // SIGTERM (a service manager's stop, kill) as SIGINT: it killed a rebuild mid-way and left its
  // NEWDIR.rebuilding behind.
  std::signal(SIGINT, on ? OnInterrupt : SIG_DFL);
  std::signal(SIGTERM, on ? OnInterrupt : SIG_DFL);
}
std::atomic<bool>& Interrupted() { return g_interrupted; }

std::string DataDirHolding(const std::string& output) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path dir = fs::weakly_canonical(fs::absolute(output, error), error).parent_path();
  for (; !dir.empty(); dir = dir.parent_path()) {
    if (fs::is_regular_file(dir / "KEZEK", error)) return dir.string();
    if (dir == dir.root_path()) break;
  }
  return "";
}

bool SameFile(const std::string& a, const std::string& b) {
  if (a == "-" || b == "-") return false;
  std::error_code error;
  if (std::filesystem::exists(a, error) && std::filesystem::exists(b, error)) return std::filesystem::equivalent(a, b, error);
  return std::filesystem::weakly_canonical(a, error) == std::filesystem::weakly_canonical(b, error);
}

bool RefusedDashAsDirectory(std::string_view command, std::string_view what, const std::string& value) {
  if (value != "-") return false;  // standard input or output elsewhere (fold --journal -, journal -)
  fmt::print(stderr, "kezek {}: {} -: '-' names no directory here ('./-' is a directory named so)\n", command, what);
  return true;
}

bool RefusedNewDataDirInside(std::string_view command, std::string_view what, const std::string& data) {
  std::error_code error;
  if (std::filesystem::is_regular_file(std::filesystem::path(data) / "KEZEK", error)) return false;  // one already
  if (RefusedDashAsDirectory(command, what, data)) return true;
  // The directories above `data` only: `data` itself may be getting its marker from another writer
  // just now (two making one directory at once: the lock decides between them).
  std::filesystem::path path = std::filesystem::weakly_canonical(std::filesystem::absolute(data, error), error);
  if (path.filename().empty()) path = path.parent_path();  // "DIR/" is DIR
  const std::string holder = DataDirHolding(path.string());
  if (holder.empty()) return false;
  fmt::print(stderr, "kezek {}: {} {} is inside the data directory {}: a data directory is not made inside another\n",
             command, what, adapters::Printable(data), adapters::Printable(holder));
  return true;
}

bool RefusedInsideDataDir(std::string_view command, std::string_view what, const std::string& output,
                          bool dash_is_stdout) {
  if (output == "-" && dash_is_stdout) return false;
  const std::string_view space = what.empty() ? "" : " ";
  if (std::error_code error; std::filesystem::is_regular_file(std::filesystem::path(output) / "KEZEK", error)) {
    fmt::print(stderr, "kezek {}: {}{}{} is a data directory: an output written there could overwrite its logs or state\n",
               command, what, space, adapters::Printable(output));
    return true;
  }
  const std::string dir = DataDirHolding(output);
  if (dir.empty()) return false;
  fmt::print(stderr, "kezek {}: {}{}{} is inside the data directory {}: a file there could overwrite its logs or state\n",
             command, what, space, adapters::Printable(output), adapters::Printable(dir));
  return true;
}

namespace {

// The first bytes of `path` into `head` (how many were read): none for standard input, a pipe or a
// terminal (what was read of it would be lost to its reader), nor for a file that does not open.
size_t FileHead(const std::string& path, unsigned char (&head)[12]) {
  std::error_code error;
  if (path == "-" || !std::filesystem::is_regular_file(path, error)) return 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return 0;
  const size_t n = std::fread(head, 1, sizeof head, file);
  std::fclose(file);
  return n;
}

}  // namespace

std::string ActionsInputMistake(const std::string& path) {
  unsigned char head[12] = {0};
  const size_t n = FileHead(path, head);
  if (n >= 4 && std::memcmp(head, "KZLG", 4) == 0) {
    return "it is a segment of a data directory's log (actions/ or journal/), not JSON lines of actions: 'kezek "
           "journal --data DIR' prints a data directory's journal";
  }
  if (n >= 12 && std::memcmp(head + 8, "KZJR", 4) == 0) {
    return "it is a journal file ('kezek fold --journal'), not JSON lines of actions: 'kezek journal FILE' prints it";
  }
  return "";
}

std::string JournalFileMistake(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return std::filesystem::exists(std::filesystem::path(path) / "KEZEK", error)
               ? "it is a data directory: '--data DIR' reads a data directory's journal"
               : "it is a directory, not a journal file";
  }
  unsigned char head[12] = {0};  // a journal file: u32 length, then the record (identifier at 4)
  const size_t n = FileHead(path, head);
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


}  // namespace kezek::cli
