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

// Every share and rate of the generated workload, per mille unless the name says otherwise. The
// defaults are the project's assumptions, each with where it comes from (docs/domain.md, "The
// generated workload"): a figure from shared/data or DESIGN.md, or a stated guess where no public
// statistic was found. Shares of one draw (the age groups, the correction types) need not sum to
// 1000: each is taken in proportion to their sum.
struct WorkloadRates {
  // Births (DESIGN.md: ~400 k births a year for ~20.3 M people) and the share of born children
  // whose family files an application (assumption: most families queue, some never need a place).
  uint32_t births_per_million_people = 19'700;  // national crude birth rate, a year
  uint32_t takeup_per_mille = 800;

  // The child's age when the family files (assumption: most file in the first year, as soon as the
  // child has an IIN): [0,1), [1,2), [2,3) and [3,6) years; never before 30 days, never at school age.
  std::array<uint32_t, 4> filing_age_per_mille = {550, 250, 120, 80};

  // Kindergartens (ДО): one per 50 applications of a locality (at least 4), but no more than one
  // per this many people (assumption: Kazakhstan has about 11,000 preschool organisations for
  // 20.3 M people). Without the cap a large history's catalogue would outgrow the country's.
  uint32_t applications_per_kindergarten = 50;
  uint32_t people_per_kindergarten = 1'850;

  // Language of instruction (assumption: about two thirds of preschool groups teach in Kazakh).
  uint32_t kazakh_language_per_mille = 650;
  // Priority categories (assumption): the extraordinary tier (servicemen's children...) and the
  // primary tier (disabled parents, orphans, large families, special needs); the rest general.
  uint32_t extraordinary_category_per_mille = 30;
  uint32_t primary_category_per_mille = 120;
  // The special queue (children with a PMPK conclusion), and its correction types in the order
  // speech, hearing, vision, musculoskeletal, intellectual, autism, delayed development
  // (assumption: speech disorders are the most common conclusion).
  uint32_t special_queue_per_mille = 50;
  std::array<uint32_t, 7> correction_per_mille = {450, 50, 50, 80, 90, 80, 200};

  // Families and staff (assumptions).
  uint32_t withdraw_per_mille = 20;              // the family withdraws, 1-11 months after filing
  uint32_t mistyped_iin_per_mille = 3;           // a typo in the child's IIN reaches the engine
  uint32_t portal_retry_per_mille = 5;           // the portal sends an action twice
  uint32_t documents_confirmed_per_mille = 850;  // PMPK confirms; otherwise rejects
  uint32_t answer_in_time_per_mille = 800;       // a voucher answered within 2 working days
  uint32_t answer_late_per_mille = 30;           // answered after the deadline; the rest: silence
  uint32_t interest_yes_per_mille = 900;         // "Да"; otherwise declined
  uint32_t choose_in_time_per_mille = 850;       // chooses a kindergarten within 5 working days
  uint32_t extend_per_mille = 80;                // takes the extension; the rest let the voucher lapse
  uint32_t parent_signs_per_mille = 960;         // the parent signs the contract
  uint32_t kindergarten_signs_per_mille = 980;   // the kindergarten signs after the parent

  // Voucher allocations: on the 5th of each month every queue whose children are old enough gets
  // this share of its length, January..December, weighted to the school year that starts on
  // 1 September (assumption: departments hand out most places in August, before it starts), each
  // varied by up to +-allocation_jitter_per_mille of itself.
  std::array<uint32_t, 12> allocation_per_mille_by_month = {60, 60, 60, 60, 70, 70, 80, 320, 160, 60, 60, 60};
  uint32_t allocation_jitter_per_mille = 400;
};

struct SimulationOptions {
  uint64_t seed = 2025;
  uint32_t applications = 20'000;  // ignored when births_sized
  int first_year = 2024;    // history starts 1 January (so it crosses the 1 March 2024 change)
  int months = 24;
  std::string data_dir;     // shared/data; empty: DefaultDataDir()
  // false: one city (г. Алматы). true: every region and city of republican significance of
  // kz-regions.csv as a locality, with its UTC offset before 1 March 2024, applications and
  // kindergartens shared out by population; Astana's policy gains the 1:3 ratio mid-way.
  bool country = false;
  // true: the number of applications is the births of the months covered (population x
  // births_per_million_people x takeup_per_mille, summed over the localities), see
  // BirthsSizedApplications().
  bool births_sized = false;
  // Scales every locality's population (for births_sized): 1000 is the real population; 10 a
  // hundredth of it, for a quick test of the births-sized mode.
  uint32_t population_scale_per_mille = 1000;
  WorkloadRates rates;
};

struct SimulationSummary {
  uint64_t actions = 0;
  uint64_t planned = 0;  // families planned: options.applications, or the births-sized count
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

// The number of applications a births-sized history files: for every locality (one city or the
// country, as options.country says) population x population_scale_per_mille/1000 x
// births_per_million_people/10^6 x takeup_per_mille/1000 x months/12, summed. False with *error
// if the reference data cannot be read.
[[nodiscard]] bool BirthsSizedApplications(const SimulationOptions& options, uint64_t* applications,
                                           std::string* error);

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
