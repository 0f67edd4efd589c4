// The store's view of the state: entries written after every action (only the changed ones)
// add up to exactly the full snapshot, and a state rebuilt from the entries is the same state.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "engine/state_codec.h"
#include "workload/simulation.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

using Store = std::map<std::pair<int, std::string>, std::string>;

void ApplyPut(Store& store, const state_codec::Put& put) {
  const auto key = std::make_pair(static_cast<int>(put.family), put.key);
  if (put.erase) store.erase(key); else store[key] = put.value;
}

Store Snapshot(const Engine& engine) {
  Store store;
  state_codec::AllEntries(engine.state(), [&](const state_codec::Put& put) { ApplyPut(store, put); });
  return store;
}

}  // namespace

TEST_CASE("state store: changed entries after each action add up to the full snapshot, and reload equal") {
  workload::SimulationOptions options;
  options.seed = 99;
  options.applications = 400;
  options.months = 13;
  workload::SimulationSummary summary;
  const auto log = SimulatedLog(options, &summary);

  Engine engine;
  Store store;
  for (size_t i = 0; i < log.size(); ++i) {
    (void)engine.Apply(log[i], i);
    engine.DrainChanges([&](const state_codec::Put& put) { ApplyPut(store, put); });
    if (i % 97 == 0 || i + 1 == log.size()) {
      const Store snapshot = Snapshot(engine);
      std::string first_difference;
      for (const auto& [key, value] : snapshot) {
        const auto it = store.find(key);
        if (it == store.end() || it->second != value) {
          first_difference = fmt::format("{} entry of {} bytes", state_codec::FamilyName(static_cast<state_codec::Family>(key.first)), key.second.size());
          break;
        }
      }
      if (first_difference.empty() && snapshot.size() != store.size()) first_difference = "an entry the snapshot lacks";
      REQUIRE_MESSAGE(first_difference.empty(), "after input ", i, ": ", first_difference);
    }
  }
  const Sha256 hash = engine.StateHash();
  CHECK(hash == summary.state_sha256);

  Engine reloaded;
  REQUIRE(reloaded.Restore([&](State* state) {
    for (const auto& [key, value] : store) {
      if (!state_codec::LoadEntry(static_cast<state_codec::Family>(key.first), key.second, value, state)) return false;
    }
    return true;
  }));
  CHECK(reloaded.StateHash() == hash);
  // The reloaded engine goes on exactly as the original: same records for the same inputs.
  for (const ApplicationId id : engine.state().ApplicationNumbers()) {
    CHECK(engine.PositionOf(id) == reloaded.PositionOf(id));
  }
  fb::ActionT tick = World::Action(fb::Role::System, fb::ClockTickT{});
  tick.schema_version = kSchemaVersion;
  tick.idempotency_key = "after-reload";
  tick.instant_ms = engine.state().now.value + 400LL * kMsPerDay;  // every deadline and school age ahead expires
  const auto bytes = events::Codec::Pack(tick);
  const ApplyResult a = engine.Apply(bytes, 1'000'000);
  const auto copy = [](const ApplyResult& result) {
    std::vector<std::vector<uint8_t>> records;
    for (const auto record : result.records) records.emplace_back(record.begin(), record.end());
    return records;
  };
  const std::vector<std::vector<uint8_t>> records_a = copy(a);
  const ApplyResult b = reloaded.Apply(bytes, 1'000'000);
  CHECK(records_a == copy(b));
  CHECK(engine.StateHash() == reloaded.StateHash());
}

namespace {

// A small city's history folded (50 applications over 3 months).
void FoldSmallCity(Engine* engine) {
  workload::SimulationOptions options;
  options.seed = 7;
  options.applications = 50;
  options.months = 3;
  const auto log = SimulatedLog(options, nullptr);
  for (size_t i = 0; i < log.size(); ++i) (void)engine->Apply(log[i], i);
}

}  // namespace

TEST_CASE("state store: entries that decode but disagree are refused, naming how, leaving an empty state") {
  Engine engine;
  FoldSmallCity(&engine);
  const Store store = Snapshot(engine);
  // Every kindergarten left out: the first group (in id order) names one that is not stored.
  Engine reloaded;
  std::string why;
  CHECK_FALSE(reloaded.Restore(
      [&](State* state) {
        for (const auto& [key, value] : store) {
          if (static_cast<state_codec::Family>(key.first) == state_codec::Family::kKindergartens) continue;
          if (!state_codec::LoadEntry(static_cast<state_codec::Family>(key.first), key.second, value, state)) return false;
        }
        return true;
      },
      &why));
  const auto& [group_id, group] = *std::min_element(engine.state().groups.begin(), engine.state().groups.end(),
                                                    [](const auto& a, const auto& b) { return a.first < b.first; });
  CHECK(why == fmt::format("group {} is of kindergarten {}, which is not stored", group_id.value, group.kindergarten.value));
  CHECK(reloaded.state().applications.size() == 1);
  CHECK(reloaded.state().groups.empty());
}

TEST_CASE("state store: an entry that does not decode is refused, leaving an empty state") {
  Engine engine;
  CHECK_FALSE(engine.Restore([](State* state) {
    return state_codec::LoadEntry(state_codec::Family::kApplications, std::string(8, '\1'), "short", state);
  }));
  CHECK(engine.state().applications.size() == 1);
  CHECK_FALSE(engine.Restore([](State* state) {
    return state_codec::LoadEntry(state_codec::Family::kMeta, "format", std::string("\x09\0\0\0", 4), state);
  }));
}

TEST_CASE("state store: an enumerator past its enumeration's last value does not decode") {
  const std::string day_key("\x80\x00\x4e\x20", 4);  // a date; the value is its DayKind, one byte
  State state;
  CHECK(state_codec::LoadEntry(state_codec::Family::kCalendar, day_key, std::string(1, static_cast<char>(fb::DayKind::MAX)),
                               &state));
  CHECK_FALSE(state_codec::LoadEntry(state_codec::Family::kCalendar, day_key,
                                     std::string(1, static_cast<char>(static_cast<int>(fb::DayKind::MAX) + 1)), &state));
  // A voucher: its queue (4 bytes), its state (one byte: Free, Held, InUse, Used), its holder (8).
  Engine engine;
  FoldSmallCity(&engine);
  const Store store = Snapshot(engine);
  const auto voucher = std::find_if(store.begin(), store.end(), [](const auto& entry) {
    return static_cast<state_codec::Family>(entry.first.first) == state_codec::Family::kVouchers;
  });
  REQUIRE(voucher != store.end());
  REQUIRE(voucher->second.size() == 13);
  const int stored_state = static_cast<uint8_t>(voucher->second[4]);
  for (const int byte : {stored_state, 4, 200}) {
    std::string value = voucher->second;
    value[4] = static_cast<char>(byte);
    Engine reloaded;
    const bool loaded = reloaded.Restore([&](State* s) {
      for (const auto& [key, stored] : store) {
        const auto family = static_cast<state_codec::Family>(key.first);
        if (!state_codec::LoadEntry(family, key.second, key == voucher->first ? value : stored, s)) return false;
      }
      return true;
    });
    CHECK(loaded == (byte == stored_state));
  }
}

}  // namespace kezek::test
