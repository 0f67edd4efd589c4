// The generated histories: deterministic from the seed, and the country mode spreads applications
// over every region of kz-regions.csv with its own offset before 1 March 2024; births size a
// history; the shares and rates of WorkloadRates show in what the generator sends.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <variant>

#include "engine/iin.h"

#include "workload/simulation.h"
#include "tests/harness.h"

namespace kezek::test {

TEST_CASE("simulation: the same seed gives the same actions; another seed other ones") {
  auto run = [](uint64_t seed) {
    workload::SimulationOptions options;
    options.seed = seed;
    options.applications = 300;
    options.months = 6;
    return SimulatedLog(options);
  };
  CHECK(run(5) == run(5));
  CHECK(run(5) != run(6));
}

TEST_CASE("simulation: the country mode has every region as a locality, sized by population") {
  workload::SimulationOptions options;
  options.seed = 3;
  options.applications = 4000;
  options.months = 14;
  options.country = true;
  Engine engine;
  uint64_t offset = 0;
  workload::SimulationSummary summary;
  std::string error;
  REQUIRE(workload::Simulate(options, [&](std::span<const uint8_t> b) { (void)engine.Apply(b, offset++); }, &summary, &error));
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
  const InstantMs before{workload::kSingleZoneFromMs - 1};
  CHECK(s.offsets.OffsetAt(code_of("ZAP"), before) == 300);
  CHECK(s.offsets.OffsetAt(code_of("ALA"), before) == 360);
  CHECK(s.offsets.OffsetAt(code_of("ALA"), InstantMs{workload::kSingleZoneFromMs}) == 300);
  CHECK(s.policies.contains(LocalityId{0}));
  CHECK(s.policies.at(code_of("AST")).ratio.active());
}

namespace {

// The distinct actions of a log (a portal retry sends an action's bytes twice) of one body type.
std::vector<const fb::Action*> Distinct(const std::vector<std::vector<uint8_t>>& log, fb::ActionBody type) {
  std::vector<const fb::Action*> found;
  std::set<std::string> keys;
  for (const auto& bytes : log) {
    const fb::Action* action = fb::GetAction(bytes.data());
    if (action->body_type() == type && keys.insert(action->idempotency_key()->str()).second) found.push_back(action);
  }
  return found;
}

double Share(uint64_t part, uint64_t whole) { return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole); }

// An observed share against the configured one, give or take an absolute tolerance (about three
// standard deviations of the sample).
bool Near(double observed, double configured, double tolerance) { return std::abs(observed - configured) <= tolerance; }

}  // namespace

TEST_CASE("simulation: a regions file whose population is no whole number is refused, naming the line") {
  const std::string dir = TempDir("regions");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/kz-regions.csv";
  for (const char* population : {"abc", "", "-5", "12x", "99999999999999999999999", "18446744073709551615", "100000001"}) {
    std::ofstream(path) << "code,name_kk,name_ru,population,as_of,quality,utc_offset_before_2024_03_01\n"
                        << "ALA,Алматы қаласы,г. Алматы," << population << ",2025-01-01,sourced,+06:00\n";
    std::vector<workload::Region> regions;
    std::string error;
    CHECK_FALSE(workload::LoadRegionsCsv(path, &regions, &error));  // std::stoull threw: sample aborted
    CHECK_MESSAGE(error.find(":2: the population (field 4) is a whole number") != std::string::npos, error);
  }
  for (const char* offset : {"+99:00", "+5:00x", "+-3:00", "+2147483647:00", "+06:60", "06:00", "+14:01"}) {
    std::ofstream(path) << "code,name_kk,name_ru,population,as_of,quality,utc_offset_before_2024_03_01\n"
                        << "ALA,Алматы қаласы,г. Алматы,2292333,2025-01-01,sourced," << offset << "\n";
    std::vector<workload::Region> regions;
    std::string error;
    CHECK_FALSE(workload::LoadRegionsCsv(path, &regions, &error));  // sscanf took them
    CHECK_MESSAGE(error.find(":2: expected 7 fields ending in an offset +HH:MM") != std::string::npos, error);
  }
  for (const char* offset : {"+06:00", "+14:00", "+00:00"}) {
    std::ofstream(path) << "code,name_kk,name_ru,population,as_of,quality,utc_offset_before_2024_03_01\n"
                        << "ALA,Алматы қаласы,г. Алматы,2292333,2025-01-01,sourced," << offset << "\n";
    std::vector<workload::Region> regions;
    std::string error;
    CHECK_MESSAGE(workload::LoadRegionsCsv(path, &regions, &error), error);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("simulation: births size the history: population x birth rate x take-up over the months") {
  workload::SimulationOptions options;
  options.seed = 11;
  options.country = true;
  options.births_sized = true;
  options.population_scale_per_mille = 5;  // 101,430 people: about 1,600 filings a year
  options.months = 24;
  options.applications = 1;                // ignored
  std::vector<workload::Region> regions;
  std::string error;
  REQUIRE(workload::LoadRegionsCsv(workload::DefaultDataDir() + "/kz-regions.csv", &regions, &error));
  double people = 0;
  for (const auto& r : regions) people += static_cast<double>(r.population) * 5 / 1000;
  // 18.15 births a year per 1,000 people in 2024 (the regions' own figures average to it), 10.5%
  // fewer in 2025; 95% of families file.
  const double expected = people * 18.15 / 1000 * 0.95 * (1 + 0.895);
  workload::SimulationSummary summary;
  const auto log = SimulatedLog(options, &summary);
  // The history's own filings (the queue waiting on its first day is filed before them).
  const size_t filed = Distinct(log, fb::ActionBody::FileApplication).size() - summary.backlog;
  CAPTURE(expected);
  CAPTURE(filed);
  CHECK(static_cast<double>(filed) > expected * 0.97);
  CHECK(static_cast<double>(filed) < expected * 1.03);
  CHECK(summary.planned == filed);
  uint64_t sized = 0;
  REQUIRE(workload::BirthsSizedApplications(options, &sized, &error));
  CHECK(sized == summary.planned);
  CHECK(SimulatedLog(options) == log);

  options.rates.takeup_per_mille = 475;  // half the families: half the filings
  REQUIRE(workload::BirthsSizedApplications(options, &sized, &error));
  CHECK(static_cast<double>(sized) > expected * 0.47);
  CHECK(static_cast<double>(sized) < expected * 0.53);
}

TEST_CASE("simulation: the generated shares follow the configured rates; filing ages follow the age groups") {
  workload::SimulationOptions options;
  options.seed = 21;
  options.applications = 5000;
  options.months = 24;
  // Not the defaults, so that the rates must reach what is sent; a large special queue to count.
  workload::WorkloadRates& rates = options.rates;
  rates.kazakh_language_per_mille = 700;
  rates.extraordinary_category_per_mille = 50;
  rates.primary_category_per_mille = 150;
  rates.special_queue_per_mille = 200;
  rates.documents_confirmed_per_mille = 700;
  rates.interest_yes_per_mille = 800;
  rates.filing_age_per_mille = {400, 300, 200, 100};
  workload::SimulationSummary shares_summary;
  const auto log = SimulatedLog(options, &shares_summary);

  const auto all_filings = Distinct(log, fb::ActionBody::FileApplication);
  // The queue waiting on the first day is filed first; the history's own filings follow.
  REQUIRE(all_filings.size() == 5000 + shares_summary.backlog);
  const std::vector<const fb::Action*> filings(all_filings.begin() + static_cast<std::ptrdiff_t>(shares_summary.backlog),
                                               all_filings.end());
  uint64_t general = 0, kazakh = 0, extraordinary = 0, primary = 0, special = 0, speech = 0;
  std::array<uint64_t, 4> age_groups{};
  uint64_t aged = 0;
  for (const fb::Action* action : filings) {
    const fb::FileApplication* file = action->body_as_FileApplication();
    if (file->queue_type() == fb::QueueType::Special) {
      ++special;
      speech += file->correction_type() == fb::CorrectionType::Speech;
    } else {
      ++general;
      kazakh += file->language() == fb::Language::Kk;
    }
    const std::string category = file->priority_category()->str();
    extraordinary += category == "servicemen_children" || category == "special_state_bodies_children";
    primary += category == "disabled_parents" || category == "orphans" || category == "large_families" ||
               category == "special_needs";
    const auto iin = ParseIin(file->child_iin()->str());
    if (!std::holds_alternative<IinInfo>(iin)) continue;  // the mistyped ones
    const LocalDate birth = std::get<IinInfo>(iin).birth_date;
    const int32_t filed_day = static_cast<int32_t>(action->instant_ms() / kMsPerDay);  // 08-20 local is the same UTC day
    const int32_t age_days = filed_day - birth.value;
    CHECK(age_days >= 30);
    const civil::Ymd b = civil::ToYmd(birth);
    const int school_year = b.year + 6 + (b.month < 9 || (b.month == 9 && b.day == 1) ? 0 : 1);
    CHECK(filed_day < civil::FromYmd({school_year, 9, 1}).value);
    ++age_groups[static_cast<size_t>(std::min(age_days / 365, 3))];
    ++aged;
  }
  MESSAGE("kazakh ", Share(kazakh, general), ", extraordinary ", Share(extraordinary, filings.size()), ", primary ",
          Share(primary, filings.size()), ", special ", Share(special, filings.size()), ", speech ", Share(speech, special),
          ", age groups ", Share(age_groups[0], aged), " ", Share(age_groups[1], aged), " ", Share(age_groups[2], aged), " ",
          Share(age_groups[3], aged));
  CHECK(Near(Share(kazakh, general), 0.70, 0.025));
  CHECK(Near(Share(extraordinary, filings.size()), 0.05, 0.012));
  CHECK(Near(Share(primary, filings.size()), 0.15, 0.02));
  CHECK(Near(Share(special, filings.size()), 0.20, 0.02));
  CHECK(Near(Share(speech, special), 0.45, 0.05));
  CHECK(aged > 4950);
  CHECK(Near(Share(age_groups[0], aged), 0.40, 0.025));
  CHECK(Near(Share(age_groups[1], aged), 0.30, 0.025));
  CHECK(Near(Share(age_groups[2], aged), 0.20, 0.02));
  CHECK(Near(Share(age_groups[3], aged), 0.10, 0.015));

  const size_t confirmed = Distinct(log, fb::ActionBody::ConfirmDocuments).size();
  const size_t rejected = Distinct(log, fb::ActionBody::RejectDocuments).size();
  CHECK(confirmed + rejected > 800);
  CHECK(Near(Share(confirmed, confirmed + rejected), 0.70, 0.045));
  uint64_t yes = 0;
  const auto answers = Distinct(log, fb::ActionBody::AnswerInterest);
  for (const fb::Action* action : answers) yes += action->body_as_AnswerInterest()->interested();
  CHECK(answers.size() > 1000);
  CHECK(Near(Share(yes, answers.size()), 0.80, 0.03));

  // Allocations follow the places: the summer's (the season opens on 1 July in Almaty) against
  // March's (only what declines and lapses free again).
  uint64_t march = 0, august = 0;
  for (const fb::Action* action : Distinct(log, fb::ActionBody::AllocateVouchers)) {
    const civil::Ymd day = civil::ToYmd(LocalDate{static_cast<int32_t>(action->instant_ms() / kMsPerDay)});
    if (day.year != 2025) continue;
    if (day.month == 3) march += action->body_as_AllocateVouchers()->count();
    if (day.month == 7 || day.month == 8) august += action->body_as_AllocateVouchers()->count();
  }
  CAPTURE(march);
  CAPTURE(august);
  MESSAGE("documents confirmed ", Share(confirmed, confirmed + rejected), " of ", confirmed + rejected, ", yes ",
          Share(yes, answers.size()), " of ", answers.size(), ", vouchers allocated in March 2025 ", march, ", July and August ", august);
  CHECK(august > 2 * march);

  // The engine agrees that nobody was filed at school age.
  Engine engine;
  uint64_t offset = 0, school_age = 0;
  for (const auto& bytes : log) school_age += engine.Apply(bytes, offset++).code == fb::RejectionCode::ChildOfSchoolAge;
  CHECK(school_age == 0);
}

TEST_CASE("simulation: a country history lands near Kazakhstan's published figures (issue #14)") {
  // shared/data/kz-preschool-figures.md; the tolerances are the issue's. The generator's own
  // counts (workload::Calibration) are checked against the journal's decisions here too.
  workload::SimulationOptions options;
  options.seed = 14;
  options.country = true;
  options.applications = 15'000;
  options.months = 24;
  workload::SimulationSummary summary;
  Engine engine;
  uint64_t offset = 0, vouchers = 0;
  std::string error;
  REQUIRE(workload::Simulate(options, [&](std::span<const uint8_t> bytes) {
    const ApplyResult result = engine.Apply(bytes, offset++);
    for (const auto& record : result.records) {
      const fb::JournalRecord* r = fb::GetJournalRecord(record.data());
      if (r->decisions() == nullptr) continue;
      for (const fb::Decision* d : *r->decisions()) vouchers += d->body_type() == fb::DecisionBody::VoucherIssued;
    }
  }, &summary, &error));
  const workload::Calibration& c = summary.calibration;
  MESSAGE(workload::CalibrationTable(c));
  uint64_t counted = 0;
  for (const auto& [year, n] : c.vouchers_by_year) counted += n;
  CHECK(counted == vouchers);
  CHECK(c.filed == summary.filed);
  CHECK(summary.backlog > 0);

  CHECK(Near(Share(c.priority_filed, c.filed), 0.30, 0.05));   // 25-35%
  CHECK(Near(Share(c.special_filed, c.filed), 0.0225, 0.0075));  // 1.5-3%
  CHECK(Near(static_cast<double>(c.births_per_million) / 1000, 18.15, 0.05));
  REQUIRE(c.queue.size() == 2);  // 1 January 2025, and the end: 1 January 2026
  const auto& jan2025 = c.queue[0];
  const auto& jan2026 = c.queue[1];
  CHECK(jan2025.date == 20250101);
  CHECK(jan2026.date == 20260101);
  CHECK(jan2026.waiting < jan2025.waiting * 9 / 10);                 // the queue falls in 2025
  CHECK(jan2026.waiting_2_6 < jan2025.waiting_2_6);
  CHECK(Share(jan2025.waiting_big_three, jan2025.waiting) >= 0.30);  // Almaty + Astana + Karaganda
  CHECK(Share(jan2026.waiting_big_three, jan2026.waiting) >= 0.30);
  const uint64_t placed = c.enrolled_before + c.enrolled_in_history_2_6;
  CHECK(Share(placed, placed + c.queue.back().waiting_2_6) >= 0.90);  // coverage, ages 2-6
  // Vouchers a year near the yearly intake (about 396 k places), scaled.
  const double scale = static_cast<double>(c.scale_per_million) / 1e6;
  CHECK(static_cast<double>(c.vouchers_by_year.at(2025)) / scale > 300'000);
  CHECK(static_cast<double>(c.vouchers_by_year.at(2025)) / scale < 550'000);
}

}  // namespace kezek::test
