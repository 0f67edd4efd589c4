// The generated histories: deterministic from the seed, and the country mode spreads applications
// over every region of kz-regions.csv with its own offset before 1 March 2024.
#include <set>

#include "replay/simulation.h"
#include "tests/harness.h"

namespace kezek::test {

TEST_CASE("simulation: the same seed gives the same actions; another seed other ones") {
  auto run = [](uint64_t seed) {
    replay::SimulationOptions options;
    options.seed = seed;
    options.applications = 300;
    options.months = 6;
    return SimulatedLog(options);
  };
  CHECK(run(5) == run(5));
  CHECK(run(5) != run(6));
}

TEST_CASE("simulation: the country mode has every region as a locality, sized by population") {
  replay::SimulationOptions options;
  options.seed = 3;
  options.applications = 4000;
  options.months = 14;
  options.country = true;
  Engine engine;
  uint64_t offset = 0;
  replay::SimulationSummary summary;
  std::string error;
  REQUIRE(replay::Simulate(options, [&](std::span<const uint8_t> b) { (void)engine.Apply(b, offset++); }, &summary, &error));
  const State& s = engine.state();
  CHECK(s.localities.size() == 20);
  CHECK(engine.StateHash() == summary.state_sha256);
  std::map<LocalityId, uint64_t> filed;
  for (size_t i = 1; i < s.applications.size(); ++i) ++filed[s.applications[i].locality];
  CHECK(filed.size() == 20);
  const auto code_of = [&](const std::string& code) {
    for (const auto& [id, l] : s.localities) {
      if (l.region_code == code) return id;
    }
    FAIL("no locality ", code);
    return LocalityId{};
  };
  CHECK(filed[code_of("ALA")] > 3 * filed[code_of("ULY")]);  // 2.29 M people against 0.22 M
  // Western regions kept UTC+5 before 1 March 2024, Almaty UTC+6; both UTC+5 after.
  const InstantMs before{replay::kSingleZoneFromMs - 1};
  CHECK(s.offsets.OffsetAt(code_of("ZAP"), before) == 300);
  CHECK(s.offsets.OffsetAt(code_of("ALA"), before) == 360);
  CHECK(s.offsets.OffsetAt(code_of("ALA"), InstantMs{replay::kSingleZoneFromMs}) == 300);
  CHECK(s.policies.contains(LocalityId{0}));
  CHECK(s.policies.at(code_of("AST")).ratio.active());
}

}  // namespace kezek::test
