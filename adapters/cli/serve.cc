// kezek serve: the HTTP API on a data directory (adapters/http/server.h).
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/runtime.h"
#include "adapters/http/keys.h"
#include "adapters/http/server.h"
#include "adapters/kafka/replica.h"
#include "engine/limits.h"

namespace kezek::cli {

namespace http = adapters::http;
namespace {

// The ticker's longest interval (see --tick-interval's check).
constexpr long long kTickIntervalMaxSeconds = limits::kActionSkewAheadMs / 1000 - 60;

constexpr const char* kServeUsage = R"(usage: kezek serve --data DIR --keys FILE [options]

Serves the HTTP API (docs/http.md) on the data directory DIR (created if missing): portal
backends and staff systems post actions and read the read models. Each answer to a post comes
once the journal holds its record durably. The server's ticker posts the System clock's ticks
from the real clock, so deadlines expire while nobody acts. SIGTERM, SIGHUP (unless started
under nohup) or SIGINT (Ctrl-C) stops it gracefully: no new connections, what is in flight is
committed and answered, the lock released.
The read models are kept in DIR/projections with the journal sequence they reflect: at start they
are loaded and only the journal's newer records applied (a store that is missing, damaged or of
another journal is rebuilt from the journal; see kezek projections).

  --data DIR            the data directory (created if missing)
  --keys FILE           API keys: one calling system a line, "NAME ROLE SHA256HEX [KINDERGARTEN]"
                        (the key's SHA-256, never the key; "!NAME ..." is a revoked key); read
                        again within 2 s of a change (a key revoked, added or rotated takes effect
                        without a restart; a file that does not load leaves the keys in force)
  --listen ADDR:PORT    where to listen (default 127.0.0.1:8080; port 0: any free port; an IPv6
                        address in brackets, [::1]:8080; localhost is 127.0.0.1)
  --port-file FILE      write the port listened on to FILE once listening
  --tick-interval SEC   seconds between the ticker's ticks, 0..240 (default 60; 0: no ticker, and then a
                        System sender must tick at least every 5 minutes: an action stamped more than
                        5 minutes past the last tick is refused InstantInFuture)
  --tls-cert FILE       serve HTTPS (TLS 1.2 or later): the PEM certificate chain, leaf first
  --tls-key FILE        the certificate's PEM private key (both or neither)
  --checkpoint-every N  write the checkpoints of as-of questions (docs/audit.md, "As of") every N
                        journal records, on a thread of their own from the logs (as 'kezek
                        replay checkpoint' does); default 250000, 0: none
  --checkpoint-keep K   keep at most K of those checkpoints: the newest, and older ones thinned to
                        an even spacing that doubles as the history grows (docs/audit.md,
                        "Retention"); default 16, 0: all
  --help                this text

Kafka mode (docs/kafka.md, "Serving from Kafka"): --kafka instead of --data. The server is a read
replica of the whole country and a publisher: the read models (one per journal partition) follow
P.journal from its start (read_committed, every record checked), /readyz says "catching up" until
every partition was read to its end and reports the lag; a post is published to P.actions
(idempotent producer, keyed by locality) and answered from its journal record once an engine
member (kezek run --kafka) folded it. Any number of replicas may run. The ticker is off unless
--tick-interval is given: run one ticking replica per deployment.

  --kafka               serve from Kafka (no --data)
  --brokers HOST:PORT[,...]   the Kafka bootstrap servers (required)
  --prefix P            the topics' prefix (default kezek)
  --config FILE         'key = value' lines for brokers and prefix; a flag given too wins
  --answer-timeout SEC  how long a post waits for the broker, then for its journal record, before
                        503 PublishFailed or 504 NotYetJournaled (default 30)
)";

// The keys file is looked at every this many rounds of 200 ms (2 s).
constexpr uint64_t kKeysCheckRounds = 10;

}  // namespace

int Serve(int argc, char** argv) {
  std::string data, keys_path, listen = "127.0.0.1:8080", port_file, tls_cert, tls_key;
  int64_t tick_seconds = 60;
  bool kafka_mode = false, tick_given = false;
  Args kafka_args;  // --brokers, --prefix, --config
  int64_t answer_timeout_seconds = 30;
  uint64_t checkpoint_every = adapters::kCheckpointEveryDefault;
  uint64_t checkpoint_keep = adapters::kCheckpointKeepDefault;
  std::set<std::string> given;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return fmt::print("{}", kServeUsage), 0;
    if (arg == "--kafka") {
      kafka_mode = true;
      continue;
    }
    const bool takes_value = arg == "--data" || arg == "--keys" || arg == "--listen" || arg == "--port-file" ||
                             arg == "--tick-interval" || arg == "--tls-cert" || arg == "--tls-key" || arg == "--brokers" ||
                             arg == "--prefix" || arg == "--config" || arg == "--answer-timeout" ||
                             arg == "--checkpoint-every" || arg == "--checkpoint-keep";
    if (!takes_value) return fmt::print(stderr, "kezek serve: unknown option '{}'\n{}", adapters::Printable(arg), kServeUsage), 2;
    if (i + 1 >= argc) return fmt::print(stderr, "kezek serve: {} needs a value\n", arg), 2;
    if (argv[i + 1][0] == '\0') return fmt::print(stderr, "kezek serve: {} needs a value, not an empty one\n", arg), 2;
    if (!given.insert(arg).second) return fmt::print(stderr, "kezek serve: {} is given twice\n", arg), 2;
    const std::string value = argv[++i];
    // Numbers are decimal digits only (strtoll alone takes " 5", "+5" and "-0").
    const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos && value.size() <= 18;
    if (arg == "--brokers" || arg == "--prefix" || arg == "--config") kafka_args.options[arg] = value;
    if (arg == "--answer-timeout") {
      char* end = nullptr;
      const long long v = std::strtoll(value.c_str(), &end, 10);
      if (!digits || *end != '\0' || v < 1 || v > 3'600) {
        return fmt::print(stderr, "kezek serve: --answer-timeout: seconds, 1..3600\n"), 2;
      }
      answer_timeout_seconds = v;
    }
    if (arg == "--checkpoint-every") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
      if (!digits || *end != '\0' || (v != 0 && v < 1'000)) {
        return fmt::print(stderr, "kezek serve: --checkpoint-every: 0 (none) or at least 1000 records\n"), 2;
      }
      checkpoint_every = v;
    }
    if (arg == "--checkpoint-keep") {
      checkpoint_keep = digits ? std::strtoull(value.c_str(), nullptr, 10) : adapters::kCheckpointsMax + 1;
      if (checkpoint_keep > adapters::kCheckpointsMax) {
        return fmt::print(stderr, "kezek serve: --checkpoint-keep: 0 (keep every one) or how many to keep, at most {}\n",
                          adapters::kCheckpointsMax), 2;
      }
    }
    if (arg == "--data") data = value;
    if (arg == "--keys") keys_path = value;
    if (arg == "--listen") listen = value;
    if (arg == "--port-file") port_file = value;
    if (arg == "--tls-cert") tls_cert = value;
    if (arg == "--tls-key") tls_key = value;
    if (arg == "--tick-interval") {
      char* end = nullptr;
      const long long v = std::strtoll(value.c_str(), &end, 10);
      // At most 240 s: the engine takes an action stamped at most 5 minutes past the last tick
      // (limits::kActionSkewAheadMs), so a longer interval had every family's action refused
      // InstantInFuture for the rest of each interval; a minute is left for a tick that is late.
      if (!digits || *end != '\0' || v < 0 || v > kTickIntervalMaxSeconds) {
        return fmt::print(stderr, "kezek serve: --tick-interval: seconds, 0..{} (an action stamped more than {} s past the "
                                  "last tick is refused: the ticks must come more often)\n",
                          kTickIntervalMaxSeconds, limits::kActionSkewAheadMs / 1000), 2;
      }
      tick_seconds = v;
      tick_given = true;
    }
  }
  if (port_file == "-") {  // the log says the address already; '-' names no file here
    return fmt::print(stderr, "kezek serve: --port-file -: '-' names no file here (the log says the address listened "
                              "on; './-' is a file named so)\n"), 2;
  }
  if (kafka_mode && (given.contains("--checkpoint-every") || given.contains("--checkpoint-keep"))) {
    return fmt::print(stderr, "kezek serve: --kafka writes no checkpoints: --checkpoint-every and --checkpoint-keep go "
                              "with --data\n"), 2;
  }
  if (given.contains("--checkpoint-keep") && checkpoint_keep != 0 && checkpoint_every == 0) {
    return fmt::print(stderr, "kezek serve: --checkpoint-keep goes with the checkpoints serve writes (--checkpoint-every "
                              "not 0)\n"), 2;
  }
  if (kafka_mode) {
    if (!data.empty()) return fmt::print(stderr, "kezek serve: --kafka keeps no data directory: drop --data\n"), 2;
    if (!tick_given) tick_seconds = 0;
  } else if (!kafka_args.options.empty()) {
    return fmt::print(stderr, "kezek serve: --brokers, --prefix and --config go with --kafka\n"), 2;
  }
  if ((data.empty() && !kafka_mode) || keys_path.empty()) {
    return fmt::print(stderr, "kezek serve: --data (or --kafka) and --keys are required\n{}", kServeUsage), 2;
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return fmt::print(stderr, "kezek serve: --tls-cert and --tls-key go together\n{}", kServeUsage), 2;
  }
  http::ServerOptions options;
  options.tls_certificate = tls_cert;
  options.tls_private_key = tls_key;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return fmt::print(stderr, "kezek serve: --listen ADDR:PORT\n"), 2;
  options.address = listen.substr(0, colon);
  // [::1]:8080 names an IPv6 address as URLs do; localhost is the loopback (no name is resolved).
  if (options.address.size() >= 2 && options.address.front() == '[' && options.address.back() == ']') {
    options.address = options.address.substr(1, options.address.size() - 2);
  }
  if (options.address == "localhost") options.address = "127.0.0.1";
  {
    char* end = nullptr;
    const std::string port = listen.substr(colon + 1);
    const long v = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || v < 0 || v > 65535) return fmt::print(stderr, "kezek serve: --listen: a port 0..65535\n"), 2;
    options.port = static_cast<uint16_t>(v);
  }
  options.tick_interval_ms = tick_seconds * 1000;
  options.checkpoint_every = kafka_mode ? 0 : checkpoint_every;
  options.checkpoint_keep = checkpoint_keep;
  options.kafka_answer_timeout_ms = answer_timeout_seconds * 1000;
  options.say = [](const std::string& line) { fmt::print(stderr, "kezek serve: {}\n", line); };
  // The port file is written beside its name and renamed when whole. Whether it can be is found
  // out before anything is opened: a script waiting for the file must not wait for ever.
  const auto write_port_file = [&](uint16_t port) -> std::string {  // "" or why not
    std::ofstream out(port_file + ".tmp");
    out << port << "\n";
    out.close();
    if (!out) return fmt::format("cannot write {}.tmp: {}", adapters::Printable(port_file), std::strerror(errno));
    if (std::rename((port_file + ".tmp").c_str(), port_file.c_str()) != 0) {
      const std::string why = fmt::format("cannot rename {}.tmp to its name: {}", adapters::Printable(port_file), std::strerror(errno));
      std::remove((port_file + ".tmp").c_str());
      return why;
    }
    return "";
  };
  if (!port_file.empty()) {  // the file beside the name can be made (never the name itself: it means "listening")
    // A directory of that name would refuse the rename once listening: said now, not then.
    if (std::error_code error; std::filesystem::is_directory(port_file, error)) {
      return fmt::print(stderr, "kezek serve: --port-file: {} is a directory, not a file's name\n",
                        adapters::Printable(port_file)), 2;
    }
    std::ofstream probe(port_file + ".tmp");
    const int error = errno;
    if (!probe) {
      return fmt::print(stderr, "kezek serve: --port-file: cannot write {}.tmp: {}\n", adapters::Printable(port_file),
                        std::strerror(error)), 1;
    }
    probe.close();
    std::remove((port_file + ".tmp").c_str());
  }
  options.on_listening = [&](uint16_t port) {
    if (port_file.empty()) return;
    if (const std::string why = write_port_file(port); !why.empty()) options.say("--port-file: " + why);
  };

  // What tells a changed keys file ("" when it is not there): taken before the file is read, so
  // that a change made while the server starts (the file read, the data directory opened) is
  // found by the first look and loaded.
  const auto stamp_of = [&]() -> std::string {
    struct stat st {};
    if (::stat(keys_path.c_str(), &st) != 0) return "";
    return fmt::format("{}:{}:{}:{}.{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                       st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  };
  std::string keys_stamp = stamp_of();
  http::KeyRing keys;
  if (const adapters::Status s = http::KeyRing::Load(keys_path, &keys); !s.ok()) {
    return fmt::print(stderr, "kezek serve: {}\n", s.ToString()), 1;
  }
  // A port in use, an address that is none, or TLS files that do not load are found before a
  // data directory is opened or made.
  if (const adapters::Status s = http::Server::CanListen(options.address, options.port); !s.ok()) {
    // An address that is none is a usage error (2), as a port that is none; one in use is not (1).
    const bool usage = s.code() == adapters::Status::Code::kInvalidArgument;
    return fmt::print(stderr, "kezek serve: {}\n", s.ToString()), usage ? 2 : 1;
  }
  if (!tls_cert.empty()) {
    std::string warning;  // said again when the server loads them
    if (const adapters::Status s = http::Server::CheckTls(tls_cert, tls_key, &warning); !s.ok()) {
      return fmt::print(stderr, "kezek serve: {}\n", s.ToString()), 1;
    }
  }
  if (keys.size() == 0) options.say("the keys file holds no key: every /v1/ request will be refused (401)");
  // Signals are taken by one thread (sigwait), so the server's threads never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // The terminal that ran it closed (SIGHUP): stopped as gracefully, unless SIGHUP was ignored when
  // it started (nohup: the operator asked it to outlive the terminal; a blocked signal would still
  // be taken by sigtimedwait though ignored).
  struct sigaction hangup {};
  if (sigaction(SIGHUP, nullptr, &hangup) == 0 && hangup.sa_handler != SIG_IGN) sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<adapters::Runtime> runtime;
  std::unique_ptr<adapters::kafka::Replica> replica;
  std::unique_ptr<http::Server> made;
  if (kafka_mode) {
    if (!MergeConfig(&kafka_args, {"--brokers", "--prefix"})) return 2;
    const auto brokers = Brokers(kafka_args);
    if (!brokers) return 2;
    adapters::kafka::Replica::Options replica_options;
    replica_options.brokers = *brokers;
    replica_options.prefix = Prefix(kafka_args);
    replica_options.say = options.say;
    replica_options.publish_timeout_ms = static_cast<int>(answer_timeout_seconds * 1000);
    if (const adapters::Status s = adapters::kafka::Replica::Open(replica_options, &replica); !s.ok()) {
      return fmt::print(stderr, "kezek serve: {}\n", s.ToString()), 1;
    }
    options.say(fmt::format("following {} ({} partition{}) from its start; posting to {}", replica->topics().journal,
                            replica->partitions(), replica->partitions() == 1 ? "" : "s", replica->topics().actions));
    made = std::make_unique<http::Server>(*replica, std::move(keys), options);
  } else {
    adapters::Runtime::Options runtime_options;
    runtime_options.create = true;
    runtime_options.say = options.say;
    if (RefusedNewDataDirInside("serve", "--data", data)) return 2;
    if (const adapters::Status s = adapters::Runtime::Open(data, runtime_options, &runtime); !s.ok()) {
      return OpenFailed("serve", data, s);
    }
    options.projections_path = (std::filesystem::path(data) / "projections").string();
    made = std::make_unique<http::Server>(*runtime, std::move(keys), options);
  }
  http::Server& server = *made;
  std::atomic<bool> done{false};
  // The keys file is looked at every few seconds: when it changed (another file renamed into its
  // place, or written anew), it is loaded again and, whole and valid, takes effect at once (a key
  // revoked, added or rotated without a restart); one that does not load leaves the keys in force.
  const auto reload_keys = [&]() {
    const std::string stamp = stamp_of();
    if (stamp == keys_stamp) return;
    keys_stamp = stamp;  // one word per change, not one every few seconds
    http::KeyRing reloaded;
    if (const adapters::Status s = http::KeyRing::Load(keys_path, &reloaded); !s.ok()) {
      options.say(fmt::format("keys: not reloaded, the keys loaded before stay in force: {}", s.ToString()));
      return;
    }
    options.say(fmt::format("keys: reloaded {}: {} key{} ({} revoked){}", adapters::Printable(keys_path), reloaded.size(),
                            reloaded.size() == 1 ? "" : "s", reloaded.revoked(),
                            reloaded.size() == reloaded.revoked() ? ": no key in force, every /v1/ request is refused (401)"
                                                                  : ""));
    server.ReplaceKeys(std::move(reloaded));
  };
  std::thread waiter([&] {
    const timespec period{0, 200'000'000};
    for (uint64_t round = 1; !done; ++round) {
      if (round % kKeysCheckRounds == 0) reload_keys();
      const int signal = sigtimedwait(&signals, nullptr, &period);
      if (signal == SIGINT || signal == SIGTERM || signal == SIGHUP) {
        options.say(fmt::format("{}: stopping gracefully",
                                signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "SIGHUP"));
        server.Stop();
        return;
      }
    }
  });
  const adapters::Status status = server.Run();
  done = true;
  waiter.join();
  if (!status.ok()) return fmt::print(stderr, "kezek serve: {}\n", status.ToString()), 1;
  if (runtime) options.say(fmt::format("stopped; journal {} records", runtime->journal().end()));
  if (replica) options.say("stopped");
  return 0;
}

}  // namespace kezek::cli
