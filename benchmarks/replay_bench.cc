// The fold of a real data directory's history, measured as a fresh process does it: the actions
// log read once into one buffer (each action aligned as the engine reads it in place), then
// folded by a new engine, timed alone. Beside it in the same run: the same inputs read and
// verified from the log (the I/O floor), and the JSON path (each action printed to its JSON line
// beforehand, then parsed and folded). The fold's head (the last record's SHA-256) is compared
// with the data directory's journal: a benchmark of a wrong fold is no benchmark. Prints a table
// and a JSON line; asserts nothing about time.
//
// Then the same inputs as a Kafka deployment of N partitions (default: one for each core) holds
// them (adapters/kafka/router.h: a locality's queues in one partition, the catalogue, calendar,
// ticks and archivals in every one), each partition folded by an engine of its own: on one
// thread, then on every core, each partition's head and state hash equal in both (the partitions
// are independent, so the threads change nothing but the time).
//
// usage: replay_bench --data DIR [--json-inputs N] [--repeats N] [--partitions N] [--json FILE] [--fold-only] [--catalogue-by-locality]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "benchmarks/machine.h"

#include "adapters/embedded/segment_log.h"
#include "adapters/kafka/router.h"
#include "engine/engine.h"
#include "events/chain_hasher.h"
#include "events/decode_ahead.h"
#include "events/codec.h"
#include "events/input.h"
#include "events/state_hasher.h"
#include "projections/summary.h"

namespace kezek {
namespace {

namespace fs = std::filesystem;
using bench::Clock;
using bench::CpuModel;
using bench::ResidentBytes;
using bench::Seconds;



using projections::Hex;

// Every input payload of a log in one buffer: payload i at offsets[i], placed so that the action
// after its tag byte starts 16-byte aligned (the engine reads a FlatBuffer in place, aligned).
struct Inputs {
  std::vector<uint8_t> arena;
  std::vector<std::pair<size_t, size_t>> spans;  // offset, size
  std::span<const uint8_t> operator[](size_t i) const { return {arena.data() + spans[i].first, spans[i].second}; }
  size_t size() const { return spans.size(); }
};

int Fail(const std::string& what) { return fmt::print(stderr, "replay_bench: {}\n", what), 1; }

// One partition's fold: its head, state hash and record count.
struct PartitionFold {
  Sha256 head{}, state_hash{};
  uint64_t records = 0;
  double folded_at = 0;  // seconds from the start when its last input was folded (before its state hash)
  std::string error;
};

// Folds every partition (the indexes of its inputs, in order) with an engine of its own, on
// `threads` threads taking the partitions largest first. Returns the wall time.
double FoldPartitions(const Inputs& inputs, const std::vector<std::vector<uint32_t>>& partitions, unsigned threads,
                      std::vector<PartitionFold>* folds) {
  folds->assign(partitions.size(), PartitionFold{});
  std::vector<size_t> order(partitions.size());
  for (size_t p = 0; p < order.size(); ++p) order[p] = p;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return partitions[a].size() > partitions[b].size(); });
  std::atomic<size_t> next{0};
  const auto started = Clock::now();
  const auto work = [&] {
    for (size_t k = next++; k < order.size(); k = next++) {
      const size_t p = order[k];
      PartitionFold& fold = (*folds)[p];
      auto engine = std::make_unique<Engine>();
      engine->TrackChanges(false);  // no store: each input's changes are forgotten
      engine->Expect(partitions[p].size());
      ApplyResult result;
      for (size_t offset = 0; offset < partitions[p].size(); ++offset) {
        if (offset + events::kPrefetchAhead < partitions[p].size()) {
          events::PrefetchInput(*engine, inputs[partitions[p][offset + events::kPrefetchAhead]]);
        }
        if (!events::FoldInput(*engine, inputs[partitions[p][offset]], offset, &result, &fold.error)) break;
        fold.records += result.records.size();
        if (!result.records.empty()) fold.head = result.record_sha256;
      }
      fold.folded_at = Seconds(started);
      fold.state_hash = engine->StateHash();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return Seconds(started);
}

}  // namespace
}  // namespace kezek

int main(int argc, char** argv) {
  using namespace kezek;
  std::string data, json_out;
  uint64_t json_inputs = 1'000'000;
  int repeats = 1;
  uint64_t partition_count = 0;  // 0: as many as the machine has cores
  bool catalogue_by_locality = false;  // a routing experiment (see where the partitions are made)
  bool fold_only = false;         // the one-core fold and its check, nothing after (for profiling and pairing)
  const auto usage = [] {
    return fmt::print(stderr, "usage: replay_bench --data DIR [--json-inputs N (>= 1)] [--repeats N (>= 1)] [--partitions N (1..64)] [--json FILE] [--fold-only] [--catalogue-by-locality]\n"), 2;
  };
  const auto count = [](const char* text, uint64_t* out) {
    const std::string_view v = text;
    const auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return error == std::errc() && end == v.data() + v.size() && *out >= 1;
  };
  for (int i = 1; i < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--fold-only") {
      fold_only = true;
      --i;  // a flag without a value
      continue;
    }
    if (arg == "--catalogue-by-locality") {
      catalogue_by_locality = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) return fmt::print(stderr, "replay_bench: {} needs a value\n", arg), 2;
    uint64_t n = 0;
    if (arg == "--data") data = argv[i + 1];
    else if (arg == "--json-inputs" && count(argv[i + 1], &n)) json_inputs = n;
    else if (arg == "--repeats" && count(argv[i + 1], &n) && n <= 100) repeats = static_cast<int>(n);
    else if (arg == "--partitions" && count(argv[i + 1], &n) && n <= 64) partition_count = n;
    else if (arg == "--json") json_out = argv[i + 1];
    else return usage();
  }
  if (data.empty()) return usage();

  adapters::SegmentLog::Options read_only;
  read_only.read_only = true;
  std::unique_ptr<adapters::SegmentLog> actions, journal;
  adapters::SegmentLog::Recovery recovery;
  if (auto s = adapters::SegmentLog::Open((fs::path(data) / "actions").string(), read_only, &actions, &recovery); !s.ok()) {
    return Fail(s.ToString());
  }
  if (auto s = adapters::SegmentLog::Open((fs::path(data) / "journal").string(), read_only, &journal, &recovery); !s.ok()) {
    return Fail(s.ToString());
  }
  // The I/O floor: the log read and each frame's checksum verified, into one buffer.
  Inputs inputs;
  inputs.arena.reserve(static_cast<size_t>(actions->end()) * 240);
  inputs.spans.reserve(actions->end());
  auto started = Clock::now();
  if (auto s = actions->Read(0, [&](uint64_t, std::span<const uint8_t> payload) {
        size_t at = (inputs.arena.size() + 1 + 15) / 16 * 16 - 1;  // payload + 1 aligned to 16
        inputs.arena.resize(at + payload.size());
        std::copy(payload.begin(), payload.end(), inputs.arena.begin() + static_cast<long>(at));
        inputs.spans.emplace_back(at, payload.size());
        return true;
      });
      !s.ok()) {
    return Fail(s.ToString());
  }
  const double read_s = Seconds(started);
  const double n = static_cast<double>(inputs.size());
  const uint64_t records_in_journal = journal->end();
  std::vector<uint8_t> last;
  Sha256 journal_head{};
  if (records_in_journal > 0) {
    if (auto s = journal->ReadRecord(records_in_journal - 1, &last); !s.ok()) return Fail(s.ToString());
    journal_head = Sha256Hasher().Of(last);
  }
  uint64_t action_bytes = 0;
  for (size_t i = 0; i < inputs.size(); ++i) action_bytes += inputs[i].size();
  fmt::print(stderr, "replay_bench: {} inputs ({:.1f} MiB) read in {:.2f} s\n", inputs.size(), action_bytes / 1048576.0, read_s);

  // The binary fold, a new engine each repeat; the best repeat is reported.
  double fold_s = 1e300;
  uint64_t records = 0;
  Sha256 head{}, state_hash{};
  uint64_t state_bytes = 0, applications = 0;
  double state_hash_s = 1e300;  // the whole state's hash after the fold (what verify compares)
  double state_hash_two_s = 1e300;  // the same, SHA-256 on a second thread (events/state_hasher.h)
  for (int r = 0; r < repeats; ++r) {
    const uint64_t rss_before = ResidentBytes();
    auto engine = std::make_unique<Engine>();
    engine->TrackChanges(false);
    engine->Expect(inputs.size());
    ApplyResult result;
    std::string error;
    records = 0;
    started = Clock::now();
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (i + events::kPrefetchAhead < inputs.size()) events::PrefetchInput(*engine, inputs[i + events::kPrefetchAhead]);
      if (!events::FoldInput(*engine, inputs[i], i, &result, &error)) return Fail(fmt::format("input {}: {}", i, error));
      records += result.records.size();
    }
    fold_s = std::min(fold_s, Seconds(started));
    head = result.record_sha256;
    if (r == 0) state_bytes = ResidentBytes() - rss_before;  // later repeats reuse the freed heap
    if (fold_only) continue;
    started = Clock::now();
    state_hash = engine->StateHash();
    state_hash_s = std::min(state_hash_s, Seconds(started));
    started = Clock::now();
    if (events::StateHashOnTwoThreads(*engine) != state_hash) return Fail("the state hash on two threads differs");
    state_hash_two_s = std::min(state_hash_two_s, Seconds(started));
    applications = engine->state().applications.size() - 1;  // slot 0 is unused
  }
  if (records != records_in_journal || head != journal_head) {
    return Fail(fmt::format("the fold gives {} records with head {}; the journal holds {} with head {}", records, Hex(head),
                            records_in_journal, Hex(journal_head)));
  }
  fmt::print(stderr, "replay_bench: fold {:.2f} s, {:.0f} actions/s, head {} equals the journal's\n", fold_s, n / fold_s,
             Hex(head));
  if (fold_only) return 0;

  // The same fold with the hash chain on the second core (events/chain_hasher.h): the engine hashes
  // nothing, a ChainHasher fills in each record's prev_sha256 and hashes it; timed to its head.
  double chained_s = 1e300;
  for (int r = 0; r < repeats; ++r) {
    auto engine = std::make_unique<Engine>();
    engine->HashRecords(false);
    engine->TrackChanges(false);
    engine->Expect(inputs.size());
    ApplyResult result;
    std::string error;
    started = Clock::now();
    Sha256 chained_head{};
    {
      events::ChainHasher chain;
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (i + events::kPrefetchAhead < inputs.size()) events::PrefetchInput(*engine, inputs[i + events::kPrefetchAhead]);
        if (!events::FoldInput(*engine, inputs[i], i, &result, &error)) return Fail(fmt::format("input {}: {}", i, error));
        chain.Add(result.records);
      }
      chained_head = chain.Head();
    }
    chained_s = std::min(chained_s, Seconds(started));
    engine->SetHead(chained_head);
    if (chained_head != journal_head || engine->StateHash() != state_hash) {
      return Fail(fmt::format("the fold with the chain on a second core gives head {}, not the journal's", Hex(chained_head)));
    }
  }
  fmt::print(stderr, "replay_bench: fold with the chain on the second core {:.2f} s, {:.0f} actions/s, head and state equal\n",
             chained_s, n / chained_s);

  // The inputs as a Kafka deployment of partition_count partitions holds them, each partition
  // folded by its own engine: on one thread, then on every core; the same heads both times.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (partition_count == 0) partition_count = cores;
  const auto partitions_n = static_cast<int32_t>(partition_count);
  std::vector<std::vector<uint32_t>> partitions(partition_count);
  // --catalogue-by-locality (a measure of a routing docs/kafka.md does not have, not the
  // deployment's): a ДО and its groups only in their locality's partition, not in every one.
  std::map<uint32_t, uint32_t> locality_of_kindergarten;
  std::vector<uint8_t> aligned;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::optional<int32_t> local;
    if (catalogue_by_locality && inputs[i].size() > 1 && inputs[i][0] == events::kInputAction) {
      aligned.assign(inputs[i].begin() + 1, inputs[i].end());
      const fb::Action& action = *fb::GetAction(aligned.data());
      if (const auto* kindergarten = action.body_as_UpsertKindergarten()) {
        locality_of_kindergarten[kindergarten->kindergarten()] = kindergarten->locality();
        local = adapters::kafka::PartitionOfLocality(kindergarten->locality(), partitions_n);
      } else if (const auto* group = action.body_as_UpsertGroup()) {
        if (const auto it = locality_of_kindergarten.find(group->kindergarten()); it != locality_of_kindergarten.end()) {
          local = adapters::kafka::PartitionOfLocality(it->second, partitions_n);
        }
      }
    }
    if (local) {
      partitions[static_cast<size_t>(*local)].push_back(static_cast<uint32_t>(i));
      continue;
    }
    for (const int32_t p : adapters::kafka::RouteOf(inputs[i], partitions_n).partitions) {
      partitions[static_cast<size_t>(p)].push_back(static_cast<uint32_t>(i));
    }
  }
  uint64_t partitioned_inputs = 0, largest_partition = 0;
  for (const auto& partition : partitions) {
    partitioned_inputs += partition.size();
    largest_partition = std::max<uint64_t>(largest_partition, partition.size());
  }
  double partitioned_one_s = 1e300, partitioned_all_s = 1e300;
  double partitioned_folded_s = 1e300;  // of the best run on every core: every partition folded, its hash not yet taken
  std::vector<PartitionFold> one, all;
  for (int r = 0; r < repeats; ++r) {
    partitioned_one_s = std::min(partitioned_one_s, FoldPartitions(inputs, partitions, 1, &one));
    if (const double s = FoldPartitions(inputs, partitions, cores, &all); s < partitioned_all_s) {
      partitioned_all_s = s;
      partitioned_folded_s = 0;
      for (const PartitionFold& fold : all) partitioned_folded_s = std::max(partitioned_folded_s, fold.folded_at);
    }
  }
  for (size_t p = 0; p < partitions.size(); ++p) {
    if (!one[p].error.empty() || !all[p].error.empty()) return Fail(fmt::format("partition {}: {}{}", p, one[p].error, all[p].error));
    if (one[p].head != all[p].head || one[p].state_hash != all[p].state_hash || one[p].records != all[p].records) {
      return Fail(fmt::format("partition {} folds to head {} on one thread and {} on {}", p, Hex(one[p].head),
                              Hex(all[p].head), cores));
    }
  }
  fmt::print(stderr, "replay_bench: {} partitions ({} inputs routed, the largest {}): one thread {:.2f} s, {} threads {:.2f} s "
                    "(every partition folded at {:.2f} s, then its state hash), heads equal\n",
             partition_count, partitioned_inputs, largest_partition, partitioned_one_s, cores, partitioned_all_s,
             partitioned_folded_s);

  // The JSON path on the first json_inputs inputs: lines made beforehand, then parse + fold timed.
  const size_t json_n = std::min<size_t>(json_inputs, inputs.size());
  double json_s = 0, json_piped_s = 0, decode_s = 0, parser_s = 0, recanonical_s = 0;
  uint64_t fast_taken = 0;
  {
    events::Codec codec;
    std::vector<std::string> lines;
    std::vector<size_t> which;
    lines.reserve(json_n);
    for (size_t i = 0; i < json_n; ++i) {
      const auto payload = inputs[i];
      if (payload.empty() || payload[0] != events::kInputAction) continue;  // a refused raw input has no JSON form
      lines.push_back(codec.ActionToJson(payload.subspan(1)));
      which.push_back(i);
    }
    Engine engine;
    Engine reference;
    engine.TrackChanges(false);
    reference.TrackChanges(false);
    std::vector<uint8_t> parsed;
    ApplyResult result;
    std::string error;
    started = Clock::now();
    for (size_t k = 0; k < lines.size(); ++k) {
      const events::CodecError e = codec.ParseAction(lines[k], &parsed);
      if (e.code != fb::RejectionCode::None) return Fail(fmt::format("input {}: its JSON does not parse back: {}", which[k], e.reason));
      result = engine.Apply(parsed, which[k]);
    }
    json_s = Seconds(started);
    fast_taken = codec.fast_taken();
    // The decoders alone, beside each other: the codec (fast path) and FlatBuffers' parser.
    started = Clock::now();
    for (const std::string& line : lines) (void)codec.ParseAction(line, &parsed);
    decode_s = Seconds(started);
    started = Clock::now();
    for (const std::string& line : lines) (void)codec.ParseActionByParser(line, &parsed);
    parser_s = Seconds(started);
    // The decoder as it was before it wrote the canonical form itself: decoding, then Verifier +
    // Unpack + Pack over its buffer (measured here as the decoder plus that canonicalization).
    std::vector<uint8_t> canonical;
    started = Clock::now();
    for (const std::string& line : lines) {
      (void)codec.ParseAction(line, &parsed);
      (void)events::Codec::Canonicalize(parsed, &canonical);
    }
    recanonical_s = Seconds(started);
    for (const size_t i : which) (void)events::FoldInput(reference, inputs[i], i, &result, &error);
    if (engine.StateHash() != reference.StateHash()) return Fail("the JSON path's state differs from the binary fold's");
    // The same lines as `kezek fold` takes them: read and decoded on one core (events/decode_ahead.h),
    // folded on the other, the chain hashed beside the decoding (events/chain_hasher.h).
    {
      Engine piped;
      piped.HashRecords(false);
      piped.TrackChanges(false);
      size_t next = 0, at = 0;
      started = Clock::now();
      {
        events::ChainHasher chain;
        events::DecodeAhead decoded([&](events::InputLine* line, std::string*) {
          if (next == lines.size()) return false;
          *line = events::LineOf(lines[next++]);  // a copy, as a line read from a file is
          return true;
        });
        while (const events::DecodeAhead::Batch* batch = decoded.Next()) {
          for (size_t i = 0; i < batch->size(); ++i) {
            if (i + events::kPrefetchAhead < batch->size()) events::PrefetchInput(piped, batch->payload(i + events::kPrefetchAhead));
            if (!events::FoldInput(piped, batch->payload(i), which[at++], &result, &error)) return Fail(error);
            chain.Add(result.records);
          }
        }
        piped.SetHead(chain.Head());
      }
      json_piped_s = Seconds(started);
      if (at != lines.size() || piped.StateHash() != engine.StateHash()) {
        return Fail("the JSON lines decoded on one core and folded on the other give another state");
      }
    }
    fmt::print(stderr, "replay_bench: JSON parse + fold of {} lines {:.2f} s, {:.0f} actions/s; decoded on one core, folded on the other {:.2f} s, {:.0f} actions/s\n",
               lines.size(), json_s, static_cast<double>(lines.size()) / json_s, json_piped_s,
               static_cast<double>(lines.size()) / json_piped_s);
    json_inputs = lines.size();
    if (json_inputs == 0) return Fail("no input has a JSON form (every one is a refused raw input)");
  }

  const double fold_rate = n / fold_s;
  const double json_rate = static_cast<double>(json_inputs) / json_s;
  fmt::print("\n| measure | value | beside |\n|---|---|---|\n");
  fmt::print("| inputs (actions log of {}) | {:.0f} | {:.1f} MiB of actions, {:.0f} bytes an input |\n", data, n,
             action_bytes / 1048576.0, static_cast<double>(action_bytes) / n);
  fmt::print("| read + frame checks (the I/O floor) | {:.0f} inputs/s | {:.2f} s |\n", n / read_s, read_s);
  fmt::print("| fold, binary, one core | {:.0f} actions/s | {:.2f} s, {:.2f} µs an action |\n", fold_rate, fold_s,
             1e6 * fold_s / n);
  fmt::print("| the state hash after the fold (every entry encoded and hashed: what `replay verify` compares) | {:.2f} s | "
             "{:.0f} ns an application |\n", state_hash_s, 1e9 * state_hash_s / static_cast<double>(std::max<uint64_t>(applications, 1)));
  fmt::print("| the same, SHA-256 on the second core (`replay verify`'s) | {:.2f} s | {:.2f}x one thread |\n", state_hash_two_s,
             state_hash_s / state_hash_two_s);
  fmt::print("| fold, binary, the hash chain on the second core | {:.0f} actions/s | {:.2f} s, {:.2f}x the one-core fold |\n",
             n / chained_s, chained_s, fold_s / chained_s);
  fmt::print("| fold as {} Kafka partitions (routed by locality; {} inputs, broadcasts in each{}; the largest {}), one thread | {:.0f} "
             "actions/s | {:.2f} s |\n", partition_count, partitioned_inputs,
             catalogue_by_locality ? " but the catalogue, routed by locality (--catalogue-by-locality, an experiment)" : "",
             largest_partition, n / partitioned_one_s,
             partitioned_one_s);
  fmt::print("| the same partitions folded on {} threads (each its own engine; heads equal) | {:.0f} actions/s | {:.2f} s, "
             "{:.2f}x the one-thread partitions, {:.2f}x the one-partition fold |\n", cores, n / partitioned_all_s,
             partitioned_all_s, partitioned_one_s / partitioned_all_s, fold_s / partitioned_all_s);
  fmt::print("| of which every partition folded (each partition's head; with more partitions than cores, the state hashes "
             "of those folded before on the same thread included) | {:.0f} actions/s | "
             "{:.2f} s |\n", n / partitioned_folded_s, partitioned_folded_s);
  fmt::print("| fold from JSON lines (first {}), one core | {:.0f} actions/s | {:.2f}x the binary fold's time |\n", json_inputs,
             json_rate, fold_rate / json_rate);
  fmt::print("| the same lines decoded on one core, folded on the other, the chain beside the decoding (`kezek fold`) | "
             "{:.0f} actions/s | {:.2f}x the one-core JSON fold |\n", json_inputs / json_piped_s, json_s / json_piped_s);
  fmt::print("| JSON decode alone (simdjson + schema-driven decoder; {} of {} lines took the fast path) | {:.0f} actions/s | "
             "FlatBuffers' parser alone: {:.0f} actions/s ({:.1f}x) |\n", fast_taken, json_inputs, json_inputs / decode_s,
             json_inputs / parser_s, parser_s / decode_s);
  fmt::print("| JSON decode + canonicalizing after it (Verifier, Unpack, Pack: the decoder before it wrote canonical bytes) | "
             "{:.0f} actions/s | {:.2f}x the decode's time |\n", json_inputs / recanonical_s, recanonical_s / decode_s);
  uint64_t disk_bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (entry.is_regular_file()) disk_bytes += entry.file_size();
  }
  fmt::print("| state memory (RSS growth) | {:.0f} MiB | {:.0f} bytes an application ({} applications) |\n",
             state_bytes / 1048576.0, static_cast<double>(state_bytes) / static_cast<double>(std::max<uint64_t>(applications, 1)),
             applications);
  fmt::print("| on disk (the data directory: actions log, journal, state, checkpoints) | {:.0f} MiB | {:.0f} bytes an input |\n",
             disk_bytes / 1048576.0, static_cast<double>(disk_bytes) / n);
  fmt::print("| journal records | {} | head {} (equal) |\n\n", records, Hex(head).substr(0, 16));
  const std::string json = fmt::format(
      "{{\"bench\": \"replay\", \"cpu\": \"{}\", \"cores\": {}, \"inputs\": {}, \"records\": {}, \"action_bytes\": {}, "
      "\"read_s\": {:.3f}, \"fold_s\": {:.3f}, \"fold_actions_per_s\": {:.0f}, \"state_hash_s\": {:.3f}, \"state_hash_two_threads_s\": {:.3f}, \"chained_fold_s\": {:.3f}, \"chained_fold_actions_per_s\": {:.0f}, \"partitions\": {}, \"partitioned_inputs\": {}, \"largest_partition\": {}, \"partitioned_one_thread_s\": {:.3f}, \"partitioned_threads\": {}, \"partitioned_s\": {:.3f}, \"partitioned_folded_s\": {:.3f}, \"catalogue_by_locality\": {}, \"partitioned_actions_per_s\": {:.0f}, \"json_inputs\": {}, \"json_s\": {:.3f}, "
      "\"json_actions_per_s\": {:.0f}, \"json_two_cores_s\": {:.3f}, \"json_two_cores_actions_per_s\": {:.0f}, \"decode_actions_per_s\": {:.0f}, \"parser_actions_per_s\": {:.0f}, \"decode_then_canonicalize_actions_per_s\": {:.0f}, \"fast_path_lines\": {}, \"state_rss_bytes\": {}, \"applications\": {}, \"disk_bytes\": {}, \"head\": \"{}\", \"state_hash\": \"{}\"}}\n",
      CpuModel(), sysconf(_SC_NPROCESSORS_ONLN), inputs.size(), records, action_bytes, read_s, fold_s, fold_rate,
      state_hash_s, state_hash_two_s, chained_s, n / chained_s, partition_count, partitioned_inputs, largest_partition, partitioned_one_s, cores,
      partitioned_all_s, partitioned_folded_s, catalogue_by_locality, n / partitioned_all_s, json_inputs, json_s, json_rate, json_piped_s, json_inputs / json_piped_s, json_inputs / decode_s, json_inputs / parser_s, json_inputs / recanonical_s, fast_taken, state_bytes, applications, disk_bytes, Hex(head), Hex(state_hash));
  fmt::print("{}", json);
  if (!json_out.empty()) std::ofstream(json_out) << json;
  return 0;
}
