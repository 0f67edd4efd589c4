#include "adapters/http/server.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <openssl/x509.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "adapters/console_page.h"
#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/projection_store.h"
#include "adapters/embedded/segment_log.h"
#include "adapters/kafka/router.h"
#include "adapters/http/limits.h"
#include "adapters/http/views_json.h"
#include "engine/civil_time.h"
#include "events/answer.h"
#include "events/codec.h"
#include "events/input.h"
#include "engine/numbers.h"
#include "events/journal_chain.h"
#include "projections/history_stats.h"
#include "projections/read_models.h"
#include "projections/summary.h"

namespace kezek::adapters::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// The real clock, in ms since the epoch: the ticker's, and the bound of a posted tick.
int64_t RealMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
bool TickAhead(int64_t instant_ms) { return instant_ms - RealMs() > limits::kTickAheadOfClockMaxMs; }

// --- metrics (Prometheus text format) --------------------------------------------------------

// A histogram with fixed upper bounds (seconds or counts).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void Observe(double value) {
    const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    ++counts_[i];
    sum_ += value;
    ++count_;
  }
  void Render(std::string& out, std::string_view name, std::string_view labels) const {
    uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += counts_[i];
      out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds_[i], cumulative);
    }
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count_);
    out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, sum_, name, labels, count_);
  }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

struct Metrics {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, uint64_t> actions;  // (kind, outcome)
  std::map<std::string, uint64_t> rejections;                       // code
  std::map<std::pair<std::string, int>, uint64_t> responses;        // (route, status)
  std::map<std::string, Histogram> latency;                         // route
  Histogram batch_inputs{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}};
  Histogram commit_seconds{{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1}};
  uint64_t reads_refused = 0;
  uint64_t busy = 0;

  void Response(const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex);
    ++responses[{route, status}];
    auto it = latency.find(route);
    if (it == latency.end()) {
      it = latency.emplace(route, Histogram({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25, 0.5, 1, 2.5}))
               .first;
    }
    it->second.Observe(seconds);
  }
};

std::string Escape(std::string_view text) {  // a Prometheus label value
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

// --- the partition loop's work -----------------------------------------------------------------

struct Answered {
  fb::Outcome outcome = fb::Outcome::Applied;
  fb::RejectionCode code = fb::RejectionCode::None;
  std::string json;  // the answer as one JSON line
};

// The answer to an input whose first record is `first`: its status is made of the original's
// outcome when it is a repeat (`original`: the original's first record, if read), as its body
// shows the original's, so that a refused action posted again is refused again (422, 403), never
// a 200 a client would take for success.
Answered AnsweredOf(const fb::JournalRecord& first, std::span<const uint8_t> original, std::string json) {
  const fb::JournalRecord& verdict =
      first.outcome() == fb::Outcome::Duplicate && !original.empty() ? *fb::GetJournalRecord(original.data()) : first;
  return Answered{verdict.outcome(), verdict.rejection() ? verdict.rejection()->code() : fb::RejectionCode::None,
                  std::move(json)};
}

// Why a post got no answers: an HTTP error instead.
struct Failure {
  bhttp::status status = bhttp::status::service_unavailable;
  std::string code, message;
};

struct PostJob {
  std::vector<events::InputLine> inputs;
  // Called on the partition thread (the replica's in Kafka mode): every input's answer, or a failure.
  std::function<void(std::vector<Answered>, const Failure*)> done;
};

// Kafka mode: a post's inputs, published, waiting for their journal records.
struct KafkaJob {
  std::vector<Answered> answers;  // by input
  size_t remaining = 0;           // inputs not answered yet
  std::optional<Failure> failure;
  std::function<void(std::vector<Answered>, const Failure*)> done;
};

int StatusFor(const Answered& a) {
  if (a.outcome != fb::Outcome::Rejected) return 200;
  const bool access = a.code == fb::RejectionCode::RoleNotAllowed || a.code == fb::RejectionCode::ApplicantMismatch ||
                      a.code == fb::RejectionCode::KindergartenMismatch;
  return access ? 403 : 422;
}

}  // namespace

namespace {
std::string_view KeyOf(const Request& request);  // the API key a request names (below)
// Whether the request has an Authorization header that is not blank (a proxy's empty one is none).
bool NamesAuthorization(const Request& request) {
  const auto auth = request.find(bhttp::field::authorization);
  return auth != request.end() && auth->value().find_first_not_of(" \t") != beast::string_view::npos;
}

// The request's target in origin form: the absolute form a client sends through a proxy (RFC 9112
// §3.2.2: a server accepts it), "http://host:8080/v1/catalogue", is "/v1/catalogue"; the scheme
// in any case (RFC 3986 §3.1: "HTTP://" is "http://").
std::string_view OriginForm(const Request& request) {
  std::string_view target(request.target().data(), request.target().size());
  const auto scheme = [&](std::string_view name) {
    return target.size() >= name.size() && beast::iequals(beast::string_view(target.data(), name.size()), beast::string_view(name.data(), name.size()));
  };
  if (scheme("http://") || scheme("https://")) {
    const size_t slash = target.find('/', target.find("://") + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target;
}

// The metrics' label of a record's action: its kind, "(not an action)" for an input that never
// became one, "(unknown)" for a body_type no kind has (refused; FlatBuffers names it "").
std::string ActionKind(const fb::JournalRecord& record) {
  const fb::Action* action = record.action() ? record.action_nested_root() : nullptr;
  if (action == nullptr) return "(not an action)";
  const char* name = fb::EnumNameActionBody(action->body_type());
  return *name != '\0' ? name : "(unknown)";
}

}  // namespace

struct Server::Impl {
  Impl(Runtime* r, kafka::Replica* k, KeyRing ring, ServerOptions o)
      : runtime(r), replica(k), keys(std::make_shared<const KeyRing>(std::move(ring))), options(std::move(o)) {
    models.resize(replica ? static_cast<size_t>(replica->partitions()) : 1);
  }

  Runtime* runtime;          // embedded; null in Kafka mode
  kafka::Replica* replica;   // Kafka mode; null when embedded
  // The keys in force: replaced whole (ReplaceKeys), read by each request's check.
  std::shared_ptr<const KeyRing> keys;
  std::mutex keys_mutex;
  std::shared_ptr<const KeyRing> Keys() {
    std::lock_guard lock(keys_mutex);
    return keys;
  }
  ServerOptions options;
  asio::io_context io{static_cast<int>(limits::kIoThreads)};
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::ssl::context> tls;  // set when a certificate and key were given
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  size_t connections_max = limits::kConnectionsMax;  // less under a low open-file limit (ConnectionsAllowed)
  std::optional<asio::steady_timer> accept_retry;    // on the acceptor's strand
  // The connections waiting for a request (its header, or a TLS handshake), by the address they
  // come from: at the cap, a new connection closes one of them instead of being closed itself
  // (nginx's reuse of keep-alive connections), so that a client holding every connection open and
  // idle cannot keep out the next one (a health check, a portal's retry). The one closed is the
  // longest waiting of the address holding the most connections: a client that opens hundreds
  // loses its own first, not a portal's few pooled ones (behind one proxy every client is one
  // address, and the longest waiting goes first).
  struct IdleTicket {
    std::function<void()> evict;  // posts the close to the connection's strand
    std::string peer;             // the client's address ("" when the socket could not say)
    std::list<std::shared_ptr<IdleTicket>>::iterator at;  // in its peer's list
    uint64_t since = 0;           // when it began to wait (idle_clock); 0: first to close
    bool listed = false;
    bool evicted = false;  // counted in `evicting` until its session is gone
  };
  struct Peer {
    size_t connections = 0;
    std::list<std::shared_ptr<IdleTicket>> idle;  // waiting longest first
  };
  std::mutex idle_mutex;
  std::unordered_map<std::string, Peer> peers;  // every address with a connection open
  uint64_t idle_clock = 0;
  std::atomic<uint64_t> evicted{0};
  size_t evicting = 0;  // evicted sessions not gone yet (idle_mutex): the sockets past the limit
  void Arrived(const std::shared_ptr<IdleTicket>& ticket) {
    std::lock_guard lock(idle_mutex);
    ++peers[ticket->peer].connections;
  }
  // `first`: listed as the first to close (a refused client's connection, being drained).
  void Idle(const std::shared_ptr<IdleTicket>& ticket, bool waiting, bool first = false) {
    std::lock_guard lock(idle_mutex);
    std::list<std::shared_ptr<IdleTicket>>& list = peers[ticket->peer].idle;
    if (waiting && !ticket->listed) {
      ticket->since = first ? 0 : ++idle_clock;
      ticket->at = list.insert(first ? list.begin() : list.end(), ticket);
    }
    if (!waiting && ticket->listed) list.erase(ticket->at);
    ticket->listed = waiting;
  }
  void Gone(const std::shared_ptr<IdleTicket>& ticket) {
    std::lock_guard lock(idle_mutex);
    const auto peer = peers.find(ticket->peer);
    if (peer != peers.end()) {
      if (ticket->listed) peer->second.idle.erase(ticket->at);
      if (--peer->second.connections == 0) peers.erase(peer);
    }
    ticket->listed = false;
    if (ticket->evicted) --evicting;
  }
  // Closes a connection waiting for a request: a refused client's being drained first, then the
  // longest waiting of the address with the most connections open. False when none waits, or
  // when limits::kEvictingMax closes are under way already (a flood's accepts would otherwise
  // open sockets faster than the closes run, past the limit and into the files kept for the data).
  bool EvictOne() {
    std::shared_ptr<IdleTicket> chosen;
    {
      std::lock_guard lock(idle_mutex);
      if (evicting >= limits::kEvictingMax) return false;
      Peer* from = nullptr;
      const auto before = [](const Peer& a, const Peer& b) {
        const uint64_t a_since = a.idle.front()->since, b_since = b.idle.front()->since;
        if ((a_since == 0) != (b_since == 0)) return a_since == 0;
        if (a.connections != b.connections) return a.connections > b.connections;
        return a_since < b_since;
      };
      for (auto& [address, peer] : peers) {
        if (!peer.idle.empty() && (from == nullptr || before(peer, *from))) from = &peer;
      }
      if (from == nullptr) return false;
      chosen = from->idle.front();
      from->idle.pop_front();
      chosen->listed = false;
      chosen->evicted = true;
      ++evicting;
    }
    ++evicted;
    chosen->evict();
    return true;
  }
  std::atomic<size_t> in_flight{0};
  Metrics metrics;

  std::shared_mutex models_mutex;
  std::vector<projections::ReadModels> models;  // one per journal partition (one when embedded)
  std::unique_ptr<ProjectionStore> store;  // null: the models are not stored
  std::atomic<uint64_t> journal_records{0};
  std::atomic<uint64_t> metrics_store_failures{0};
  std::atomic<int64_t> engine_time_ms{0};

  std::mutex jobs_mutex;
  std::condition_variable jobs_ready;
  std::deque<PostJob> jobs;
  Status partition_failure;
  std::atomic<bool> partition_failed{false};

  // --- Kafka mode: publishing, and the replica's thread ------------------------------------------
  // A published input waits here, by the (partition, offset) its message landed at, for the
  // journal record whose input_offset names it; a record read before its message's placement was
  // reported waits in `recent` (kept only while placements are outstanding, bounded).
  struct Waiting {
    std::shared_ptr<KafkaJob> job;
    size_t input = 0;
    Clock::time_point deadline;
  };
  using Placement = std::pair<int32_t, int64_t>;
  static constexpr size_t kRecentMax = 65'536;
  std::mutex kafka_mutex;  // the maps below: the replica's thread, and an I/O thread whose publish waits for room
  std::map<Placement, Waiting> awaiting;
  std::map<Placement, std::vector<std::vector<uint8_t>>> recent;
  std::deque<Placement> recent_order;
  std::vector<std::vector<std::vector<uint8_t>>> parts;  // per partition: the parts of an input read so far
  std::vector<std::vector<int64_t>> offset_of;  // per partition: each record's topic offset, by sequence
  std::atomic<int64_t> unplaced{0};  // messages published whose placement is not reported yet
  int64_t next_kafka_tick = 0;
  bool Publish(PostJob job);
  void OnPlaced(const std::shared_ptr<KafkaJob>& job, size_t input, bool answers, const Status& status, Placement at);
  void OnRecords(std::span<const kafka::Replica::Record> records);
  void KafkaIdle();
  // REQUIRES: kafka_mutex held. The input's answer (nullopt: it failed; job->failure says why).
  void Settle(const std::shared_ptr<KafkaJob>& job, size_t input, std::optional<Answered> answer);
  // The answer to the input at `at` whose records are `records`; a repeat carries its original's
  // decisions, read back from the journal topic (as the embedded server answers it).
  Answered AnswerFrom(Placement at, const std::vector<std::span<const uint8_t>>& records) {
    const fb::JournalRecord* first = fb::GetJournalRecord(records.front().data());
    std::vector<std::vector<uint8_t>> original;
    if (first->outcome() == fb::Outcome::Duplicate) {
      const auto& offsets = offset_of[static_cast<size_t>(at.first)];
      Status read = first->duplicate_of() < offsets.size()
                        ? replica->ReadInput(at.first, offsets[first->duplicate_of()], &original)
                        : Status::NotFound("the original is not read yet");
      if (!read.ok()) {
        original.clear();
        options.say(fmt::format("the original of a repeat (partition {}, record {}): {}", at.first, first->duplicate_of(),
                                read.ToString()));
      }
    }
    const std::vector<std::span<const uint8_t>> originals(original.begin(), original.end());
    // Notifications made from templates are answered with their words, from the partition's read
    // models (they hold every version its journal posted; the replica's thread applied the records
    // before answering them). Read under the models' shared lock: a placement may answer from an
    // I/O thread.
    std::shared_lock models_lock(models_mutex);
    return AnsweredOf(*first, originals.empty() ? std::span<const uint8_t>{} : originals.front(),
                      IoCodec().AnswerToJson(events::AnswerOf(static_cast<uint64_t>(at.second), events::Records(records),
                                                              events::Records(originals),
                                                              &models[static_cast<size_t>(at.first)].templates(),
                                                              at.first)));
  }
  bool Failed() const {
    if (partition_failed) return true;
    if (!replica) return false;
    for (const auto& state : replica->States()) {
      if (!state.failure.empty()) return true;
    }
    return false;
  }
  // --- As of (?as_of=, ?as_of_sequence=; embedded only): read models of a past point, from the
  // data directory's checkpoints and its journal (adapters/embedded/checkpoints.h). The last one
  // loaded is kept: the questions of an audit tend to ask about one point.
  struct Past {
    AsOfPoint point;
    std::shared_ptr<const projections::ReadModels> models;
  };
  std::mutex past_mutex;
  std::optional<Past> past_cached;
  Status LoadPast(const AsOfTarget& target, Past* past) {
    std::lock_guard lock(past_mutex);
    std::unique_ptr<SegmentLog> journal;
    if (Status s = OpenLogs(runtime->dir(), nullptr, &journal); !s.ok()) return s;
    AsOfPoint point;
    if (Status s = ResolveAsOf(*journal, target, &point); !s.ok()) return s;
    if (past_cached && past_cached->point.sequence == point.sequence) return *past = *past_cached, Status::Ok();
    auto then = std::make_shared<projections::ReadModels>();
    if (Status s = LoadAsOf(runtime->dir(), nullptr, *journal, &point, nullptr, then.get()); !s.ok()) return s;
    for (const std::string& note : point.notes) options.say("as of: " + note);
    past_cached = Past{std::move(point), std::move(then)};
    *past = *past_cached;
    return Status::Ok();
  }

  // --- The slow worker: as-of questions and the audit routes take seconds on a country (loading a
  // checkpoint, folding the journal), so they are answered on a thread of their own, one at a
  // time, never on an I/O thread (live reads and posts go on meanwhile). At most kSlowQueueMax
  // wait, at most kSlowPerKeyMax of one key's (one key asking question after question must not
  // fill the queue and leave an auditor's 503); more are answered 503 Busy.
  static constexpr size_t kSlowQueueMax = 16;
  static constexpr size_t kSlowPerKeyMax = 4;
  std::mutex slow_mutex;
  std::condition_variable slow_ready;
  std::deque<std::pair<std::string, std::function<void()>>> slow_jobs;  // the key's name, the job
  std::map<std::string, size_t> slow_waiting;  // by key name: its questions queued
  std::thread slow_thread;
  bool slow_stopping = false;
  enum class SlowRefusal { kNone, kFull, kKeyFull };
  // kFull when the queue is full or the server stops, kKeyFull when `key`'s share is (the caller
  // answers 503).
  SlowRefusal Slow(const std::string& key, std::function<void()> job) {
    std::lock_guard lock(slow_mutex);
    if (slow_stopping || slow_jobs.size() >= kSlowQueueMax) return SlowRefusal::kFull;
    if (slow_waiting[key] >= kSlowPerKeyMax) return SlowRefusal::kKeyFull;
    if (!slow_thread.joinable()) {
      slow_thread = std::thread([this]() {
        for (;;) {
          std::function<void()> next;
          {
            std::unique_lock wait(slow_mutex);
            slow_ready.wait(wait, [this]() { return slow_stopping || !slow_jobs.empty(); });
            if (slow_jobs.empty()) return;
            next = std::move(slow_jobs.front().second);
            if (--slow_waiting[slow_jobs.front().first] == 0) slow_waiting.erase(slow_jobs.front().first);
            slow_jobs.pop_front();
          }
          next();
        }
      });
    }
    ++slow_waiting[key];
    slow_jobs.emplace_back(key, std::move(job));
    slow_ready.notify_one();
    return SlowRefusal::kNone;
  }
  void StopSlow() {
    {
      std::lock_guard lock(slow_mutex);
      slow_stopping = true;
    }
    slow_ready.notify_all();
    if (slow_thread.joinable()) slow_thread.join();  // the jobs queued are answered first
  }
  ~Impl() {
    StopSlow();
    StopCheckpointer();
  }

  // --- The checkpointer (embedded, options.checkpoint_every > 0): every few seconds, once the
  // journal passed the next multiple, the checkpoints up to its end are written from the logs
  // (BuildCheckpoints: its own engine and read models, from the newest checkpoint on), off the
  // partition and I/O threads.
  std::thread checkpointer;
  std::mutex checkpointer_mutex;
  std::condition_variable checkpointer_wake;
  std::atomic<bool> checkpointer_stop{false};
  void StartCheckpointer() {
    if (runtime == nullptr || options.checkpoint_every == 0) return;
    checkpointer = std::thread([this]() {
      uint64_t due = 0;  // the journal's length that calls for the next checkpoint (0: find out)
      while (!checkpointer_stop) {
        const uint64_t records = journal_records.load();
        if (due == 0 || records >= due) {
          std::unique_ptr<SegmentLog> actions, journal;
          CheckpointBuild build;
          build.every = options.checkpoint_every;
          build.stop = &checkpointer_stop;
          build.keep = options.checkpoint_keep;
          build.written = [this](const CheckpointInfo& c) {
            options.say(fmt::format("checkpoint at record {} written ({} bytes)", c.sequence, c.bytes));
          };
          build.removed = [this](const CheckpointInfo& c) {
            options.say(fmt::format("checkpoint at record {} removed (--checkpoint-keep {}; {} bytes)", c.sequence,
                                    options.checkpoint_keep, c.bytes));
          };
          CheckpointBuildReport report;
          Status s = OpenLogs(runtime->dir(), &actions, &journal);
          if (s.ok()) s = BuildCheckpoints(runtime->dir(), *actions, *journal, build, &report);
          for (const std::string& note : report.notes) options.say("checkpoints: " + note);
          if (!s.ok()) {
            options.say("checkpoints: " + s.ToString() + " (tried again later)");
            due = records + options.checkpoint_every;
          } else {
            const uint64_t end = journal->end();
            due = (end / options.checkpoint_every + 1) * options.checkpoint_every;
          }
        }
        std::unique_lock lock(checkpointer_mutex);
        checkpointer_wake.wait_for(lock, std::chrono::seconds(5), [this]() { return checkpointer_stop.load(); });
      }
    });
  }
  void StopCheckpointer() {
    checkpointer_stop = true;
    checkpointer_wake.notify_all();
    if (checkpointer.joinable()) checkpointer.join();
  }
  // Hands a read to the slow worker: answered through `later`; 503 Busy now if it cannot wait.
  Response ReadLater(const Request& request, const Caller& caller, const std::function<void(Response)>& later) {
    auto job = [this, request, caller, later]() {
      std::string ignored;
      later(Read(request, caller, OriginForm(request), &ignored, later, /*on_worker=*/true));
    };
    if (const SlowRefusal refusal = Slow(caller.name, std::move(job)); refusal != SlowRefusal::kNone) {
      Response busy = Error(request, bhttp::status::service_unavailable, "Busy",
                            refusal == SlowRefusal::kFull
                                ? fmt::format("{} slow questions (as of, audit) wait already: retry shortly", kSlowQueueMax)
                                : fmt::format("{} slow questions (as of, audit) of this key wait already: retry when "
                                              "they are answered", kSlowPerKeyMax));
      busy.set(bhttp::field::retry_after, std::to_string(limits::kRetryAfterSeconds));
      return busy;
    }
    Response pending;
    pending.result(bhttp::status::processing);
    return pending;
  }

  // --- The auditors' routes (/v1/audit/statistics, /v1/audit/chain; embedded only): the journal's
  // statistics (projections/history_stats.h) and its hash chain, both fed from the journal's
  // start on the first question and then caught up with the records added since, on each one.
  std::mutex audit_mutex;
  std::unique_ptr<projections::HistoryStats> audit_stats;
  events::JournalChain audit_chain;
  std::string audit_problem;  // the chain's finding; the statistics stop before the record it names
  Status AuditCatchUp() {
    std::unique_ptr<SegmentLog> journal;
    if (Status s = OpenLogs(runtime->dir(), nullptr, &journal); !s.ok()) return s;
    if (!audit_stats) audit_stats = std::make_unique<projections::HistoryStats>();
    if (!audit_problem.empty()) return Status::Ok();
    return journal->Read(audit_chain.records(), [&](uint64_t, std::span<const uint8_t> record) {
      audit_problem = audit_chain.Add(record);
      if (!audit_problem.empty()) return false;
      (void)audit_stats->Apply(record);
      return true;
    });
  }
  std::string AuditChainJson() const {
    return fmt::format(R"({{"verified": {}, "records": {}, "head": "{}", "problem": {}, "source": "kezek serve: the journal's chain checked from its start"}})",
                       audit_problem.empty() ? "true" : "false", audit_chain.records(), projections::Hex(audit_chain.head()),
                       audit_problem.empty() ? std::string("null") : projections::JsonQuoted(audit_problem));  // null as replay verify --json says
  }
  // The statistics as of a bound: from the newest checkpoint before it and the records after it.
  Status AuditStatisticsAsOf(const projections::HistoryStats::Bound& bound, uint32_t top, std::string* json) {
    AsOfTarget target;
    target.before_ms = bound.before_ms;
    target.sequence = bound.before_sequence;
    target.past_end_is_end = true;
    AsOfPoint point;
    projections::HistoryStats stats;
    if (Status s = OpenAsOf(runtime->dir(), target, &point, nullptr, nullptr, &stats); !s.ok()) return s;
    for (const std::string& note : point.notes) options.say("as of: " + note);
    *json = stats.Json(top);
    return Status::Ok();
  }

  // The read models that hold application `id` (its number's locality, engine/numbers.h).
  projections::ReadModels& ModelsOf(uint64_t id) {
    const auto locality = LocalityOfNumber(id);
    return models[locality ? projections::PartitionOfLocality(locality->value, static_cast<uint32_t>(models.size())) : 0];
  }

  // Each I/O thread's own codec (a Codec is used by one thread at a time): parses posted
  // actions, prints bodies.
  static events::Codec& IoCodec() {
    thread_local events::Codec codec;
    return codec;
  }

  // --- the partition thread ---------------------------------------------------------------------
  void PartitionLoop();
  // The tick's key names its instant and 128 random bits: keys are one namespace (docs/domain.md,
  // "Idempotency"), and a key any caller could foresee ("clock-<ms>", the instant read from
  // /healthz) let a Portal key take the next ticks' keys with refused actions: every tick after
  // was IdempotencyKeyReused, engine time stood still and, 5 minutes on, every post was refused.
  static events::InputLine TickInput(int64_t instant_ms) {
    thread_local std::random_device entropy;
    const uint64_t high = (uint64_t{entropy()} << 32) | entropy(), low = (uint64_t{entropy()} << 32) | entropy();
    return events::LineOf(fmt::format(R"({{"schema_version":1,"idempotency_key":"clock-{}-{:016x}{:016x}","instant_ms":{},)"
                                      R"("actor":{{"role":"System"}},"body_type":"ClockTick","body":{{}}}})",
                                      instant_ms, high, low, instant_ms));
  }
  bool Enqueue(PostJob job) {
    const size_t n = job.inputs.size();
    if (in_flight.fetch_add(n) + n > limits::kActionsInFlightMax) {
      in_flight.fetch_sub(n);
      return false;
    }
    {
      std::lock_guard lock(jobs_mutex);
      jobs.push_back(std::move(job));
    }
    jobs_ready.notify_one();
    return true;
  }

  // --- HTTP ---------------------------------------------------------------------------------------
  void Accept();
  Response Route(const Request& request, const std::function<void(Response)>& later, std::string* route);
  // 401 for a request to /v1/ without a known key; nullopt (and *caller filled) otherwise.
  std::optional<Response> RefuseKey(const Request& request, Caller* caller) {
    const std::string_view key = KeyOf(request);
    // A 401 names the scheme that authenticates (RFC 9110 §11.6.1), and for a key sent but not
    // taken, that it was the key (RFC 6750 §3.1).
    const auto unauthorized = [&](std::string_view code, std::string_view message) {
      Response refused = Error(request, bhttp::status::unauthorized, code, message);
      refused.set(bhttp::field::www_authenticate, code == "MissingKey" ? "Bearer" : "Bearer error=\"invalid_token\"");
      return refused;
    };
    switch (Keys()->Find(key, caller)) {
      case KeyRing::Verdict::kKnown: return std::nullopt;
      case KeyRing::Verdict::kUnknown:
        if (key.empty() && NamesAuthorization(request)) {
          return unauthorized("UnknownKey", "the Authorization header is no 'Bearer KEY' (with it, X-Api-Key is not read)");
        }
        return unauthorized(key.empty() ? "MissingKey" : "UnknownKey",
                            key.empty() ? "send the API key as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'"
                                        : "the API key is not known");
      case KeyRing::Verdict::kRevoked: return unauthorized("RevokedKey", "the API key was revoked");
    }
    return std::nullopt;
  }
  // Before a body is read: a request to the API without a known key is refused then (401), so
  // that a client without a key cannot hold a connection for a body's 30 s, where no eviction
  // reaches it (a connection waiting for headers can be evicted; one reading a body cannot).
  // A request outside /v1/ is answered then too: no such route reads a body (they answer 404 or
  // 405), so none is waited for.
  // A request with a key is answered then too when it goes to no route (404), with another method
  // than its route's (405), to POST /v1/actions with a query (400) or another media type (415),
  // or when it is a read with a body (400 UnexpectedBody): only a post's body is ever read, and
  // `Expect: 100-continue` is answered 100 only for one that will be.
  std::optional<Response> RefuseBeforeBody(const Request& head, std::string* route) {
    if (const std::string_view target = OriginForm(head); !target.starts_with("/v1/")) {
      // A read there (/healthz, /readyz, /metrics, /console) with content is refused as a /v1/
      // read is, whatever it would answer; another path is answered (404, 405).
      const std::string_view path = target.substr(0, target.find('?'));
      if (head.method() == bhttp::verb::get &&
          (path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/console")) {
        *route = std::string(path);
        return Error(head, bhttp::status::bad_request, "UnexpectedBody", "a GET or HEAD request carries no body");
      }
      return Route(head, [](Response) {}, route);
    }
    Caller caller;
    *route = "(unauthenticated)";
    if (std::optional<Response> refused = RefuseKey(head, &caller)) return refused;
    if (std::optional<Response> unrouted = Unrouted(head, route)) return unrouted;
    // A read with content (RFC 9110 §9.3.1: a GET's content has no meaning): refused rather than
    // read and dropped, or a client would think what it sent was taken into account.
    if (head.method() == bhttp::verb::get) {
      return Error(head, bhttp::status::bad_request, "UnexpectedBody", "a GET or HEAD request carries no body");
    }
    return std::nullopt;
  }
  // The answer to a /v1/ request no route takes, matched on the path's percent-decoded segments
  // (docs/http.md, "Routes"): 404 for no route (a path with an empty segment, "//" or a trailing
  // '/', names none), 405 for a route's other method; nullopt for POST /v1/actions and a GET of a
  // read route.
  std::optional<Response> Unrouted(const Request& request, std::string* route);
  Response Error(const Request& request, bhttp::status status, std::string_view code, std::string_view message) {
    Response response{status, request.version()};
    response.set(bhttp::field::content_type, "application/json");
    response.body() = ErrorJson(IoCodec(), code, message);
    if (status == bhttp::status::service_unavailable) {
      response.set(bhttp::field::retry_after, std::to_string(limits::kRetryAfterSeconds));
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
  }
  // 405: the route exists, the method does not; Allow names the one it takes (RFC 9110 §15.5.6).
  Response MethodNotAllowed(const Request& request, std::string_view allow) {
    Response response =
        Error(request, bhttp::status::method_not_allowed, "MethodNotAllowed", fmt::format("only {}", allow));
    response.set(bhttp::field::allow, std::string(allow));
    return response;
  }
  Response Json(const Request& request, bhttp::status status, std::string body) {
    Response response{status, request.version()};
    response.set(bhttp::field::content_type, "application/json");
    response.body() = std::move(body);
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
  }
  Response Post(const Request& request, const Caller& caller, const std::function<void(Response)>& later);
  // `later` answers a question handed to the slow worker (as of, audit); `on_worker`: this is it.
  Response Read(const Request& request, const Caller& caller, std::string_view target, std::string* route,
                const std::function<void(Response)>& later, bool on_worker = false);
  std::string MetricsText();
};

// --- the partition loop -------------------------------------------------------------------------

void Server::Impl::PartitionLoop() {
  events::Codec codec;  // this thread's
  Sha256Hasher hasher;
  int64_t next_tick = 0;
  const auto real_ms = [] { return RealMs(); };
  for (;;) {
    std::vector<PostJob> batch;
    std::vector<events::InputLine> inputs;
    {
      std::unique_lock lock(jobs_mutex);
      const auto wake = [&] { return !jobs.empty() || stopping.load(); };
      if (options.tick_interval_ms > 0) {
        const int64_t wait_ms = std::max<int64_t>(0, next_tick - real_ms());
        jobs_ready.wait_for(lock, std::chrono::milliseconds(wait_ms), wake);
      } else {
        jobs_ready.wait(lock, wake);
      }
      if (jobs.empty() && stopping.load()) return;
      while (!jobs.empty() && inputs.size() + jobs.front().inputs.size() <= limits::kBatchInputsMax) {
        for (auto& input : jobs.front().inputs) inputs.push_back(std::move(input));
        batch.push_back(std::move(jobs.front()));
        jobs.pop_front();
      }
    }
    // The ticker: the System clock's tick from the real clock, first in the batch.
    std::vector<size_t> owner;  // input index -> job index (npos for the tick)
    if (options.tick_interval_ms > 0 && real_ms() >= next_tick) {
      const int64_t now = real_ms();
      inputs.insert(inputs.begin(), TickInput(now));
      next_tick = now + options.tick_interval_ms;
      owner.push_back(SIZE_MAX);
    }
    for (size_t j = 0; j < batch.size(); ++j) {
      for (size_t k = 0; k < batch[j].inputs.size(); ++k) owner.push_back(j);
    }
    if (inputs.empty()) continue;
    std::vector<std::vector<uint8_t>> records;  // every record of the batch (an input may have parts)
    std::vector<size_t> first_record;           // input index -> its first record in `records`
    std::vector<Answered> answered;             // input index -> its answer
    records.reserve(inputs.size());
    first_record.reserve(inputs.size());
    answered.reserve(inputs.size());
    const auto started = Clock::now();
    Status status = runtime->Append(std::span<const events::InputLine>(inputs), [&](const Runtime::Answer& answer) {
      first_record.push_back(records.size());
      for (const auto& record : answer.records) records.emplace_back(record.begin(), record.end());
      // Notifications made from templates are answered with their words too (the engine's book).
      answered.push_back(AnsweredOf(*fb::GetJournalRecord(answer.records.front().data()),
                                    answer.original.empty() ? std::span<const uint8_t>{} : answer.original.front(),
                                    codec.AnswerToJson(events::AnswerOf(answer.input, answer.records, answer.original,
                                                                        &runtime->engine().state().template_book))));
    });
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (!status.ok()) {
      partition_failure = status;
      partition_failed = true;
      options.say(fmt::format("the partition stopped: {}", status.ToString()));
      const Failure failure{bhttp::status::service_unavailable, "PartitionStopped", "the partition stopped; see the server's log"};
      for (PostJob& job : batch) job.done({}, &failure);
      stopping = true;
      asio::post(acceptor->get_executor(), [this] {
        beast::error_code ignored;
        acceptor->close(ignored);
      });
      return;
    }
    // Every record is durable: the read models take the whole batch at once.
    {
      std::unique_lock lock(models_mutex);
      for (const auto& record : records) models[0].Apply(record);
      journal_records = runtime->journal().end();  // with the models: a reader sees the pair agree
    }
    engine_time_ms = runtime->engine().state().now.value;
    std::vector<std::vector<Answered>> answers(batch.size());
    {
      std::lock_guard lock(metrics.mutex);
      metrics.batch_inputs.Observe(static_cast<double>(inputs.size()));
      metrics.commit_seconds.Observe(seconds);
      for (size_t i = 0; i < first_record.size(); ++i) {
        const fb::JournalRecord* record = fb::GetJournalRecord(records[first_record[i]].data());
        ++metrics.actions[{ActionKind(*record), fb::EnumNameOutcome(record->outcome())}];
        if (record->rejection()) ++metrics.rejections[fb::EnumNameRejectionCode(record->rejection()->code())];
        if (owner[i] == SIZE_MAX) continue;
        answers[owner[i]].push_back(std::move(answered[i]));
      }
    }
    for (size_t j = 0; j < batch.size(); ++j) {
      in_flight.fetch_sub(batch[j].inputs.size());
      batch[j].done(std::move(answers[j]), nullptr);
    }
    // Answered; now the stored read models follow (only this thread changes the models, so no
    // lock: readers never touch what a drain writes). A failure here loses nothing: the store is
    // caught up from the journal at the next start.
    if (store && !records.empty()) {
      if (const Status stored = store->Commit(models[0], hasher.Of(records.back())); !stored.ok()) {
        ++metrics_store_failures;
        if (metrics_store_failures == 1) options.say(fmt::format("storing the read models: {}", stored.ToString()));
      }
    }
  }
}

// --- Kafka mode ---------------------------------------------------------------------------------

namespace {

// A publication the broker did not confirm: a timeout or a lost connection may still have written
// it (and an input every partition folds may be in some of them), so the answer says so and how
// to settle it: the same post again, which the idempotency key makes safe.
Failure Unconfirmed(const Status& status) {
  return Failure{bhttp::status::service_unavailable, "PublishFailed",
                 fmt::format("the broker did not confirm the input ({}): it may or may not be journaled (an input every "
                             "partition folds, in some of them); post it again with the same idempotency_key: a repeat "
                             "is answered with the original, and a partition that lacks it folds it",
                             status.ToString())};
}

}  // namespace

bool Server::Impl::Publish(PostJob job) {
  const size_t n = job.inputs.size();
  if (in_flight.fetch_add(n) + n > limits::kActionsInFlightMax) {
    in_flight.fetch_sub(n);
    return false;
  }
  auto kjob = std::make_shared<KafkaJob>();
  kjob->answers.resize(n);
  kjob->remaining = n;
  kjob->done = [this, n, done = std::move(job.done)](std::vector<Answered> answers, const Failure* failure) {
    in_flight.fetch_sub(n);
    done(std::move(answers), failure);
  };
  const auto partitions = static_cast<int>(models.size());
  for (size_t i = 0; i < n; ++i) {
    const std::vector<uint8_t> payload = events::EncodeInput(IoCodec(), job.inputs[i]);
    kafka::Route route = kafka::RouteOf(payload, partitions);
    std::sort(route.partitions.begin(), route.partitions.end());
    // The answer is the record of the input's first partition (a tick or a catalogue change goes
    // to every partition; each journals it, the first one answers).
    for (const int32_t k : route.partitions) {
      const bool answers = k == route.partitions.front();
      ++unplaced;
      Status published = replica->Publish(payload, {k}, route.key, [this, kjob, i, answers](Status status, int32_t p, int64_t offset) {
        OnPlaced(kjob, i, answers, status, {p, offset});
      });
      if (!published.ok()) {
        --unplaced;
        std::lock_guard lock(kafka_mutex);
        kjob->failure = Unconfirmed(published);
        if (answers) Settle(kjob, i, std::nullopt);
        break;  // the other partitions' messages of this input are not sent
      }
    }
  }
  return true;
}

void Server::Impl::Settle(const std::shared_ptr<KafkaJob>& job, size_t input, std::optional<Answered> answer) {
  if (answer) job->answers[input] = std::move(*answer);
  if (--job->remaining > 0) return;
  if (job->failure) {
    job->done({}, &*job->failure);
  } else {
    job->done(std::move(job->answers), nullptr);
  }
}

void Server::Impl::OnPlaced(const std::shared_ptr<KafkaJob>& job, size_t input, bool answers, const Status& status, Placement at) {
  std::lock_guard lock(kafka_mutex);
  --unplaced;
  if (!status.ok()) {
    job->failure = Unconfirmed(status);
    if (answers) Settle(job, input, std::nullopt);
    return;
  }
  if (!answers) return;
  if (const auto it = recent.find(at); it != recent.end()) {  // its record was read already
    const std::vector<std::span<const uint8_t>> records(it->second.begin(), it->second.end());
    Settle(job, input, AnswerFrom(at, records));
    recent.erase(it);
    return;
  }
  awaiting[at] = Waiting{job, input, Clock::now() + std::chrono::milliseconds(options.kafka_answer_timeout_ms)};
}

void Server::Impl::OnRecords(std::span<const kafka::Replica::Record> records) {
  {
    std::unique_lock lock(models_mutex);
    for (const auto& r : records) models[static_cast<size_t>(r.partition)].Apply(r.bytes);
    journal_records += records.size();
  }
  std::lock_guard lock(kafka_mutex);
  for (const auto& r : records) {
    const fb::JournalRecord* record = fb::GetJournalRecord(r.bytes.data());
    engine_time_ms = std::max(engine_time_ms.load(), record->engine_time_ms());
    if (record->part() == 0) {
      std::lock_guard metrics_lock(metrics.mutex);
      ++metrics.actions[{ActionKind(*record), fb::EnumNameOutcome(record->outcome())}];
      if (record->rejection()) ++metrics.rejections[fb::EnumNameRejectionCode(record->rejection()->code())];
    }
    offset_of[static_cast<size_t>(r.partition)].push_back(r.offset);
    auto& held = parts[static_cast<size_t>(r.partition)];
    if (record->continued() || !held.empty()) {
      held.emplace_back(r.bytes.begin(), r.bytes.end());
      if (record->continued()) continue;
    }
    const Placement at{r.partition, static_cast<int64_t>(record->input_offset())};
    std::vector<std::span<const uint8_t>> whole;
    if (held.empty()) {
      whole.push_back(r.bytes);
    } else {
      whole.assign(held.begin(), held.end());
    }
    if (const auto it = awaiting.find(at); it != awaiting.end()) {
      Settle(it->second.job, it->second.input, AnswerFrom(at, whole));
      awaiting.erase(it);
    } else if (unplaced > 0) {  // perhaps a message of ours whose placement is not reported yet
      auto& kept = recent[at];
      kept.clear();
      for (const auto& part : whole) kept.emplace_back(part.begin(), part.end());
      recent_order.push_back(at);
      while (recent_order.size() > kRecentMax) {
        recent.erase(recent_order.front());
        recent_order.pop_front();
      }
    }
    held.clear();
  }
}

void Server::Impl::KafkaIdle() {
  const auto now = Clock::now();
  {
    std::lock_guard lock(kafka_mutex);
    for (auto it = awaiting.begin(); it != awaiting.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      it->second.job->failure = Failure{
          bhttp::status::gateway_timeout, "NotYetJournaled",
          fmt::format("published to partition {} at offset {}, but no journal record of it within {} s: is an engine "
                      "member running (kezek run --kafka)? It will be folded when one runs; post it again with the "
                      "same idempotency_key to read its answer",
                      it->first.first, it->first.second, options.kafka_answer_timeout_ms / 1000)};
      Settle(it->second.job, it->second.input, std::nullopt);
      it = awaiting.erase(it);
    }
    if (unplaced == 0) {
      recent.clear();
      recent_order.clear();
    }
  }
  // The ticker: the System clock's tick from the real clock, to every partition.
  if (options.tick_interval_ms <= 0 || stopping) return;
  const int64_t real_ms = RealMs();
  if (real_ms < next_kafka_tick) return;
  next_kafka_tick = real_ms + options.tick_interval_ms;
  PostJob tick;
  tick.inputs.push_back(TickInput(real_ms));
  tick.done = [this](std::vector<Answered>, const Failure* failure) {
    if (failure != nullptr) options.say(fmt::format("a clock tick: {}: {}", failure->code, failure->message));
  };
  Publish(std::move(tick));
}

// --- HTTP sessions --------------------------------------------------------------------------

namespace {

// One connection, plain (beast::tcp_stream) or TLS (beast::ssl_stream over it): the same
// requests, limits and timeouts; TLS adds the handshake (under the header timeout) and a
// close_notify before closing.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <typename... TlsContext>
  Session(tcp::socket socket, Server::Impl& server, TlsContext&... tls) : stream_(std::move(socket), tls...), server_(server) {
    beast::error_code error;
    const tcp::endpoint peer = Lowest().socket().remote_endpoint(error);
    if (!error) ticket_->peer = peer.address().to_string();
    server_.Arrived(ticket_);
  }
  ~Session() {
    server_.Gone(ticket_);
    --server_.connections;
  }

  void Start() {
    ticket_->evict = [weak = std::weak_ptr<Session>(shared_from_this()), executor = stream_.get_executor()] {
      asio::post(executor, [weak] {
        // On the session's strand: closed only while it still waits for a request. One whose
        // headers arrived meanwhile (its OnHeader queued, not run) is closed before it is read:
        // a request is either answered or never taken, never taken and then cut off.
        if (auto self = weak.lock(); self && self->waiting_) {
          self->evicted_ = true;
          self->Fail({});
        }
      });
    };
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(limits::kHeaderTimeoutSeconds));
      Waiting(true);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code error) {
        self->Waiting(false);
        if (self->evicted_) return;
        if (error) return self->Fail(error);  // not TLS, a certificate the client refused, too slow
        self->ReadHeader(true);
      });
    } else {
      ReadHeader(true);
    }
  }

 private:
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  // Whether the connection waits for a request (what eviction may close), kept here for the
  // session's strand and in the server's list for the acceptor.
  void Waiting(bool on, bool first = false) {
    waiting_ = on;
    server_.Idle(ticket_, on, first);
  }

  void ReadHeader(bool first) {
    head_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(limits::kHeaderBytesMax));
    parser_->body_limit(limits::kBodyBytesMax);
    Lowest().expires_after(std::chrono::seconds(first ? limits::kHeaderTimeoutSeconds : limits::kIdleTimeoutSeconds));
    Waiting(true);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code error, size_t) { self->OnHeader(error); });
  }
  void OnHeader(beast::error_code error) {
    Waiting(false);
    if (evicted_) return;  // closed to make room (see Start): the request is not taken
    if (error == bhttp::error::header_limit) {
      Request head;
      head.keep_alive(false);
      return Write(server_.Error(head, bhttp::status::request_header_fields_too_large, "HeaderTooLarge",
                                 fmt::format("request headers have at most {} bytes", limits::kHeaderBytesMax)),
                   "(header too large)");
    }
    if (error == bhttp::error::body_limit) {
      // A Content-Length over the limit is refused as the headers end, so who asks is known: the
      // request is answered as any whose body is not read (RefuseBeforeBody: a /v1/ request
      // without a valid key 401, a read with a body 400 UnexpectedBody, no route 404, another
      // method 405), and 413 only for a post that would be read. A HEAD is answered as a GET,
      // without a body.
      ReadHeadAsGet();
      std::string route;
      if (std::optional<Response> refused = server_.RefuseBeforeBody(parser_->get(), &route)) {
        refused->keep_alive(false);
        return Write(std::move(*refused), route);
      }
      return TooLarge();
    }
    if (IsMalformed(error)) return BadRequest(error);
    if (error) return Fail(error);
    const auto& head = parser_->get();
    header_fields_ = static_cast<size_t>(std::distance(head.begin(), head.end()));
    // A body is framed by Content-Length or by the chunked coding, nothing else (RFC 9112 §6.3):
    // a Transfer-Encoding that does not end in chunked would leave the body to be read as the
    // next request (a smuggled one, behind a proxy that frames it otherwise), and a coding before
    // chunked (gzip) would hand on bytes nobody decoded. Refused, and the connection closed.
    if (head.find(bhttp::field::transfer_encoding) != head.end() && !OnlyChunked(head)) {
      return BadRequestSaying("a request's Transfer-Encoding may only be chunked");
    }
    // HTTP/1.0 has no chunked coding: a 1.0 request that names one is faulty framing (RFC 9112
    // §6.1), which a 1.0 hop on the way would frame otherwise. Refused, and the connection closed.
    if (head.version() < 11 && head.find(bhttp::field::transfer_encoding) != head.end()) {
      return BadRequestSaying("an HTTP/1.0 request carries no Transfer-Encoding");
    }
    // An HTTP/1.1 request names its Host once (RFC 9112 §3.2).
    if (const auto [first, last] = head.equal_range(bhttp::field::host);
        head.version() >= 11 && std::distance(first, last) != 1) {
      return BadRequestSaying("an HTTP/1.1 request has one Host header");
    }
    // The headers that say who asks are read once: with two, which one counts would depend on the
    // order a proxy put them in (a client's X-Applicant-Iin before the one the portal adds would
    // read another family's cards). Refused, as two Hosts are; so is a second Content-Type (which
    // one the body is read as would hang on the order too).
    for (const std::string_view name : {"Authorization", "X-Api-Key", "X-Applicant-Iin", "Content-Type"}) {
      if (const auto [first, last] = head.equal_range(beast::string_view(name.data(), name.size()));
          std::distance(first, last) > 1) {
        return BadRequestSaying(fmt::format("a request names its {} once", name));
      }
    }
    ReadHeadAsGet();
    if (!parser_->is_done()) {
      std::string route;
      if (std::optional<Response> refused = server_.RefuseBeforeBody(head, &route)) {
        refused->keep_alive(false);  // the body is drained, not read
        return Write(std::move(*refused), route);
      }
    }
    Lowest().expires_after(std::chrono::seconds(limits::kBodyTimeoutSeconds));
    // A client that asks to be told to go on before it sends the body (Expect: 100-continue, as
    // curl does for larger posts) is told so at once instead of waiting out its own timeout.
    if (const auto expect = head.find(bhttp::field::expect);
        expect != head.end() && head.version() >= 11 && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      continue_ = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, head.version());
      return bhttp::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code e, size_t) {
        if (e) return self->Fail(e);
        self->ReadBody();
      });
    }
    ReadBody();
  }
  // HEAD is answered as GET is, without the body (RFC 9110 §9.3.2): the same status and headers,
  // Content-Length the GET body's, no bytes after them; an answer given before a body is read (a
  // refusal) too. The request is routed as a GET, and Write drops the body.
  void ReadHeadAsGet() {
    if (parser_->get().method() != bhttp::verb::head) return;
    head_ = true;
    parser_->get().method(bhttp::verb::get);
  }
  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code e, size_t) { self->OnBody(e); });
  }
  // Whether every Transfer-Encoding field of the request, taken together, names the chunked
  // coding alone.
  static bool OnlyChunked(const bhttp::request_parser<bhttp::string_body>::value_type& head) {
    int codings = 0;
    bool chunked = false;
    const auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
    for (auto field = first; field != last; ++field) {
      for (const auto& coding : bhttp::token_list(field->value())) {
        ++codings;
        chunked = beast::iequals(coding, "chunked");
      }
    }
    return codings == 1 && chunked;
  }
  void OnBody(beast::error_code error) {
    if (error == bhttp::error::body_limit) return TooLarge();
    if (IsMalformed(error)) return BadRequest(error);
    if (error) return Fail(error);
    // A chunked body's trailer fields are merged into the request's by the parser, after the
    // headers were checked (one Host, each credential once) and the key was: a trailer could name
    // another key, or a second X-Applicant-Iin. Who asks is read from the headers alone, so a
    // request with trailer fields is refused.
    if (static_cast<size_t>(std::distance(parser_->get().begin(), parser_->get().end())) != header_fields_) {
      return BadRequestSaying("a request carries no trailer fields: who asks is read from its headers alone");
    }
    request_ = parser_->release();  // a HEAD reads as a GET (OnHeader)
    started_ = Clock::now();
    Lowest().expires_never();  // the answer may wait for a group commit; the client may not
    std::string route;
    auto self = shared_from_this();
    auto later = [self](Response response) {
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->Write(std::move(response), self->route_); });
    };
    Response now = server_.Route(request_, later, &route);
    route_ = route;
    if (now.result() == bhttp::status::processing) return;  // answered later, after the commit
    Write(std::move(now), route_);
  }
  void Write(Response response, const std::string& route) {
    server_.metrics.Response(route, static_cast<int>(response.result_int()),
                             std::chrono::duration<double>(Clock::now() - started_).count());
    // The API's answers name families, children and IINs: no cache on the way keeps them. So for
    // every answer (a refusal labelled by its kind, not its path, went without: 404 and 405 under
    // /v1/, a 400 for two keys, a 413), but the console's page, which says no-cache itself.
    if (response.find(bhttp::field::cache_control) == response.end()) {
      response.set(bhttp::field::cache_control, "no-store");
    }
    if (head_) {
      const size_t bytes = response.body().size();
      response.body().clear();
      response.content_length(bytes);
    }
    response_ = std::make_shared<Response>(std::move(response));
    Lowest().expires_after(std::chrono::seconds(limits::kBodyTimeoutSeconds));
    // An answer that changes nothing when cut (a read's, a refusal's: all but a post's) may be
    // closed for room while it is written, as a connection waiting for a request may: a client
    // that pipelines reads and never takes their answers holds no connection for good.
    const bool evictable = route != "/v1/actions";
    if (evictable) Waiting(true);
    bhttp::async_write(stream_, *response_, [self = shared_from_this(), evictable](beast::error_code error, size_t) {
      if (evictable) self->Waiting(false);
      if (self->evicted_) return;  // closed for room (its Fail ran)
      if (error) return self->Fail(error);
      if (!self->response_->keep_alive() || self->server_.stopping) return self->Close();
      self->ReadHeader(false);
    });
  }
  void TooLarge() {
    Request head;
    head.keep_alive(false);
    Write(server_.Error(head, bhttp::status::payload_too_large, "BodyTooLarge",
                        fmt::format("a request body has at most {} bytes", limits::kBodyBytesMax)),
          "(body too large)");
  }
  void Close() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(limits::kDrainTimeoutSeconds));
      stream_.async_shutdown([self = shared_from_this()](beast::error_code error) { self->Fail(error); });
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }
  // After refusing a request whose body is still arriving: the answer is written, then what the
  // client still sends is read and dropped (bounded in bytes and time) before the socket closes,
  // so that closing with unread data does not reset the connection before the client reads the
  // answer.
  // The drain's time is counted once from its start (a client trickling a byte a second would
  // otherwise hold the connection for ever), and a connection being drained is the first a new
  // connection may close at the limit.
  void Drain() {
    if (!draining_) {
      draining_ = true;
      Lowest().expires_after(std::chrono::seconds(limits::kDrainTimeoutSeconds));
      Waiting(true, /*first=*/true);
    }
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code error, size_t n) {
      self->drained_ += n;
      if (error || self->drained_ > limits::kDrainBytesMax) return self->Fail(error);
      self->Drain();
    });
  }
  // A request HTTP's grammar refuses (not a closed connection or a timeout): answered 400, closed.
  static bool IsMalformed(beast::error_code error) {
    return error && error.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           error != bhttp::error::end_of_stream && error != bhttp::error::partial_message;
  }
  void BadRequest(beast::error_code error) { BadRequestSaying(fmt::format("the request is no valid HTTP/1.1: {}", error.message())); }
  void BadRequestSaying(const std::string& why) {
    Request head;
    head.keep_alive(false);
    Write(server_.Error(head, bhttp::status::bad_request, "MalformedHttp", why), "(malformed)");
  }
  void Fail(beast::error_code) {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  Stream stream_;
  Server::Impl& server_;
  std::shared_ptr<Server::Impl::IdleTicket> ticket_ = std::make_shared<Server::Impl::IdleTicket>();
  bool waiting_ = false;  // for a request's headers (or a TLS handshake), or writing a read's answer: what eviction may close
  bool evicted_ = false;  // closed to make room for a new connection
  bool draining_ = false;  // reading and dropping what a refused client still sends
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request request_;
  std::shared_ptr<Response> response_;
  std::shared_ptr<bhttp::response<bhttp::empty_body>> continue_;  // a 100 Continue being written
  std::string route_;
  bool head_ = false;  // the request being answered is a HEAD
  size_t header_fields_ = 0;  // the request's fields when its headers were read (OnHeader)
  Clock::time_point started_ = Clock::now();
  std::array<char, 16 * 1024> drain_buffer_{};
  size_t drained_ = 0;
};

}  // namespace

namespace {

// How many connections the open-file limit leaves room for (limits::kFilesReserved): the soft
// limit is raised to the hard one first (Debian's shells and services start at 1,024 soft).
// Refused when it leaves fewer than limits::kConnectionsMin.
Status ConnectionsAllowed(const std::function<void(const std::string&)>& say, size_t* allowed) {
  *allowed = limits::kConnectionsMax;
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return Status::Ok();
  if (files.rlim_cur != RLIM_INFINITY && (files.rlim_max == RLIM_INFINITY || files.rlim_cur < files.rlim_max)) {
    rlimit raised = files;
    raised.rlim_cur = files.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(files.rlim_cur, 1 << 20) : files.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) files = raised;
  }
  if (files.rlim_cur == RLIM_INFINITY) return Status::Ok();
  size_t open = 0;  // the data directory's files, the listening socket, the standard streams
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) ++open;
  const uint64_t used = open + limits::kFilesReserved;
  const uint64_t left = files.rlim_cur > used ? files.rlim_cur - used : 0;
  if (left < limits::kConnectionsMin) {
    return Status::InvalidArgument(fmt::format(
        "the open-file limit ({}; {} open at start, {} kept for the data directory) leaves room for {} connections, "
        "fewer than {}: raise it (ulimit -n, or LimitNOFILE= in a systemd unit)", files.rlim_cur, open,
        limits::kFilesReserved, left, limits::kConnectionsMin));
  }
  if (left < limits::kConnectionsMax) {
    *allowed = static_cast<size_t>(left);
    say(fmt::format("at most {} connections at once: the open-file limit is {} ({} open at start, {} kept for the "
                    "data directory); raise it for the {} connections the server can hold",
                    left, files.rlim_cur, open, limits::kFilesReserved, limits::kConnectionsMax));
  }
  return Status::Ok();
}

}  // namespace

void Server::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
    if (error) {
      // Out of files (EMFILE, ENFILE) or another failure: accepting again at once would fail again
      // at once, a core spinning; the connections waiting stay in the listen queue meanwhile.
      if (stopping || error == asio::error::operation_aborted) return;
      accept_retry->expires_after(std::chrono::milliseconds(limits::kAcceptRetryMilliseconds));
      accept_retry->async_wait([this](beast::error_code) {
        if (!stopping) Accept();
      });
      return;
    }
    if (stopping || (connections.load() >= connections_max && !EvictOne())) {
      beast::error_code ignored;  // every connection busy with a request: this one waits for none
      socket.close(ignored);
    } else {
      ++connections;
      if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), *this, *tls)->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this)->Start();
      }
    }
    if (!stopping) Accept();
  });
}

// --- routing ---------------------------------------------------------------------------------

namespace {

// Text from a request echoed in a message: printable ASCII kept, any other byte shown as '?'.
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

// A whole number in decimal digits, 0..2^64-1 (a cursor or id the server printed reads back).
std::optional<uint64_t> ParseU64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// An IIN as a path names it: 12 decimal digits (whether it is a valid IIN is the engine's to say).
bool IsIinShaped(std::string_view text) {
  return text.size() == 12 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 3986's percent-decoding of a path segment or a query's name or value ("%3A" is ':'; '+' stays
// '+': a query is no HTML form). Text with a '%' not followed by two hex digits is kept as it came,
// so it fails the value's own check, as any other malformed value does.
std::string PercentDecoded(std::string_view text) {
  if (text.find('%') == std::string_view::npos) return std::string(text);
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) return std::string(text);
    out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
    i += 2;
  }
  return out;
}

// The query's parameters, percent-decoded; a repeated name keeps its last value.
std::map<std::string, std::string> QueryOf(std::string_view target) {
  std::map<std::string, std::string> query;
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return query;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    // An empty piece ("?&limit=2", "&&", a trailing '&') is no parameter, wherever it is (a
    // trailing one was passed over, a leading one refused as the parameter '').
    const size_t eq = pair.find('=');
    if (!pair.empty()) {
      query[PercentDecoded(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : PercentDecoded(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return query;
}

// The path's segments, percent-decoded ("%39" is '9'; an encoded '/' stays inside its segment).
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    if (path.front() == '/') { path.remove_prefix(1); continue; }
    const size_t slash = path.find('/');
    segments.push_back(PercentDecoded(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return segments;
}

// The query parameters a read route takes (docs/http.md, "Routes"); nullopt for a path that is no
// read route.
std::optional<std::vector<std::string_view>> ParametersOf(const std::vector<std::string>& segments) {
  using Names = std::vector<std::string_view>;
  if (segments.size() < 2 || segments[0] != "v1") return std::nullopt;
  const std::string& what = segments[1];
  if (what == "applications" && segments.size() == 3) return Names{"as_of", "as_of_sequence"};
  if (what == "applications" && segments.size() == 4 && (segments[3] == "position" || segments[3] == "explain")) {
    return Names{"limit", "before", "as_of", "as_of_sequence"};
  }
  if (what == "applicants" && segments.size() == 4 && segments[3] == "applications") return Names{"as_of", "as_of_sequence"};
  if (what == "applicants" && segments.size() == 4 && segments[3] == "notifications") return Names{"after", "limit", "partition"};
  if (what == "catalogue" && segments.size() == 2) {
    return Names{"locality", "kindergarten", "language", "correction_type", "free", "as_of", "as_of_sequence"};
  }
  if (what == "statistics" && segments.size() == 2) return Names{"as_of", "as_of_sequence"};
  if (what == "feed" && segments.size() == 2) return Names{"after", "limit", "partition"};
  if (what == "audit" && segments.size() == 3 && segments[2] == "statistics") return Names{"as_of", "as_of_sequence", "top"};
  if (what == "audit" && segments.size() == 3 && segments[2] == "chain") return Names{};
  return std::nullopt;
}

// The request's media type, before any parameter (";charset=utf-8"), to be matched whole and
// case-insensitively (RFC 9110 §8.3.1): "application/jsonx" is not JSON.
beast::string_view MediaType(const Request& request) {
  const auto type = request.find(bhttp::field::content_type);
  if (type == request.end()) return {};
  beast::string_view media = type->value().substr(0, type->value().find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  return media;
}

// The first charset the media type's parameters name that the body is not read as
// (";charset=latin1"; its value unquoted; "(empty)" for an empty one), nullopt when none: the body
// is read as UTF-8, which utf-8, utf8 and us-ascii (a subset) all are. Every charset parameter
// counts, a repeated one too.
std::optional<std::string> ForeignCharset(const Request& request) {
  const auto type = request.find(bhttp::field::content_type);
  if (type == request.end()) return std::nullopt;
  const std::string_view value(type->value().data(), type->value().size());
  // The parameters, split at the semicolons outside a quoted string (RFC 9110 §5.6.4: a quoted
  // value may hold ";charset=..." as text, and a backslash quotes the next character).
  std::vector<std::string> parameters;
  bool quoted = false;
  for (size_t i = value.find(';'); i != std::string_view::npos && i < value.size(); ++i) {
    const char c = value[i];
    if (!quoted && c == ';') {
      parameters.emplace_back();
      continue;
    }
    if (quoted && c == '\\' && i + 1 < value.size()) {
      parameters.back() += value[++i];
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
      continue;  // the quotes are not the value's
    }
    parameters.back() += c;
  }
  for (std::string_view parameter : parameters) {
    while (!parameter.empty() && (parameter.front() == ' ' || parameter.front() == '\t')) parameter.remove_prefix(1);
    while (!parameter.empty() && (parameter.back() == ' ' || parameter.back() == '\t')) parameter.remove_suffix(1);
    const size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view name = parameter.substr(0, equals);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (!beast::iequals(beast::string_view(name.data(), name.size()), "charset")) continue;
    std::string_view charset = parameter.substr(equals + 1);
    while (!charset.empty() && (charset.front() == ' ' || charset.front() == '\t')) charset.remove_prefix(1);
    const beast::string_view read(charset.data(), charset.size());
    if (!beast::iequals(read, "utf-8") && !beast::iequals(read, "utf8") && !beast::iequals(read, "us-ascii")) {
      return std::string(charset.empty() ? std::string_view("(empty)") : charset);
    }
  }
  return std::nullopt;
}

// A read route's template, the metrics' label (never a client's text: one series a route);
// "(unknown)" for a path that is no read route.
std::string RouteLabel(const std::vector<std::string>& segments) {
  if (!ParametersOf(segments)) return "(unknown)";
  const std::string& what = segments[1];
  if (what == "applications") return segments.size() == 3 ? "/v1/applications/{id}" : "/v1/applications/{id}/" + segments[3];
  if (what == "applicants") return "/v1/applicants/{iin}/" + segments[3];
  return segments.size() == 2 ? "/v1/" + what : "/v1/audit/" + segments[2];
}

std::string_view KeyOf(const Request& request) {
  // An empty Authorization header (a proxy's) is none: X-Api-Key is read then.
  if (NamesAuthorization(request)) {
    const auto auth = request.find(bhttp::field::authorization);
    const std::string_view value(auth->value().data(), auth->value().size());
    // The scheme's name is case-insensitive (RFC 9110 §11.1): "bearer KEY" is the same.
    // credentials = auth-scheme 1*SP token68 (RFC 9110 §11.4): one space or more.
    if (value.size() > 7 && beast::iequals(beast::string_view(value.data(), 7), "Bearer ")) {
      std::string_view token = value.substr(7);
      token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
      return token;
    }
    return {};  // with an Authorization header, it alone counts (docs/http.md): no X-Api-Key read
  }
  const auto key = request.find("X-Api-Key");
  if (key != request.end()) return {key->value().data(), key->value().size()};
  return {};
}

}  // namespace

Response Server::Impl::Route(const Request& request, const std::function<void(Response)>& later, std::string* route) {
  const std::string_view target = OriginForm(request);
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    *route = std::string(path);
    if (request.method() != bhttp::verb::get) return MethodNotAllowed(request, "GET, HEAD");
    if (path == "/metrics") {
      Response r = Json(request, bhttp::status::ok, MetricsText());
      r.set(bhttp::field::content_type, "text/plain; version=0.0.4");
      return r;
    }
    uint64_t projected = 0, journaled = 0;
    {
      std::shared_lock lock(models_mutex);
      for (const auto& m : models) projected += m.next_sequence();
      journaled = journal_records.load();
    }
    // Kafka mode: ready once every partition's journal was read to its end (as it was then), and
    // the lag (offsets not read yet) reported beside.
    uint64_t lag = 0;
    bool caught_up = true;
    kafka::Replica::Broker broker;
    if (replica) {
      broker = replica->BrokerState();
      for (const auto& state : replica->States()) {
        lag += static_cast<uint64_t>(std::max<int64_t>(0, state.end - state.position));
        caught_up = caught_up && state.caught_up;
      }
    }
    const bool failed = Failed();
    const bool ready = !stopping && !failed && projected == journaled && caught_up;
    const char* status = path == "/healthz" ? (failed ? "failed" : "ok")
                                              : (stopping ? "stopping" : ready ? "ok" : failed ? "failed" : "catching up");
    const bool good = path == "/healthz" ? !failed : ready;
    return Json(request, good ? bhttp::status::ok : bhttp::status::service_unavailable,
                StatusJson(IoCodec(), status, journaled, projected, engine_time_ms.load(),
                           static_cast<uint32_t>(models.size()), lag,
                           !replica ? "" : broker.reachable ? "reachable" : "unreachable",
                           static_cast<uint64_t>(broker.unreachable_ms)));
  }
  if (path == "/console") {  // the auditors' console: a static page; its reads need a key
    *route = "/console";
    if (request.method() != bhttp::verb::get) return MethodNotAllowed(request, "GET, HEAD");
    Response r = Json(request, bhttp::status::ok, std::string(console::Page()));
    r.set(bhttp::field::content_type, "text/html; charset=utf-8");
    r.set("Content-Security-Policy",
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
          "frame-ancestors 'none'; form-action 'none'");
    r.set("X-Content-Type-Options", "nosniff");
    r.set(bhttp::field::cache_control, "no-cache");
    return r;
  }
  if (!path.starts_with("/v1/")) {
    *route = "(unknown)";
    return Error(request, bhttp::status::not_found, "UnknownRoute", fmt::format("no route {}", Printable(path.substr(0, 200))));
  }
  Caller caller;
  if (std::optional<Response> refused = RefuseKey(request, &caller)) {
    *route = "(unauthenticated)";
    return std::move(*refused);
  }
  if (std::optional<Response> unrouted = Unrouted(request, route)) return std::move(*unrouted);
  if (request.method() == bhttp::verb::post) return Post(request, caller, later);
  return Read(request, caller, target, route, later);
}

std::optional<Response> Server::Impl::Unrouted(const Request& request, std::string* route) {
  const std::string_view target = OriginForm(request);
  const std::string_view path = target.substr(0, target.find('?'));
  const std::vector<std::string> segments = Segments(path);
  const bool empty_segment = path.find("//") != std::string_view::npos || path.ends_with('/');
  if (!empty_segment && segments.size() == 2 && segments[0] == "v1" && segments[1] == "actions") {
    *route = "/v1/actions";
    if (request.method() != bhttp::verb::post) return MethodNotAllowed(request, "POST");
    // Any query string, an empty one ("?") too: the post takes none.
    if (target.find('?') != std::string_view::npos) {
      return Error(request, bhttp::status::bad_request, "InvalidParameter", "POST /v1/actions takes no query parameters");
    }
    const beast::string_view media = MediaType(request);
    if (!beast::iequals(media, "application/json") && !beast::iequals(media, "application/x-ndjson")) {
      return Error(request, bhttp::status::unsupported_media_type, "UnsupportedMediaType",
                   "post one action as application/json, or a batch as application/x-ndjson (one action a line)");
    }
    // The body is read as UTF-8 bytes, as they came: another charset, or a content coding (gzip)
    // nobody decodes, would reach the journal as bytes the sender did not mean (RFC 9110 §8.4:
    // 415 for a coding the server does not take). Refused before the body is read.
    if (const std::optional<std::string> foreign = ForeignCharset(request)) {
      return Error(request, bhttp::status::unsupported_media_type, "UnsupportedMediaType",
                   fmt::format("the body is read as UTF-8, not {}", Printable(foreign->substr(0, 40))));
    }
    for (const auto& field : request) {
      if (field.name() != bhttp::field::content_encoding) continue;
      for (const auto& coding : bhttp::token_list(field.value())) {
        if (beast::iequals(coding, "identity")) continue;
        Response refused = Error(request, bhttp::status::unsupported_media_type, "UnsupportedMediaType",
                                 "the body is taken as sent, without a content coding (Content-Encoding)");
        refused.set(bhttp::field::accept_encoding, "identity");  // RFC 9110 §15.5.16
        return refused;
      }
    }
    // A post without Content-Length or the chunked coding has no body (RFC 9112 §6.3): its bytes
    // would be read as the next request and a blank input journaled. 411 says what is missing, and
    // the connection is closed: what the client sent after its headers is no request.
    if (!request.has_content_length() && !request.chunked()) {
      Response refused = Error(request, bhttp::status::length_required, "LengthRequired",
                               "a post frames its body by Content-Length or Transfer-Encoding: chunked");
      refused.keep_alive(false);
      return refused;
    }
    return std::nullopt;
  }
  if (empty_segment || !ParametersOf(segments)) {
    *route = "(unknown)";
    return Error(request, bhttp::status::not_found, "UnknownRoute",
                 fmt::format("no route {}{}", Printable(path.substr(0, 200)), empty_segment ? " (an empty path segment)" : ""));
  }
  if (request.method() != bhttp::verb::get) {
    *route = "(read)";
    return MethodNotAllowed(request, "GET, HEAD");
  }
  return std::nullopt;
}

Response Server::Impl::Post(const Request& request, const Caller& caller, const std::function<void(Response)>& later) {
  const bool batch = beast::iequals(MediaType(request), "application/x-ndjson");  // or JSON (Unrouted)
  std::vector<std::string_view> lines;
  std::string_view body = request.body();
  if (batch) {
    while (!body.empty()) {
      const size_t end = body.find('\n');
      const std::string_view line = body.substr(0, end);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) lines.push_back(line);
      if (end == std::string_view::npos) break;
      body.remove_prefix(end + 1);
    }
    if (lines.empty()) return Error(request, bhttp::status::bad_request, "EmptyBatch", "the batch holds no action");
    if (lines.size() > limits::kBatchActionsMax) {
      return Error(request, bhttp::status::payload_too_large, "BatchTooLarge",
                   fmt::format("a batch holds at most {} actions, this one {}", limits::kBatchActionsMax, lines.size()));
    }
  } else {
    lines.push_back(body);
  }
  if (stopping || Failed()) return Error(request, bhttp::status::service_unavailable, "Stopping", "the server is stopping");
  // Each input is journaled, whatever it is: access is checked here, the rest by the engine.
  PostJob job;
  std::vector<uint8_t> bytes;
  for (const std::string_view line : lines) {
    events::InputLine input = events::LineOf(std::string(line));
    if (!input.oversize && IoCodec().ParseAction(line, &bytes).code == fb::RejectionCode::None) {
      const fb::Actor* actor = fb::GetAction(bytes.data())->actor();
      const fb::Role role = actor ? actor->role() : fb::Role::Auditor;
      // A role no action may claim (99) is the engine's to refuse (InvalidField, as from a file):
      // only a defined role is checked against the key's.
      const bool defined = !flatbuffers::IsOutRange(role, fb::Role::MIN, fb::Role::MAX);
      if (actor != nullptr && defined && role != caller.role) {
        input.refused = fb::RejectionCode::RoleNotAllowed;
        input.refusal = fmt::format("the key '{}' is the {} role's; the action's actor claims {}", caller.name,
                                   fb::EnumNameRole(caller.role), fb::EnumNameRole(role));
      } else if (actor != nullptr && role == fb::Role::Kindergarten && actor->kindergarten() != caller.kindergarten) {
        input.refused = fb::RejectionCode::KindergartenMismatch;
        input.refusal = fmt::format("the key '{}' speaks for kindergarten {}; the action's actor claims {}", caller.name,
                                   caller.kindergarten, actor->kindergarten());
      } else if (const fb::Action* posted = fb::GetAction(bytes.data());
                 role == fb::Role::System && posted->body_type() == fb::ActionBody::ClockTick &&
                 posted->instant_ms() <= kezek::limits::kInstantMsMax && TickAhead(posted->instant_ms())) {
        // (An instant past the engine's range is the engine's to refuse, InvalidField, as anywhere.)
        // Time's authority (DESIGN §4) in a running server is the real clock: a System key may
        // post ticks (an external ticker), but none ahead of this server's clock, or one key could
        // move engine time 35 days a tick and expire every deadline.
        input.refused = fb::RejectionCode::InstantInFuture;
        input.refusal = fmt::format("a clock tick at {} ms is ahead of this server's clock ({} ms) by more than {} ms",
                                    posted->instant_ms(), RealMs(), limits::kTickAheadOfClockMaxMs);
      }
    }
    job.inputs.push_back(std::move(input));
  }
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  job.done = [later, batch, version, keep_alive](std::vector<Answered> answers, const Failure* failure) {
    Response response;
    response.version(version);
    response.keep_alive(keep_alive);
    response.set(bhttp::field::content_type, batch ? "application/x-ndjson" : "application/json");
    if (failure != nullptr) {  // an HttpError, JSON even for a batch
      response.result(failure->status);
      response.set(bhttp::field::content_type, "application/json");
      response.set(bhttp::field::retry_after, std::to_string(limits::kRetryAfterSeconds));
      response.body() = ErrorJson(IoCodec(), failure->code, failure->message);
    } else if (batch) {
      response.result(bhttp::status::ok);
      for (const Answered& a : answers) response.body() += a.json + "\n";
    } else {
      response.result(static_cast<bhttp::status>(StatusFor(answers.front())));
      response.body() = answers.front().json;
    }
    response.prepare_payload();
    later(std::move(response));
  };
  if (!(replica ? Publish(std::move(job)) : Enqueue(std::move(job)))) {
    std::lock_guard lock(metrics.mutex);
    ++metrics.busy;
    return Error(request, bhttp::status::service_unavailable, "Busy",
                 fmt::format("{} actions are in flight, at most {}: retry shortly", in_flight.load(), limits::kActionsInFlightMax));
  }
  Response pending;
  pending.result(bhttp::status::processing);
  return pending;
}

Response Server::Impl::Read(const Request& request, const Caller& caller, std::string_view target, std::string* route,
                            const std::function<void(Response)>& later, bool on_worker) {
  const std::string_view path = target.substr(0, target.find('?'));
  const auto query = QueryOf(target);
  const auto segments = Segments(path);  // "v1", ...
  *route = RouteLabel(segments);  // a refusal of a parameter is counted under its route too
  const auto refused = [&](std::string_view message) {
    {
      std::lock_guard lock(metrics.mutex);
      ++metrics.reads_refused;
    }
    return Error(request, bhttp::status::forbidden, "ReadNotAllowed", message);
  };
  const auto page = [&](uint64_t* after, uint32_t* limit) -> std::optional<Response> {
    *after = 0;
    *limit = limits::kPageSizeDefault;
    if (query.contains("after")) {
      const auto v = ParseU64(query.at("after"));
      if (!v) return Error(request, bhttp::status::bad_request, "InvalidParameter", "after: a cursor, a whole number");
      *after = *v;
    }
    if (query.contains("limit")) {
      const auto v = ParseU64(query.at("limit"));
      if (!v || *v == 0 || *v > limits::kPageSizeMax) {
        return Error(request, bhttp::status::bad_request, "InvalidParameter",
                     fmt::format("limit: 1..{}", limits::kPageSizeMax));
      }
      *limit = static_cast<uint32_t>(*v);
    }
    return std::nullopt;
  };
  // ?partition=K on the inbox and the feed: whose journal's notifications a page lists (cursors
  // are a partition's own); 0..N-1 with N journal partitions (one when embedded).
  const auto partition_of = [&](std::optional<uint32_t>* partition) -> std::optional<Response> {
    if (!query.contains("partition")) return std::nullopt;
    const auto v = ParseU64(query.at("partition"));
    if (!v || *v >= models.size()) {
      return Error(request, bhttp::status::bad_request, "InvalidParameter",
                   fmt::format("partition: 0..{} (the journal's partitions)", models.size() - 1));
    }
    *partition = static_cast<uint32_t>(*v);
    return std::nullopt;
  };
  // A parameter the route does not take is refused on every route (a misspelt `limt=5` must not
  // read as the default page). as_of and as_of_sequence pass here: the check below says, in its
  // own words, which routes take them. An unknown route is answered 404 further on.
  const std::optional<std::vector<std::string_view>> takes = ParametersOf(segments);
  if (takes) {
    for (const auto& [name, value] : query) {
      if (name == "as_of" || name == "as_of_sequence" || std::find(takes->begin(), takes->end(), name) != takes->end()) continue;
      return Error(request, bhttp::status::bad_request, "InvalidParameter",
                   fmt::format("no parameter '{}' on this route{}{}", Printable(std::string_view(name).substr(0, 64)),
                               takes->empty() ? "" : "; it takes ", fmt::join(*takes, ", ")));
    }
  }
  const auto applicant_header = [&]() -> std::string {
    const auto it = request.find("X-Applicant-Iin");
    return it == request.end() ? std::string{} : std::string(it->value().data(), it->value().size());
  };
  // /v1/audit/statistics and /v1/audit/chain: the auditors' (docs/audit.md, "The console").
  if (segments.size() == 3 && segments[1] == "audit" && (segments[2] == "statistics" || segments[2] == "chain")) {
    const bool chain = segments[2] == "chain";
    if (caller.role != fb::Role::Auditor && caller.role != fb::Role::EducationDepartment) {
      return refused("the audit routes are read by Auditor and EducationDepartment keys");
    }
    projections::HistoryStats::Bound bound;
    uint32_t top = 20;
    for (const auto& [name, value] : query) {
      if (!chain && name == "as_of") {
        bound.before_ms = AsOfInstantEnd(value);
        if (!bound.before_ms) {
          return Error(request, bhttp::status::bad_request, "InvalidParameter",
                       "as_of: a date YYYY-MM-DD (through its end, Kazakhstan time) or an instant YYYY-MM-DDTHH:MM:SSZ, from 2000-01-01 to 2100-12-31");
        }
      } else if (!chain && name == "as_of_sequence") {
        bound.before_sequence = ParseU64(value);
        if (!bound.before_sequence) return Error(request, bhttp::status::bad_request, "InvalidParameter", "as_of_sequence: a whole number");
      } else if (!chain && name == "top") {
        const auto v = ParseU64(value);
        if (!v || *v < 1 || *v > 1'000) return Error(request, bhttp::status::bad_request, "InvalidParameter", "top: 1..1000");
        top = static_cast<uint32_t>(*v);
      } else {
        return Error(request, bhttp::status::bad_request, "InvalidParameter",
                     fmt::format("no parameter '{}'", Printable(std::string_view(name).substr(0, 64))));
      }
    }
    if (bound.before_ms && bound.before_sequence) {
      return Error(request, bhttp::status::bad_request, "InvalidParameter", "as_of or as_of_sequence, not both");
    }
    if (replica != nullptr) {
      return Error(request, bhttp::status::bad_request, "AsOfUnavailable",
                   "the audit routes are answered by the embedded server (kezek serve --data)");
    }
    if (!on_worker) return ReadLater(request, caller, later);
    std::string body;
    Status s;
    if (!chain && (bound.before_ms || bound.before_sequence)) {
      s = AuditStatisticsAsOf(bound, top, &body);
    } else {
      std::lock_guard audit_lock(audit_mutex);
      s = AuditCatchUp();
      if (s.ok()) body = chain ? AuditChainJson() : audit_stats->Json(top);
    }
    if (!s.ok()) {
      options.say("audit: " + s.ToString());
      return Error(request, bhttp::status::internal_server_error, "AuditFailed", s.message());
    }
    return Json(request, bhttp::status::ok, std::move(body));
  }
  // ?as_of=WHEN | ?as_of_sequence=N: the cards, positions, explanations, lists, catalogue and
  // statistics as they stood then (docs/audit.md, "As of").
  std::optional<Past> past;
  // (An unknown route is answered 404 below, its past never loaded.)
  if (takes && (query.contains("as_of") || query.contains("as_of_sequence"))) {
    if (std::find(takes->begin(), takes->end(), "as_of") == takes->end()) {
      return Error(request, bhttp::status::bad_request, "InvalidParameter",
                   "as_of: on the cards, positions, explanations, an applicant's list, the catalogue and the statistics "
                   "only (an inbox's and the feed's cursors are the live journal's)");
    }
    if (query.contains("as_of") && query.contains("as_of_sequence")) {
      return Error(request, bhttp::status::bad_request, "InvalidParameter", "as_of or as_of_sequence, not both");
    }
    AsOfTarget when;
    if (query.contains("as_of")) {
      when.before_ms = AsOfInstantEnd(query.at("as_of"));
      if (!when.before_ms) {
        return Error(request, bhttp::status::bad_request, "InvalidParameter",
                     "as_of: a date YYYY-MM-DD (through its end, Kazakhstan time) or an instant YYYY-MM-DDTHH:MM:SSZ, from 2000-01-01 to 2100-12-31");
      }
    } else {
      when.sequence = ParseU64(query.at("as_of_sequence"));
      if (!when.sequence) return Error(request, bhttp::status::bad_request, "InvalidParameter", "as_of_sequence: a whole number");
    }
    if (replica != nullptr) {
      return Error(request, bhttp::status::bad_request, "AsOfUnavailable",
                   "as-of questions are answered by the embedded server (kezek serve --data): a Kafka replica keeps no "
                   "checkpoints");
    }
    if (!on_worker) {
      // What the key's role may not read whatever the past holds is refused before the past is
      // loaded: a key that may read nothing there must not fill the slow worker's queue. (Whether
      // a ДО may read an application hangs on the past's choice: checked after loading it.)
      if (segments[1] == "applications") {
        if (caller.role == fb::Role::System) return refused("the System role reads nothing");
        const auto id = ParseU64(segments[2]);
        if (!id) return Error(request, bhttp::status::bad_request, "InvalidParameter", "the application number is a whole number 0..18446744073709551615");
        // A number no application has now had none in any past either (numbers are never
        // reused): refused to a portal as another's is, before the past is loaded (it was loaded
        // for an unknown number and answered otherwise, which told the key the number does not
        // exist). A ДО's question loads the past whatever the number: its answer (403 as another
        // ДО's, or the as-of parameter's 400) is the same for an unknown one.
        if (caller.role == fb::Role::Portal) {
          std::shared_lock lock(models_mutex);
          const auto applicant = ModelsOf(*id).ApplicantOf(*id);  // an application's applicant never changes
          if (!applicant || applicant_header() != *applicant) {
            return refused("a portal reads only for the applicant it names in X-Applicant-Iin");
          }
        }
      } else if (segments[1] == "applicants") {
        if (caller.role == fb::Role::Kindergarten || caller.role == fb::Role::System) {
          return refused("this role reads no applicant's list");
        }
        if (caller.role == fb::Role::Portal && applicant_header() != segments[2]) {
          return refused("a portal reads only for the applicant it names in X-Applicant-Iin");
        }
      }
      return ReadLater(request, caller, later);
    }
    past.emplace();
    if (const Status s = LoadPast(when, &*past); !s.ok()) {
      if (s.code() == Status::Code::kInvalidArgument) {
        return Error(request, bhttp::status::bad_request, "InvalidParameter", "as_of_sequence: " + s.message());
      }
      options.say("as of: " + s.ToString());
      return Error(request, bhttp::status::internal_server_error, "AsOfFailed", s.message());
    }
  }
  // A view of the past carries where it stands in headers.
  const auto reply = [&](std::string body) {
    Response response = Json(request, bhttp::status::ok, std::move(body));
    if (past) {
      response.set("Kezek-As-Of-Sequence", std::to_string(past->point.sequence));
      response.set("Kezek-As-Of-Engine-Time-Ms", std::to_string(past->point.engine_time_ms));
    }
    return response;
  };
  std::shared_lock lock(models_mutex);
  std::vector<const projections::ReadModels*> all;  // by partition
  if (past) {
    all.push_back(past->models.get());
  } else {
    for (const auto& m : models) all.push_back(&m);
  }
  // /v1/applications/{id}[/position | /explain]
  if ((segments.size() == 3 || (segments.size() == 4 && (segments[3] == "position" || segments[3] == "explain"))) &&
      segments[1] == "applications") {
    const bool explain = segments.size() == 4 && segments[3] == "explain";
    const auto id = ParseU64(segments[2]);
    if (!id) return Error(request, bhttp::status::bad_request, "InvalidParameter", "the application number is a whole number 0..18446744073709551615");
    // Refused before the number is looked up, and a number no application has refused as one that
    // is not the caller's: a key that may not read an application learns nothing of whether it
    // exists (404 for an unknown number and 403 for another's counted each locality's filings).
    if (caller.role == fb::Role::System) return refused("the System role reads nothing");
    const projections::ReadModels& held = past ? *past->models : ModelsOf(*id);
    const auto applicant = held.ApplicantOf(*id);
    if (caller.role == fb::Role::Portal && (!applicant || applicant_header() != *applicant)) {
      return refused("a portal reads only for the applicant it names in X-Applicant-Iin");
    }
    if (caller.role == fb::Role::Kindergarten && (!applicant || held.KindergartenOf(*id) != caller.kindergarten)) {
      return refused("a kindergarten reads only the applications that chose it");
    }
    if (!applicant) return Error(request, bhttp::status::not_found, "UnknownApplication", fmt::format("application {} does not exist", *id));
    // The position's history and the explanation page back: ?limit=1..100 (default 100) of the
    // changes numbered below ?before= (0-based, in the order they happened; default: all).
    uint32_t history_limit = projections::kPositionHistoryLimit;
    uint64_t before = UINT64_MAX;
    if (segments.size() == 4) {
      if (query.contains("limit")) {
        const auto v = ParseU64(query.at("limit"));
        if (!v || *v == 0 || *v > projections::kPositionHistoryLimit) {
          return Error(request, bhttp::status::bad_request, "InvalidParameter",
                       fmt::format("limit: 1..{}", projections::kPositionHistoryLimit));
        }
        history_limit = static_cast<uint32_t>(*v);
      }
      if (query.contains("before")) {
        const auto v = ParseU64(query.at("before"));
        if (!v) return Error(request, bhttp::status::bad_request, "InvalidParameter", "before: a whole number");
        before = *v;
      }
    }
    if (explain) {  // the events behind each change name other applications: staff who audit only
      const bool audit = caller.role == fb::Role::Auditor || caller.role == fb::Role::EducationDepartment;
      return reply(IoCodec().ViewToJson("Explanation", *held.Explain(*id, audit, history_limit, before)));
    }
    const auto view = segments.size() == 3 ? held.Card(*id) : held.Position(*id, history_limit, before);
    return reply(IoCodec().ViewToJson(segments.size() == 3 ? "ApplicationCard" : "PositionView", *view));
  }
  // /v1/applicants/{iin}/applications | notifications
  if (segments.size() == 4 && segments[1] == "applicants" &&
      (segments[3] == "applications" || segments[3] == "notifications")) {
    const std::string iin(segments[2]);
    if (!IsIinShaped(iin)) {
      return Error(request, bhttp::status::bad_request, "InvalidParameter", "the IIN is 12 digits");
    }
    if (caller.role == fb::Role::Portal && applicant_header() != iin) {
      return refused("a portal reads only for the applicant it names in X-Applicant-Iin");
    }
    if (caller.role == fb::Role::Kindergarten || caller.role == fb::Role::System) {
      return refused("this role reads no applicant's list");
    }
    if (segments[3] == "applications") {
      return reply(IoCodec().ViewToJson("ApplicationList", projections::ReadModels::ApplicationsAcross(all, iin)));
    }
    uint64_t after = 0;
    uint32_t limit = 0;
    if (auto bad = page(&after, &limit)) return std::move(*bad);
    std::optional<uint32_t> partition;
    if (auto bad = partition_of(&partition)) return std::move(*bad);
    if (!partition) {
      // Unnamed: the one partition holding the applicant's notifications (a family applies where
      // it lives); when they are in several, the client names one (each has its own cursors).
      std::vector<uint32_t> holding;
      for (uint32_t k = 0; k < models.size(); ++k) {
        const auto inbox = models[k].Inbox(iin, 0, 0);
        if (flatbuffers::GetRoot<fb::Inbox>(inbox.data())->total() > 0) holding.push_back(k);
      }
      if (holding.size() > 1) {
        return Error(request, bhttp::status::bad_request, "PartitionRequired",
                     fmt::format("this applicant's notifications are in journal partitions {}: name one with ?partition=",
                                 fmt::join(holding, ", ")));
      }
      partition = holding.empty() ? 0 : holding.front();
    }
    return Json(request, bhttp::status::ok, IoCodec().ViewToJson("Inbox", models[*partition].Inbox(iin, after, limit)));
  }
  if (segments.size() == 2 && segments[1] == "catalogue") {
    projections::CatalogueFilter filter;
    for (const auto& [name, value] : query) {
      if (name == "as_of" || name == "as_of_sequence") continue;
      if (name == "locality" || name == "kindergarten") {
        const auto v = ParseU64(value);
        if (!v || *v > UINT32_MAX) return Error(request, bhttp::status::bad_request, "InvalidParameter", fmt::format("{}: a number", name));
        (name == "locality" ? filter.locality : filter.kindergarten) = static_cast<uint32_t>(*v);
      } else if (name == "language") {
        if (value != "Kk" && value != "Ru") return Error(request, bhttp::status::bad_request, "InvalidParameter", "language: Kk or Ru");
        filter.language = value == "Kk" ? fb::Language::Kk : fb::Language::Ru;
      } else if (name == "correction_type") {
        std::optional<fb::CorrectionType> found;
        for (const auto c : fb::EnumValuesCorrectionType()) {
          if (value == fb::EnumNameCorrectionType(c)) found = c;
        }
        if (!found) return Error(request, bhttp::status::bad_request, "InvalidParameter", "correction_type: a CorrectionType name");
        filter.correction_type = *found;
      } else if (name == "free") {
        if (value != "true" && value != "1" && value != "false" && value != "0") {
          return Error(request, bhttp::status::bad_request, "InvalidParameter", "free: true or false");
        }
        filter.free_only = value == "true" || value == "1";
      } else {
        return Error(request, bhttp::status::bad_request, "InvalidParameter", fmt::format("no parameter '{}'", Printable(std::string_view(name).substr(0, 64))));
      }
    }
    return reply(IoCodec().ViewToJson("Catalogue", projections::ReadModels::CatalogueAcross(all, filter)));
  }
  if (segments.size() == 2 && segments[1] == "statistics") {
    return reply(IoCodec().ViewToJson("QueueStatistics", projections::ReadModels::StatisticsAcross(all)));
  }
  if (segments.size() == 2 && segments[1] == "feed") {
    if (caller.role != fb::Role::Portal && caller.role != fb::Role::EducationDepartment && caller.role != fb::Role::Auditor) {
      return refused("the notification feed is read by the portal's sender, the education department and auditors");
    }
    uint64_t after = 0;
    uint32_t limit = 0;
    if (auto bad = page(&after, &limit)) return std::move(*bad);
    std::optional<uint32_t> partition;
    if (auto bad = partition_of(&partition)) return std::move(*bad);
    return Json(request, bhttp::status::ok, IoCodec().ViewToJson("NotificationFeed", models[partition.value_or(0)].Feed(after, limit)));
  }
  *route = "(unknown)";
  return Error(request, bhttp::status::not_found, "UnknownRoute", fmt::format("no route {}", Printable(path.substr(0, 200))));
}

std::string Server::Impl::MetricsText() {
  std::string out;
  uint64_t projected = 0, waiting = 0;
  {
    std::shared_lock lock(models_mutex);
    for (const auto& m : models) {
      projected += m.next_sequence();
      waiting += m.waiting();
    }
  }
  std::lock_guard lock(metrics.mutex);
  out += "# HELP kezek_actions_total Inputs journaled, by action kind and outcome.\n# TYPE kezek_actions_total counter\n";
  for (const auto& [key, n] : metrics.actions) {
    out += fmt::format("kezek_actions_total{{kind=\"{}\",outcome=\"{}\"}} {}\n", Escape(key.first), key.second, n);
  }
  out += "# HELP kezek_rejections_total Rejections journaled, by code.\n# TYPE kezek_rejections_total counter\n";
  for (const auto& [code, n] : metrics.rejections) out += fmt::format("kezek_rejections_total{{code=\"{}\"}} {}\n", code, n);
  out += "# HELP kezek_http_responses_total Responses by route and status.\n# TYPE kezek_http_responses_total counter\n";
  for (const auto& [key, n] : metrics.responses) {
    out += fmt::format("kezek_http_responses_total{{route=\"{}\",status=\"{}\"}} {}\n", Escape(key.first), key.second, n);
  }
  out += "# HELP kezek_http_request_seconds Request latency, from the whole request read to the answer written.\n"
         "# TYPE kezek_http_request_seconds histogram\n";
  for (const auto& [route, h] : metrics.latency) h.Render(out, "kezek_http_request_seconds", fmt::format("route=\"{}\"", Escape(route)));
  out += "# HELP kezek_batch_inputs Inputs per group commit.\n# TYPE kezek_batch_inputs histogram\n";
  metrics.batch_inputs.Render(out, "kezek_batch_inputs", "");
  out += "# HELP kezek_commit_seconds One group commit: log, fold, journal fsync, state commit.\n"
         "# TYPE kezek_commit_seconds histogram\n";
  metrics.commit_seconds.Render(out, "kezek_commit_seconds", "");
  out += fmt::format("# HELP kezek_reads_refused_total Reads refused for access.\n# TYPE kezek_reads_refused_total counter\n"
                     "kezek_reads_refused_total {}\n", metrics.reads_refused);
  out += fmt::format("# HELP kezek_busy_total Posts answered 503 for too many actions in flight.\n# TYPE kezek_busy_total counter\n"
                     "kezek_busy_total {}\n", metrics.busy);
  out += fmt::format("# HELP kezek_queue_waiting Applications waiting in all queues.\n# TYPE kezek_queue_waiting gauge\n"
                     "kezek_queue_waiting {}\n", waiting);
  out += fmt::format("# HELP kezek_journal_records Records in the journal.\n# TYPE kezek_journal_records gauge\n"
                     "kezek_journal_records {}\n", journal_records.load());
  out += fmt::format("# HELP kezek_projection_lag_records Journal records the read models do not reflect yet.\n"
                     "# TYPE kezek_projection_lag_records gauge\nkezek_projection_lag_records {}\n",
                     journal_records.load() - std::min(projected, journal_records.load()));
  out += fmt::format("# HELP kezek_projection_store_failures_total Batches whose read models could not be stored "
                     "(the store catches up from the journal at the next start).\n"
                     "# TYPE kezek_projection_store_failures_total counter\nkezek_projection_store_failures_total {}\n",
                     metrics_store_failures.load());
  out += fmt::format("# HELP kezek_actions_in_flight Actions accepted and not yet answered.\n# TYPE kezek_actions_in_flight gauge\n"
                     "kezek_actions_in_flight {}\n", in_flight.load());
  if (replica) {
    out += fmt::format("# HELP kezek_broker_reachable Whether the Kafka brokers answer (0 since librdkafka reported all "
                       "brokers down, until one answers again).\n# TYPE kezek_broker_reachable gauge\nkezek_broker_reachable {}\n",
                       replica->BrokerState().reachable ? 1 : 0);
    out += "# HELP kezek_replica_lag_offsets Journal-topic offsets not read yet, by partition.\n"
           "# TYPE kezek_replica_lag_offsets gauge\n";
    const auto states = replica->States();
    for (size_t k = 0; k < states.size(); ++k) {
      out += fmt::format("kezek_replica_lag_offsets{{partition=\"{}\"}} {}\n", k,
                         std::max<int64_t>(0, states[k].end - states[k].position));
    }
    out += "# HELP kezek_replica_records Journal records read and applied, by partition.\n# TYPE kezek_replica_records gauge\n";
    for (size_t k = 0; k < states.size(); ++k) out += fmt::format("kezek_replica_records{{partition=\"{}\"}} {}\n", k, states[k].records);
    out += "# HELP kezek_replica_caught_up Whether the partition's journal was read to its end since start.\n"
           "# TYPE kezek_replica_caught_up gauge\n";
    for (size_t k = 0; k < states.size(); ++k) out += fmt::format("kezek_replica_caught_up{{partition=\"{}\"}} {}\n", k, states[k].caught_up ? 1 : 0);
    out += "# HELP kezek_replica_refused Whether the partition's journal was refused (a gap, a duplicate, a broken chain).\n"
           "# TYPE kezek_replica_refused gauge\n";
    for (size_t k = 0; k < states.size(); ++k) out += fmt::format("kezek_replica_refused{{partition=\"{}\"}} {}\n", k, states[k].failure.empty() ? 0 : 1);
  }
  out += fmt::format("# HELP kezek_connections Open connections.\n# TYPE kezek_connections gauge\nkezek_connections {}\n",
                     connections.load());
  out += fmt::format("# HELP kezek_connections_evicted_total Connections waiting for a request closed to make room for a "
                     "new one at the connection limit.\n# TYPE kezek_connections_evicted_total counter\n"
                     "kezek_connections_evicted_total {}\n", evicted.load());
  return out;
}

// --- the server -------------------------------------------------------------------------------

Server::Server(Runtime& runtime, KeyRing keys, ServerOptions options)
    : impl_(std::make_unique<Impl>(&runtime, nullptr, std::move(keys), std::move(options))) {
  if (!impl_->options.say) impl_->options.say = [](const std::string&) {};
}

Server::Server(kafka::Replica& replica, KeyRing keys, ServerOptions options)
    : impl_(std::make_unique<Impl>(nullptr, &replica, std::move(keys), std::move(options))) {
  if (!impl_->options.say) impl_->options.say = [](const std::string&) {};
  impl_->parts.resize(static_cast<size_t>(replica.partitions()));
  impl_->offset_of.resize(static_cast<size_t>(replica.partitions()));
}

Server::~Server() = default;

void Server::ReplaceKeys(KeyRing keys) {
  auto ring = std::make_shared<const KeyRing>(std::move(keys));
  std::lock_guard lock(impl_->keys_mutex);
  impl_->keys = std::move(ring);
}

void Server::Stop() {
  impl_->stopping = true;
  impl_->jobs_ready.notify_all();
  if (!impl_->acceptor) return;
  asio::post(impl_->acceptor->get_executor(), [impl = impl_.get()] {
    beast::error_code ignored;
    if (impl->acceptor) impl->acceptor->close(ignored);
  });
}

namespace {

// TLS 1.2 and later only; the certificate file may hold a chain (leaf first). The files are
// checked before anything is loaded (a wrong path fails at once), the key against the certificate
// (a key of another pair, or of another type, would fail every handshake), and an encrypted key is
// refused (OpenSSL would ask for its pass phrase on the terminal). An expired certificate is
// served, with *warning saying so.
Status LoadTls(const std::string& certificate, const std::string& private_key, std::optional<asio::ssl::context>* out,
               std::string* warning) {
  for (const std::string& file : {certificate, private_key}) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) {
      return Status::InvalidArgument(fmt::format("TLS: {}: no such file (or not a regular file)", Printable(file)));
    }
  }
  const auto failed = [&](const std::string& why) {
    return Status::InvalidArgument(fmt::format("TLS certificate {} and key {}: {}", Printable(certificate),
                                               Printable(private_key), why));
  };
  try {
    out->emplace(asio::ssl::context::tls_server);
    asio::ssl::context& tls = **out;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::single_dh_use);
    bool asked = false;
    tls.set_password_callback([&asked](size_t, asio::ssl::context::password_purpose) {
      asked = true;
      return std::string();
    });
    tls.use_certificate_chain_file(certificate);
    try {
      tls.use_private_key_file(private_key, asio::ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      if (asked) return failed("the key is encrypted: give it without a pass phrase (openssl pkey -in KEY -out PLAIN)");
      throw;
    }
    if (SSL_CTX_check_private_key(tls.native_handle()) != 1) return failed("the key is not the certificate's");
    if (const X509* leaf = SSL_CTX_get0_certificate(tls.native_handle());
        leaf != nullptr && X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
      *warning = fmt::format("TLS: the certificate {} has expired: clients that check it will refuse it",
                             Printable(certificate));
    }
  } catch (const boost::system::system_error& e) {
    return failed(e.code().message());
  }
  return Status::Ok();
}

}  // namespace

Status Server::CanListen(const std::string& address_text, uint16_t port) {
  beast::error_code error;
  const auto address = asio::ip::make_address(address_text, error);
  if (error) return Status::InvalidArgument(fmt::format("{}: not an IP address", Printable(address_text)));
  asio::io_context io;
  tcp::acceptor probe(io);
  const tcp::endpoint endpoint(address, port);
  probe.open(endpoint.protocol(), error);
  if (!error) probe.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) probe.bind(endpoint, error);
  if (error) return Status::IoError(fmt::format("cannot listen on {}:{}: {}", Printable(address_text), port, error.message()));
  return Status::Ok();
}

Status Server::CheckTls(const std::string& certificate, const std::string& private_key, std::string* warning) {
  std::optional<asio::ssl::context> context;
  return LoadTls(certificate, private_key, &context, warning);
}

Status Server::Run() {
  Impl& s = *impl_;
  if (!s.options.tls_certificate.empty() || !s.options.tls_private_key.empty()) {
    std::string warning;
    if (Status loaded = LoadTls(s.options.tls_certificate, s.options.tls_private_key, &s.tls, &warning); !loaded.ok()) {
      return loaded;
    }
    if (!warning.empty()) s.options.say(warning);
  }
  // The read models catch up with the journal before anything is served.
  // (Kafka mode: they follow the journal topic from its start while serving; /readyz tells.)
  if (s.runtime) {
    std::unique_lock lock(s.models_mutex);
    if (!s.options.projections_path.empty()) {
      if (Status opened = OpenProjections(s.options.projections_path, s.runtime->journal_log(), /*rebuild=*/false,
                                          &s.store, &s.models[0], s.options.say); !opened.ok()) {
        return opened;
      }
    } else {
      const Status read = ReadChained(s.runtime->journal_log(), 0, [&](uint64_t, std::span<const uint8_t> record) {
        s.models[0].Apply(record);
        return true;
      });
      if (!read.ok()) return read;
    }
    s.journal_records = s.runtime->journal().end();
    s.engine_time_ms = s.runtime->engine().state().now.value;
  }
  beast::error_code error;
  const auto address = asio::ip::make_address(s.options.address, error);
  if (error) return Status::InvalidArgument(fmt::format("{}: not an IP address", Printable(s.options.address)));
  s.acceptor.emplace(asio::make_strand(s.io));
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol(), error);
  if (!error) s.acceptor->set_option(asio::socket_base::reuse_address(true), error);
  if (!error) s.acceptor->bind(endpoint, error);
  if (!error) s.acceptor->listen(asio::socket_base::max_listen_connections, error);
  if (error) return Status::IoError(fmt::format("cannot listen on {}:{}: {}", s.options.address, s.options.port, error.message()));
  s.accept_retry.emplace(s.acceptor->get_executor());
  if (Status allowed = ConnectionsAllowed(s.options.say, &s.connections_max); !allowed.ok()) return allowed;
  const uint16_t port = s.acceptor->local_endpoint().port();
  const bool v6 = s.options.address.find(':') != std::string::npos;  // a URL brackets an IPv6 address
  s.options.say(fmt::format("listening on {}://{}{}{}:{}", s.tls ? "https" : "http", v6 ? "[" : "", s.options.address,
                            v6 ? "]" : "", port));
  if (s.options.on_listening) s.options.on_listening(port);
  std::thread partition([&s] {
    if (s.replica) {
      s.replica->Run([&s](std::span<const kafka::Replica::Record> records) { s.OnRecords(records); }, [&s] { s.KafkaIdle(); });
    } else {
      s.PartitionLoop();
    }
  });
  s.Accept();
  s.StartCheckpointer();
  // The I/O thread runs until Stop closes the acceptor and every session has answered.
  const auto serve = [&s] {
    while (!s.stopping) s.io.run_for(std::chrono::milliseconds(200));
  };
  std::vector<std::thread> io_threads;
  for (size_t i = 1; i < limits::kIoThreads; ++i) io_threads.emplace_back(serve);
  serve();
  for (std::thread& thread : io_threads) thread.join();
  impl_->StopSlow();  // an as-of or audit question still being answered finishes first
  impl_->StopCheckpointer();  // a checkpoint being written stops at its next record (none half-written)
  s.jobs_ready.notify_all();
  if (s.replica) {
    // Posts published and not answered yet get a few seconds for their records, then 503.
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard lock(s.kafka_mutex);
        if (s.awaiting.empty() && s.unplaced == 0) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    s.replica->Stop();
  }
  partition.join();      // what is in flight is committed and answered
  if (s.replica) {
    std::lock_guard lock(s.kafka_mutex);
    for (auto& [at, wait] : s.awaiting) {
      wait.job->failure = Failure{bhttp::status::service_unavailable, "Stopping",
                                  fmt::format("the server stopped before the journal record of the input published to "
                                              "partition {} at offset {} was read; post it again with the same "
                                              "idempotency_key to read its answer", at.first, at.second)};
      s.Settle(wait.job, wait.input, std::nullopt);
    }
    s.awaiting.clear();
  }
  s.io.restart();
  s.io.run_for(std::chrono::seconds(2));  // the last answers are written
  return s.partition_failed ? s.partition_failure : Status::Ok();
}

}  // namespace kezek::adapters::http
