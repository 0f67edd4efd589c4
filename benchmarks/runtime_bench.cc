// The embedded durable runtime against the in-memory fold of the same input in the same run:
// append+fold with fsync'd group commit (inputs, journal and state each fsync'd once a batch), the
// same without fsync, and the restart time (open, recover, load the state) for a state of many
// applications. Prints a table and JSON; asserts nothing about time.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "benchmarks/machine.h"

#include "adapters/embedded/runtime.h"
#include "workload/simulation.h"

namespace kezek {
namespace {

namespace fs = std::filesystem;
using bench::Clock;
using bench::CpuModel;
using bench::Seconds;


// A catalogue and `count` filings of distinct children, spread over five birth years.
std::vector<std::string> Filings(uint64_t count, events::Codec& codec) {
  std::vector<std::string> lines;
  auto add = [&](fb::ActionT action) { lines.push_back(codec.ActionToJson(events::Codec::Pack(action))); };
  auto make = [&](fb::Role role, std::string key, int64_t at) {
    fb::ActionT a;
    a.schema_version = kSchemaVersion;
    a.idempotency_key = std::move(key);
    a.instant_ms = at;
    a.actor = std::make_unique<fb::ActorT>();
    a.actor->role = role;
    return a;
  };
  const int64_t start = 1735689600000;  // 2025-01-01T00:00Z
  fb::ActionT locality = make(fb::Role::EducationDepartment, "locality", start);
  locality.body.Set(fb::UpsertLocalityT{{}, 1, "г. Алматы", "Алматы қаласы", "ALA"});
  add(std::move(locality));
  const std::string parent = workload::MakeIin(1990, 4, 27, false, 17);
  for (uint64_t i = 0; i < count; ++i) {
    fb::ActionT file = make(fb::Role::Portal, fmt::format("f{}", i), start + static_cast<int64_t>(i) * 1000);
    file.actor->iin = parent;
    fb::FileApplicationT body;
    // Distinct children: 1,344 birth dates x 2 sexes, then the serial.
    body.child_iin = workload::MakeIin(2021 + static_cast<int>(i % 4), 1 + static_cast<unsigned>(i / 4 % 12),
                                     1 + static_cast<unsigned>(i / 48 % 28), i / 1344 % 2 == 0,
                                     static_cast<unsigned>(i / 2688 * 2));
    body.child_name = "Тест";
    body.locality = 1;
    body.priority_category = "general";
    body.language = i % 3 == 0 ? fb::Language::Ru : fb::Language::Kk;
    file.body.Set(std::move(body));
    add(std::move(file));
  }
  return lines;
}

struct Durable {
  double seconds = 0;
  uint64_t bytes_on_disk = 0;
  Sha256 hash{};
};

Durable AppendAll(const std::string& dir, const std::vector<std::string>& lines, size_t batch, bool sync) {
  fs::remove_all(dir);
  adapters::Runtime::Options options;
  options.create = true;
  options.batch_max = batch;
  options.log.sync = sync;
  std::unique_ptr<adapters::Runtime> runtime;
  if (const auto s = adapters::Runtime::Open(dir, options, &runtime); !s.ok()) {
    fmt::print(stderr, "runtime_bench: {}\n", s.ToString());
    std::exit(1);
  }
  const auto t = Clock::now();
  if (const auto s = runtime->Append(lines, {}); !s.ok()) {
    fmt::print(stderr, "runtime_bench: {}\n", s.ToString());
    std::exit(1);
  }
  Durable d;
  d.seconds = Seconds(t);
  d.bytes_on_disk = runtime->actions().bytes() + runtime->journal().bytes() + runtime->StateBytesOnDisk();
  d.hash = runtime->engine().StateHash();
  return d;
}

}  // namespace
}  // namespace kezek

int main(int argc, char** argv) {
  using namespace kezek;
  workload::SimulationOptions options;
  uint64_t restart_applications = 1'000'000;
  size_t batch = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--applications") options.applications = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    else if (arg == "--restart-applications") restart_applications = std::stoull(argv[i + 1]);
    else if (arg == "--batch") batch = std::stoul(argv[i + 1]);
    else return fmt::print(stderr, "usage: runtime_bench [--applications N] [--restart-applications N] [--batch N]\n"), 2;
  }
  const std::string base = (fs::temp_directory_path() / fmt::format("kezek-bench-{}", ::getpid())).string();
  events::Codec codec;
  std::vector<std::string> lines;
  workload::SimulationSummary summary;
  std::string error;
  if (!workload::Simulate(options, [&](std::span<const uint8_t> b) { lines.push_back(codec.ActionToJson(b)); }, &summary, &error)) {
    return fmt::print(stderr, "runtime_bench: {}\n", error), 1;
  }
  const double n = static_cast<double>(lines.size());

  // Baseline: the in-memory fold of the same JSON lines (parse, canonicalize, apply).
  double memory_best = 1e99;
  for (int r = 0; r < 2; ++r) {
    Engine engine;
    std::vector<uint8_t> bytes;
    const auto t = Clock::now();
    for (size_t i = 0; i < lines.size(); ++i) {
      (void)codec.ParseAction(lines[i], &bytes);
      (void)engine.Apply(bytes, i);
    }
    memory_best = std::min(memory_best, Seconds(t));
  }
  const Durable synced = AppendAll(base + "-sync", lines, batch, true);
  const Durable unsynced = AppendAll(base + "-nosync", lines, batch, false);
  if (synced.hash != summary.state_sha256 || unsynced.hash != summary.state_sha256) {
    return fmt::print(stderr, "runtime_bench: the durable state differs from the in-memory fold\n"), 1;
  }

  // Restart: a state of many applications, then open (recover both logs, load RocksDB).
  const std::vector<std::string> filings = Filings(restart_applications, codec);
  const Durable built = AppendAll(base + "-restart", filings, 10'000, false);
  double restart_s = 0;
  uint64_t loaded_applications = 0;
  {
    adapters::Runtime::Options open_options;
    std::unique_ptr<adapters::Runtime> runtime;
    const auto t = Clock::now();
    if (const auto s = adapters::Runtime::Open(base + "-restart", open_options, &runtime); !s.ok()) {
      return fmt::print(stderr, "runtime_bench: {}\n", s.ToString()), 1;
    }
    restart_s = Seconds(t);
    loaded_applications = runtime->engine().state().applications.size() - 1;
  }
  for (const char* suffix : {"-sync", "-nosync", "-restart"}) fs::remove_all(base + suffix);

  fmt::print("Kezek runtime benchmark — {} applications, {} inputs (JSON lines), batch {}; restart state: {} applications\n",
             options.applications, lines.size(), batch, loaded_applications);
  fmt::print("machine: {} ({} cores online)\n\n", CpuModel(), sysconf(_SC_NPROCESSORS_ONLN));
  fmt::print("| {:<40} | {:>12} | {:<9} | {:>10} |\n", "measure", "value", "unit", "vs memory");
  fmt::print("|{:-<42}|{:->14}|{:-<11}|{:->12}|\n", "", "", "", "");
  fmt::print("| {:<40} | {:>12.0f} | {:<9} | {:>10} |\n", "in-memory fold (baseline)", n / memory_best, "inputs/s", "1.00x");
  fmt::print("| {:<40} | {:>12.0f} | {:<9} | {:>9.2f}x |\n", "durable append+fold, fsync group commit", n / synced.seconds, "inputs/s",
             synced.seconds / memory_best);
  fmt::print("| {:<40} | {:>12.0f} | {:<9} | {:>9.2f}x |\n", "durable append+fold, no fsync", n / unsynced.seconds, "inputs/s",
             unsynced.seconds / memory_best);
  fmt::print("| {:<40} | {:>12.3f} | {:<9} | {:>10} |\n", fmt::format("restart, {} applications", loaded_applications), restart_s, "s", "");
  fmt::print("| {:<40} | {:>12.1f} | {:<9} | {:>10} |\n", "disk for the history (logs + state)", synced.bytes_on_disk / 1048576.0, "MiB", "");
  fmt::print("\n{{\"benchmark\":\"runtime\",\"applications\":{},\"inputs\":{},\"batch\":{},\"machine\":\"{}\","
             "\"memory_inputs_per_s\":{:.0f},\"durable_inputs_per_s\":{:.0f},\"durable_nosync_inputs_per_s\":{:.0f},"
             "\"durable_over_memory\":{:.3f},\"restart_applications\":{},\"restart_s\":{:.3f},\"restart_state_bytes\":{},"
             "\"history_bytes_on_disk\":{}}}\n",
             options.applications, lines.size(), batch, CpuModel(), n / memory_best, n / synced.seconds,
             n / unsynced.seconds, synced.seconds / memory_best, loaded_applications, restart_s, built.bytes_on_disk,
             synced.bytes_on_disk);
  return 0;
}
