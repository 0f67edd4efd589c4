// `kezek serve`: the HTTP API that portal backends and staff systems use (DESIGN §3), on
// Boost.Beast over Asio. Two I/O threads accept, read, route and answer (a strand per connection);
// one partition thread
// owns the embedded runtime: it takes every action waiting, logs the batch durably, folds it,
// appends and syncs the journal, commits the state (one group commit for many concurrent
// requests), feeds the journal's records to the read models, and only then answers the requests
// of that batch. Reads are served on the I/O threads from the read models under a shared lock that
// the partition thread holds only while it applies a whole batch's records: a read never waits
// for an fsync and never sees half a batch. A ticker on the partition thread posts the System
// clock's ticks from the real clock (DESIGN §4), so deadlines expire while nobody acts.
//
// In Kafka mode (the second constructor) there is no partition thread: posts are published to
// the actions topic and answered when the replica's thread reads their journal records; that
// thread also applies every partition's records to its read models (the same lock), and ticks.
//
// Routes, status codes and bodies are documented in docs/http.md and docs/openapi.yaml.
//
// Thread-safety: Run blocks the calling thread until Stop (from any thread or a signal handler's
// flag) and returns after a graceful shutdown: stop accepting, finish what is in flight, commit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/embedded/runtime.h"
#include "adapters/http/keys.h"
#include "adapters/kafka/replica.h"
#include "adapters/status.h"

namespace kezek::adapters::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;          // 0: any free port (the bound one is reported by on_listening)
  int64_t tick_interval_ms = 60'000;  // the ticker's period; 0: no ticker
  // Where the read models are stored (adapters/embedded/projection_store.h): loaded at start, caught up
  // from the journal, written after every batch. Empty: rebuilt in memory at every start.
  std::string projections_path;
  // TLS (HTTPS) when both are set: a PEM certificate chain and its PEM private key.
  std::string tls_certificate, tls_private_key;
  // serve --kafka: how long a post waits for its input's journal record before answering 504.
  int64_t kafka_answer_timeout_ms = 30'000;
  // Embedded: checkpoints of as-of questions every this many journal records, written from the
  // logs on a thread of their own (adapters/embedded/checkpoints.h); 0: none.
  uint64_t checkpoint_every = 0;
  // Of them, how many are kept (adapters/embedded/checkpoints.h, CheckpointsToThin); 0: all.
  uint64_t checkpoint_keep = 0;
  std::function<void(uint16_t port)> on_listening;
  std::function<void(const std::string&)> say;  // log lines
};

class Server {
 public:
  // Embedded: posts are folded by `runtime` on the partition thread.
  Server(Runtime& runtime, KeyRing keys, ServerOptions options);
  // Kafka (docs/kafka.md, "Serving from Kafka"): posts are published through `replica`, and the
  // read models (one per journal partition) follow its journal topic; the answer to a post is
  // built from its input's journal record as the replica reads it.
  Server(kafka::Replica& replica, KeyRing keys, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until Stop. Failure: IoError (cannot bind), or the runtime's failure (the server then
  // stops answering posts with 503 and shuts down).
  Status Run();
  // Asks Run to shut down gracefully; safe from any thread.
  void Stop();
  // From now on, requests are checked against `keys` (the keys file changed: a key added, rotated
  // or revoked takes effect without a restart). A request already past its check keeps its caller.
  // Safe from any thread.
  void ReplaceKeys(KeyRing keys);

  // Whether `address`:`port` can be listened on now (an IP address, the port free): asked before
  // a data directory is opened or made, so that a port in use leaves nothing behind. Run binds
  // again (another process may take the port in between: Run then fails as before).
  // Failure: InvalidArgument (not an IP address), IoError (cannot bind).
  static Status CanListen(const std::string& address, uint16_t port);
  // Whether the TLS certificate and key load and belong together (Run loads them the same way),
  // asked before a data directory is opened or made. *warning: what to tell about them that does
  // not stop serving (an expired certificate). Failure: InvalidArgument naming what is wrong.
  static Status CheckTls(const std::string& certificate, const std::string& private_key, std::string* warning);

  struct Impl;  // adapters/http/server.cc (named here for its connection class)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kezek::adapters::http
