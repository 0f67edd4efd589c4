// A city's (or the whole country's) queue history, generated deterministically from a seed: the catalogue, the real
// calendar, a priority policy that gains a ratio mid-way, and families, PMPK specialists,
// kindergartens and the education department acting as they do on the portal. It is a closed
// loop: an engine of its own tells it which application got a voucher and when, so that answers,
// choices, contracts, silences and late answers follow the decisions. Same options, same actions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace kezek::replay {

struct SimulationOptions {
  uint64_t seed = 2025;
  uint32_t applications = 20'000;
  int first_year = 2024;    // history starts 1 January (so it crosses the 1 March 2024 change)
  int months = 24;
  std::string data_dir;     // shared/data; empty: DefaultDataDir()
  // false: one city (г. Алматы). true: every region and city of republican significance of
  // kz-regions.csv as a locality, with its UTC offset before 1 March 2024, applications and
  // kindergartens shared out by population; Astana's policy gains the 1:3 ratio mid-way.
  bool country = false;
};

struct SimulationSummary {
  uint64_t actions = 0;
  uint64_t filed = 0;
  uint64_t duplicates_sent = 0;
  uint64_t invalid_sent = 0;
  std::array<uint8_t, 32> state_sha256{};  // of the simulator's own engine after the last action
};

// Calls `emit` with each action's canonical bytes, in log order. False with *error if the
// reference data cannot be read.
[[nodiscard]] bool Simulate(const SimulationOptions& options,
                            const std::function<void(std::span<const uint8_t>)>& emit,
                            SimulationSummary* summary, std::string* error);

// A valid IIN for a birth date and sex; `serial` picks among the many (serials whose check digit
// is undefined are skipped).
std::string MakeIin(int year, unsigned month, unsigned day, bool male, unsigned serial);

// A deterministic generator (SplitMix64): the same on every platform and standard library.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, bound). REQUIRES: bound > 0.
  uint64_t Below(uint64_t bound);
  // True with probability per_mille / 1000.
  bool Chance(uint32_t per_mille) { return Below(1000) < per_mille; }

 private:
  uint64_t state_;
};

}  // namespace kezek::replay
