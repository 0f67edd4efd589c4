// A city's (or the whole country's) queue history, generated deterministically from a seed: the catalogue, the real
// calendar, a priority policy that gains a ratio mid-way, and families, PMPK specialists,
// kindergartens and the education department acting as they do on the portal. It is a closed
// loop: an engine of its own tells it which application got a voucher and when, so that answers,
// choices, contracts, silences and late answers follow the decisions. Same options, same actions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "workload/reference_data.h"
#include <span>
#include <string>

namespace kezek::workload {

// Every share and rate of the generated workload, per mille unless the name says otherwise. The
// defaults are the project's assumptions, each with where it comes from (docs/domain.md, "The
// generated workload"): a figure from shared/data or DESIGN.md, or a stated guess where no public
// statistic was found. Shares of one draw (the age groups, the correction types) need not sum to
// 1000: each is taken in proportion to their sum.
struct WorkloadRates {
  // Births (kz-preschool-figures.md: 18.15 per 1,000 people in 2024, BNS), where a region's own
  // figure is published its own (BirthsPerMillion), and their fall from 2025 on (BNS:
  // January-September 2025 down 10.5% on 2024). Take-up: the share of born children whose family
  // files (assumption: coverage of 93-96% says nearly every family queues).
  uint32_t births_per_million_people = 18'150;  // national crude birth rate, a year (2024 and before)
  uint32_t births_fall_from_2025_per_mille = 105;
  uint32_t takeup_per_mille = 950;

  // The child's age when the family files (assumption: most file in the first year, as soon as the
  // child has an IIN): [0,1), [1,2), [2,3) and [3,6) years; never before 30 days, never at school age.
  std::array<uint32_t, 4> filing_age_per_mille = {550, 250, 120, 80};

  // Language of instruction (assumption: about two thirds of preschool groups teach in Kazakh).
  uint32_t kazakh_language_per_mille = 650;
  // Priority categories: the extraordinary tier (servicemen's children...; assumption 3%) and the
  // primary tier (disabled parents, orphans, large families, special needs): about 30% in all
  // (kz-preschool-figures.md's estimate from 580 k large families and 16.4% fourth-or-later births).
  uint32_t extraordinary_category_per_mille = 30;
  uint32_t primary_category_per_mille = 270;
  // The special queue (children with a PMPK conclusion), and its correction types in the order
  // speech, hearing, vision, musculoskeletal, intellectual, autism, delayed development
  // (Astana 2024: 964 of 47,899 in the correction queue, 2.0%; the types: assumption, speech
  // disorders the most common conclusion).
  uint32_t special_queue_per_mille = 20;
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

  // A country already running on the history's first day (docs/domain.md, "The generated
  // workload"), per million people, scaled to the history's size: a waiting queue of the published
  // size (about 300 k of all ages, NOBD 2023; Almaty, Astana and Karaganda region their own
  // published figures, RegionalQueueAtStart), 78% of it aged 2-6 (Astana 2024); children already
  // enrolled (about 1.0 M, BNS 2023), who hold their places and are not in the history.
  uint32_t queue_at_start_per_million_people = 14'790;
  uint32_t queue_at_start_aged_2_6_per_mille = 780;
  uint32_t enrolled_at_start_per_million_people = 49'300;
  // Places: about 12,000 preschool organisations (MoE 2025) of about 87 children; each summer the
  // school leavers free about 396 k places a year (elordainfo.kz), shared out by each region's
  // filings (places_per_mille_of_filings), opened before the allocation season: from 1 July in
  // the voucher cities (Almaty, Astana, Shymkent), from 1 August elsewhere (MoE 2025).
  uint32_t kindergartens_per_million_people = 590;
  // Places freed each summer per mille of a region's yearly filings, where no queue of its own is
  // published (about 396 k places a year against about 350 k filings: 1,130; tuned to the
  // published fall of the queue, docs/domain.md).
  uint32_t places_per_mille_of_filings = 1'450;
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
  // true: the catalogue's own texts are posted as message templates (SetMessageTemplates) with
  // the reference data, as a portal would, and notifications carry their arguments; false: none
  // are posted, and the engine writes every notification's texts out.
  bool message_templates = true;
  WorkloadRates rates;
};

// What a generated history looks like beside the published figures (kz-preschool-figures.md),
// counted by the generator from its own engine; `kezek sample` prints it.
struct Calibration {
  uint64_t scale_per_million = 0;  // the history's size against the real country's, per million
  uint64_t filed = 0, priority_filed = 0, special_filed = 0;
  // Waiting applications (in a queue, or awaiting the PMPK's documents) on 1 January of each year
  // the history covers and at its end: all ages, aged 2-6, and in Almaty + Astana + Karaganda region.
  struct Snapshot {
    int32_t date = 0;  // yyyymmdd
    uint64_t waiting = 0, waiting_2_6 = 0, waiting_big_three = 0;
  };
  std::vector<Snapshot> queue;
  std::map<int, uint64_t> vouchers_by_year;       // VoucherIssued decisions
  std::array<uint64_t, 7> enrolled_by_age{};      // age in whole years when enrolled (6: 6 or more)
  uint64_t enrolled_before = 0;                   // children enrolled before the history, still there at its end
  uint64_t enrolled_in_history_2_6 = 0;           // enrolled in the history, aged 2-6 at its end
  uint64_t births_per_million = 0;                // the history's births a year per million people (2024)
};

struct SimulationSummary {
  uint64_t actions = 0;
  uint64_t planned = 0;  // families planned: options.applications, or the births-sized count
  uint64_t filed = 0;    // the backlog's filings and the history's
  uint64_t backlog = 0;  // filed on the first day: the queue already waiting
  uint64_t duplicates_sent = 0;
  uint64_t invalid_sent = 0;
  std::array<uint8_t, 32> state_sha256{};  // of the simulator's own engine after the last action
  Calibration calibration;
  int32_t calendar_last_day = 0;  // yyyymmdd: the working-day calendar's last day posted
};

// Calls `emit` with each action's canonical bytes, in log order. False with *error if the
// reference data cannot be read.
[[nodiscard]] bool Simulate(const SimulationOptions& options,
                            const std::function<void(std::span<const uint8_t>)>& emit,
                            SimulationSummary* summary, std::string* error);

// The number of applications a births-sized history files: for every locality (one city or the
// country, as options.country says) and month, population x population_scale_per_mille/1000 x
// its births a year per million people (BirthsPerMillion, less
// births_fall_from_2025_per_mille from 2025) /10^6 x takeup_per_mille/1000 / 12, summed. False
// with *error if the reference data cannot be read.
[[nodiscard]] bool BirthsSizedApplications(const SimulationOptions& options, uint64_t* applications,
                                           std::string* error);

// The calibration as a table, each figure beside the published one (counts scaled up to the
// country by scale_per_million), for `kezek sample --calibration`.
std::string CalibrationTable(const Calibration& calibration);

// Births a year per million people in 2024, by region: its published figure where there is one
// (kz-preschool-figures.md: Turkistan, Mangystau, Shymkent, Astana, East and North Kazakhstan);
// the others share what the national figure (rates.births_per_million_people) leaves, so the
// country's rate is the national one.
std::vector<uint32_t> BirthsPerMillion(const std::vector<Region>& regions, const WorkloadRates& rates);

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

}  // namespace kezek::workload
