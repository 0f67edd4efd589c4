#include "workload/simulation.h"

#include <algorithm>
#include <map>
#include <set>
#include <queue>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "engine/civil_time.h"
#include "engine/engine.h"
#include "engine/iin.h"
#include "engine/limits.h"
#include "engine/messages.h"
#include "engine/rules.h"
#include "events/codec.h"
#include "workload/reference_data.h"

namespace kezek::workload {

uint64_t Random::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Random::Below(uint64_t bound) { return Next() % bound; }  // bias < 2^-40 for our bounds

std::string MakeIin(int year, unsigned month, unsigned day, bool male, unsigned serial) {
  const int century = year < 1900 ? 1 : year < 2000 ? 3 : 5;
  for (unsigned s = serial;; ++s) {
    const std::string first11 =
        fmt::format("{:02}{:02}{:02}{}{:04}", year % 100, month, day, century + (male ? 0 : 1), s % 10000);
    for (int check = 0; check <= 9; ++check) {
      std::string iin = first11 + static_cast<char>('0' + check);
      if (std::holds_alternative<IinInfo>(ParseIin(iin))) return iin;
    }
  }
}

namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr const char* kSurnames[] = {"Ахметов", "Серикбаев", "Нурланов", "Иванов", "Касымов", "Жумабаев",
                                     "Омаров", "Петров", "Абенов", "Сагинтаев", "Ким", "Токаев"};
constexpr const char* kNames[] = {"Алихан", "Айлин", "Нурислам", "Амина", "Данияр", "Мадина",
                                  "Арсен", "София", "Ерасыл", "Томирис", "Айару", "Марк"};
constexpr fb::CorrectionType kCorrections[] = {fb::CorrectionType::Speech, fb::CorrectionType::Hearing,
                                               fb::CorrectionType::Vision, fb::CorrectionType::Musculoskeletal,
                                               fb::CorrectionType::Intellectual, fb::CorrectionType::Autism,
                                               fb::CorrectionType::DelayedDevelopment};
constexpr const char* kPrimary[] = {"disabled_parents", "orphans", "large_families", "special_needs"};
constexpr const char* kExtraordinary[] = {"servicemen_children", "special_state_bodies_children"};

// Published figures by region (shared/data/kz-preschool-figures.md), by kz-regions.csv code.
struct RegionalFigure {
  std::string_view code;
  uint32_t value;
};
// Births a year per million people, 2024 (BNS; Data Hub via esquire.kz).
constexpr RegionalFigure kRegionalBirths[] = {{"TUR", 24'900}, {"MAN", 24'300}, {"SHY", 23'600},
                                              {"AST", 19'400}, {"VOS", 11'700}, {"SEV", 9'700}};
// The waiting queue, all ages (NOBD 2023; Astana: akimat 2024): the country's rest is shared out
// by births.
constexpr RegionalFigure kRegionalQueue[] = {{"ALA", 49'131}, {"AST", 47'899}, {"KAR", 27'157}};
// Places freed each summer per mille of the region's yearly filings where the queue stays (Almaty,
// coverage 83% of ages 3-6, 05.2025; Astana, the second queue; Karaganda region, 89%, 08.2025):
// about what their own filings need, so their queues shrink slowly; elsewhere
// WorkloadRates::places_per_mille_of_filings (13 regions fully covered, Kazinform 2024). Tuned to
// the published trend (docs/domain.md).
constexpr RegionalFigure kRegionalPlaces[] = {{"ALA", 900}, {"AST", 900}, {"KAR", 1000}};
// Where vouchers are allocated from 1 July (elsewhere from 1 August), MoE via tengrinews.kz 2025.
constexpr std::string_view kVoucherCities[] = {"ALA", "AST", "SHY"};
// The three whose share of the national queue is published (about 40%, NOBD 2023).
constexpr std::string_view kBigThree[] = {"ALA", "AST", "KAR"};

uint32_t Figure(std::span<const RegionalFigure> figures, std::string_view code, uint32_t otherwise) {
  for (const RegionalFigure& f : figures) {
    if (f.code == code) return f.value;
  }
  return otherwise;
}

bool Among(std::span<const std::string_view> codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// Births of `year` per mille of 2024's (the fall from 2025 on).
uint64_t YearFactor(const WorkloadRates& rates, int year) {
  return year >= 2025 ? 1000 - std::min<uint32_t>(rates.births_fall_from_2025_per_mille, 1000) : 1000;
}

// Filing ages, in days since birth, of the age groups of WorkloadRates::filing_age_per_mille:
// [0,1), [1,2), [2,3) and [3,6) years. Nobody files before the child is 30 days old (the IIN and
// the birth certificate come first); a child of school age is never filed (the engine refuses).
constexpr std::array<std::pair<int32_t, int32_t>, 4> kFilingAgeDays = {{{30, 365}, {365, 730}, {730, 1096}, {1096, 2192}}};

// The places a history covers: г. Алматы alone, or every region and city of kz-regions.csv.
bool LoadPlaces(const SimulationOptions& options, std::vector<Region>* regions, std::string* error) {
  const std::string dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  if (options.country) return LoadRegionsCsv(dir + "/kz-regions.csv", regions, error);
  regions->push_back(Region{"ALA", "Алматы қаласы", "г. Алматы", 2292333, 360});
  return true;
}

// Births in region `r` over the history's months, times 12 x 10^9 (people x per-million rate x
// per-mille year factor, month by month): 2.3e6 x 25,000 x 1000 x 84 months x 20 regions is 9.7e16,
// far from overflowing 64 bits.
uint64_t BirthUnits(const SimulationOptions& options, const Region& r, uint64_t rate, uint32_t population_scale_per_mille) {
  const uint64_t people = r.population * population_scale_per_mille / 1000;
  uint64_t units = 0;
  for (int m = 0; m < options.months; ++m) units += people * rate * YearFactor(options.rates, options.first_year + m / 12);
  return units;
}

uint64_t BirthsSized(const SimulationOptions& options, const std::vector<Region>& regions,
                     uint32_t population_scale_per_mille) {
  uint64_t units = 0;
  const std::vector<uint32_t> rates = BirthsPerMillion(regions, options.rates);
  for (size_t i = 0; i < regions.size(); ++i) units += BirthUnits(options, regions[i], rates[i], population_scale_per_mille);
  const uint64_t births = units / (uint64_t{12} * 1'000'000 * 1000);
  return births * options.rates.takeup_per_mille / 1000;
}
uint64_t BirthsSized(const SimulationOptions& options, const std::vector<Region>& regions) {
  return BirthsSized(options, regions, options.population_scale_per_mille);
}

enum class Step : uint8_t { File, Pmpk, Answer, Extend, Choose, SendContract, ParentSign, KindergartenSign,
                            Withdraw, Allocate, Tick, Policy, OpenPlaces, Snapshot };

struct Event {
  int64_t at = 0;
  uint64_t order = 0;  // ties: scheduling order
  Step step = Step::Tick;
  uint64_t subject = 0;  // filing index, or application id
  auto operator<=>(const Event& other) const { return std::tie(at, order) <=> std::tie(other.at, other.order); }
  bool operator==(const Event& other) const { return at == other.at && order == other.order; }
};

struct Place {
  uint32_t locality = 0;
  Region region;
  uint64_t births_weight = 0;   // people x births a year per million (who files where)
  uint64_t intake = 0;          // places school leavers free each summer, scaled
  uint64_t enrolled_before = 0; // children enrolled before the history and still there, scaled
  bool voucher_city = false;    // allocation from 1 July, else from 1 August
};

struct Family {
  std::string parent_iin;
  std::string child_iin;
  std::string child_name;
  fb::Language language = fb::Language::Kk;
  fb::QueueType queue_type = fb::QueueType::General;
  fb::CorrectionType correction = fb::CorrectionType::None;
  uint32_t kindergarten = 0;
  uint32_t locality = 0;
  std::string category;
  bool will_withdraw = false;
};

class Simulator {
 public:
  Simulator(const SimulationOptions& options, const std::function<void(std::span<const uint8_t>)>& emit,
            SimulationSummary* summary)
      : options_(options), emit_(emit), summary_(summary), random_(options.seed) {
    engine_.TrackChanges(false);  // the generator's engine stores nothing
  }

  bool Run(std::string* error) {
    const std::string dir = options_.data_dir.empty() ? DefaultDataDir() : options_.data_dir;
    std::vector<CalendarRow> rows;
    if (!LoadCalendarCsv(dir + "/kz-calendar-2020-2026.csv", &rows, error)) return false;
    for (const CalendarRow& row : rows) summary_->calendar_last_day = std::max(summary_->calendar_last_day, row.date);
    std::vector<Region> regions;
    if (!LoadPlaces(options_, &regions, error)) return false;
    planned_ = options_.births_sized ? BirthsSized(options_, regions) : options_.applications;
    summary_->planned = planned_;
    // The history against the real country (or city): every published quantity is scaled by it.
    country_filings_ = std::max<uint64_t>(1, BirthsSized(options_, regions, 1000));
    summary_->calibration.scale_per_million = planned_ * 1'000'000 / country_filings_;
    uint64_t total = 0, people = 0, published_queue = 0;
    const std::vector<uint32_t> birth_rates = BirthsPerMillion(regions, rates_);
    for (size_t i = 0; i < regions.size(); ++i) {
      Place place{static_cast<uint32_t>(i + 1), regions[i]};
      place.births_weight = regions[i].population * birth_rates[i];
      place.voucher_city = Among(kVoucherCities, regions[i].code);
      total += place.births_weight;
      people += regions[i].population;
      if (Figure(kRegionalQueue, regions[i].code, 0) != 0) published_queue += Figure(kRegionalQueue, regions[i].code, 0);
      cumulative_births_.push_back(total);
      places_.push_back(std::move(place));
    }
    summary_->calibration.births_per_million = total / std::max<uint64_t>(1, people);
    // The queue on the first day: published where it is, the rest shared out by births; the yearly
    // intake shared out by births and coverage; children enrolled before it, by population.
    const uint64_t country_queue = people * rates_.queue_at_start_per_million_people / 1'000'000;
    const uint64_t rest_queue = country_queue > published_queue ? country_queue - published_queue : 0;
    uint64_t rest_weight = 0;
    for (const Place& place : places_) {
      if (Figure(kRegionalQueue, place.region.code, 0) == 0) rest_weight += place.births_weight;
    }
    for (Place& place : places_) {
      const uint32_t published = Figure(kRegionalQueue, place.region.code, 0);
      const uint64_t queue = published != 0 ? published : rest_queue * place.births_weight / std::max<uint64_t>(1, rest_weight);
      queue_at_start_.push_back(Scaled(queue));
      const uint64_t filings_a_year = place.births_weight / 1'000'000 * rates_.takeup_per_mille / 1000;
      place.intake = Scaled(filings_a_year * Figure(kRegionalPlaces, place.region.code, rates_.places_per_mille_of_filings) / 1000);
      place.enrolled_before = Scaled(place.region.population * rates_.enrolled_at_start_per_million_people / 1'000'000);
    }
    start_ = int64_t{civil::FromYmd({options_.first_year, 1, 1}).value} * kMsPerDay;
    const int total_months = options_.first_year * 12 + options_.months;
    end_ = int64_t{civil::FromYmd({total_months / 12, static_cast<unsigned>(total_months % 12) + 1, 1}).value} * kMsPerDay;
    for (auto& action : CalendarActions(rows, start_, "ministry-")) Send(std::move(action));
    SetUpCatalogue();
    PlanBacklog();
    PlanFamilies();
    for (int64_t day = start_ + 19 * kHourMs + 60'000; day < end_; day += kMsPerDay) Schedule(day, Step::Tick, 0);
    for (int64_t month = start_; month < end_;) {
      const civil::Ymd ymd = civil::ToYmd(LocalDate{static_cast<int32_t>(month / kMsPerDay)});
      // Places freed in the summer open a week before the season; the season opens with an
      // allocation on its first day; on the 5th of every month what is free again is allocated.
      if (ymd.month == 6 || ymd.month == 7) Schedule(month + 24 * kMsPerDay + 4 * kHourMs, Step::OpenPlaces, ymd.month == 6 ? 1 : 0);
      if (ymd.month == 7 || ymd.month == 8) Schedule(month + 4 * kHourMs, Step::Allocate, ymd.month == 7 ? 1 : 0);
      Schedule(month + 4 * kMsPerDay + 5 * kHourMs, Step::Allocate, 2);
      if (month > start_ && ymd.month == 1) Schedule(month, Step::Snapshot, 0);
      const civil::Ymd next{ymd.month == 12 ? ymd.year + 1 : ymd.year, ymd.month % 12 + 1, 1};
      month = int64_t{civil::FromYmd(next).value} * kMsPerDay;
    }
    Schedule(start_ + 366 * kMsPerDay + 4 * kHourMs, Step::Policy, 0);  // a ratio policy arrives
    while (!events_.empty()) {
      const Event event = events_.top();
      events_.pop();
      if (event.at >= end_) break;
      Handle(event);
    }
    Snapshot(end_, true);
    summary_->state_sha256 = engine_.StateHash();
    return true;
  }

  // A published count scaled to the history's size.
  uint64_t Scaled(uint64_t count) const { return count * planned_ / country_filings_; }

 private:
  void Schedule(int64_t at, Step step, uint64_t subject) { events_.push(Event{at, next_order_++, step, subject}); }

  fb::ActionT Make(fb::Role role, std::string iin = "") {
    fb::ActionT action;
    action.schema_version = kSchemaVersion;
    action.idempotency_key = fmt::format("sim-{}-{}", options_.seed, next_key_++);
    action.actor = std::make_unique<fb::ActorT>();
    action.actor->role = role;
    action.actor->iin = std::move(iin);
    return action;
  }

  // Applies the action to the simulator's own engine (to learn what it decided) and emits it.
  void Send(fb::ActionT action, int64_t at = 0) {
    if (at != 0) action.instant_ms = at;
    if (action.body.type == fb::ActionBody::ClockTick) {
      last_tick_ = action.instant_ms;
    } else if (last_tick_ == 0 || action.instant_ms - last_tick_ > limits::kActionSkewAheadMs) {
      // The server's ticker runs on the real clock: engine time is there before the action. A
      // tick, not the actions before it, keeps time: on Kafka each partition sees only its own
      // localities' actions, but every tick.
      SendBody(fb::Role::System, fb::ClockTickT{}, action.instant_ms);
    }
    const std::vector<uint8_t> bytes = events::Codec::Pack(action);
    emit_(bytes);
    ++summary_->actions;
    const ApplyResult result = engine_.Apply(bytes, summary_->actions - 1);
    for (const std::span<const uint8_t> record : result.records) React(fb::GetJournalRecord(record.data()), action.instant_ms);
    // A portal retry. Not of the templates: a history then differs from its twin without them
    // (--inline-texts) by that one action alone, which a test holds.
    if (action.body.type != fb::ActionBody::ClockTick && action.body.type != fb::ActionBody::SetMessageTemplates &&
        random_.Chance(rates_.portal_retry_per_mille)) {
      emit_(bytes);
      ++summary_->actions;
      ++summary_->duplicates_sent;
      engine_.Apply(bytes, summary_->actions - 1);
    }
  }

  template <typename Body>
  void SendBody(fb::Role role, Body body, int64_t at, std::string iin = "", uint32_t kindergarten = 0) {
    fb::ActionT action = Make(role, std::move(iin));
    action.actor->kindergarten = kindergarten;
    if (role == fb::Role::PmpkSpecialist) action.actor->name = "Сейткали Айгерим Болатовна";
    action.body.Set(std::move(body));
    Send(std::move(action), at);
  }

  void SetUpCatalogue() {
    const int64_t at = start_;
    uint32_t kindergarten = 1;
    uint32_t group_id = 1;
    for (const Place& place : places_) {
      const Region& r = place.region;
      SendBody(fb::Role::EducationDepartment, fb::UpsertLocalityT{{}, place.locality, r.name_ru, r.name_kk, r.code}, at);
      fb::SetUtcOffsetT before;
      before.locality = place.locality; before.effective_from_ms = 946'684'800'000;
      before.offset_minutes = r.offset_before_2024_03_01_minutes;
      SendBody(fb::Role::EducationDepartment, before, at);
      fb::SetUtcOffsetT after;
      after.locality = place.locality; after.effective_from_ms = kSingleZoneFromMs; after.offset_minutes = 300;
      SendBody(fb::Role::EducationDepartment, after, at);
      // The country's organisations, scaled; what is free on the first day: a place or two a
      // group (the children enrolled before the history hold the rest, and are not in it).
      const uint32_t kindergartens =
          std::max<uint32_t>(4, static_cast<uint32_t>(Scaled(r.population * rates_.kindergartens_per_million_people / 1'000'000)));
      const uint32_t first_kindergarten = kindergarten;
      for (uint32_t n = 1; n <= kindergartens; ++n, ++kindergarten) {
        const uint32_t k = kindergarten;
        SendBody(fb::Role::EducationDepartment,
                 fb::UpsertKindergartenT{{}, k, place.locality, fmt::format("Ясли-сад №{}", n), fmt::format("№{} балабақша", n)}, at);
        for (uint8_t age = 1; age <= 5; ++age) {
          for (const fb::Language language : {fb::Language::Kk, fb::Language::Ru}) {
            if (language == fb::Language::Ru && random_.Chance(400)) continue;
            fb::UpsertGroupT group;
            group.group = group_id++; group.kindergarten = k; group.language = language;
            group.min_age_years = age; group.max_age_years = static_cast<uint8_t>(age + 1);
            group.capacity = static_cast<uint32_t>(random_.Below(2));
            groups_of_[place.locality].push_back(GroupId{group.group});
            specs_[group.group] = group;
            SendBody(fb::Role::EducationDepartment, group, at);
          }
        }
      }
      // Special groups: one in every eighth kindergarten, and at least one of every correction type
      // in each locality, so that every family of the special queue finds a kindergarten to name;
      // beyond the first of each type, types as common as the families' conclusions.
      const uint32_t specials = std::max<uint32_t>(std::size(kCorrections), kindergartens / 8);
      for (uint32_t n = 0; n < specials; ++n) {
        fb::UpsertGroupT group;
        group.group = group_id++; group.kindergarten = first_kindergarten + (n * 8) % kindergartens;
        group.language = fb::Language::Kk;
        group.min_age_years = 2; group.max_age_years = 6; group.capacity = 1;
        group.correction_type = kCorrections[n < std::size(kCorrections) ? n : Weighted(rates_.correction_per_mille)];
        special_groups_[place.locality].emplace_back(group.kindergarten, group.correction_type);
        groups_of_[place.locality].push_back(GroupId{group.group});
        specs_[group.group] = group;
        SendBody(fb::Role::EducationDepartment, group, at);
      }
    }
    // The country's default policy; a one-city history keeps its own.
    SetPolicy(at, options_.country ? 0 : places_.front().locality, false);
    if (options_.message_templates) SendBody(fb::Role::EducationDepartment, messages::BuiltInTemplates(), at);
  }

  void SetPolicy(int64_t at, uint32_t locality, bool with_ratio) {
    fb::SetPriorityPolicyT policy;
    auto tier = [](std::string code, std::vector<std::string> categories, bool general) {
      auto t = std::make_unique<fb::PriorityTierT>();
      t->code = std::move(code); t->categories = std::move(categories); t->general_line = general;
      return t;
    };
    policy.tiers.push_back(tier("extraordinary", {std::begin(kExtraordinary), std::end(kExtraordinary)}, false));
    policy.tiers.push_back(tier("primary", {std::begin(kPrimary), std::end(kPrimary)}, false));
    policy.tiers.push_back(tier("general", {"general"}, true));
    if (with_ratio) { policy.ratio_priority = 1; policy.ratio_general = 3; }
    policy.locality = locality;
    SendBody(fb::Role::EducationDepartment, std::move(policy), at);
  }

  // An index in [0, weights.size()) drawn in proportion to the weights (0 if they are all 0).
  size_t Weighted(std::span<const uint32_t> weights) {
    uint64_t total = 0;
    for (const uint32_t w : weights) total += w;
    if (total == 0) return 0;
    uint64_t roll = random_.Below(total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (roll < weights[i]) return i;
      roll -= weights[i];
    }
    return weights.size() - 1;
  }

  // A child of the birth cohorts and the day the family files: births spread evenly over the six
  // years before the filing window and the window itself, the filing age drawn from the age groups.
  // A filing outside the window, or at school age, is drawn again: since every child who could
  // file in the window was born in the cohorts' range, the filings kept still follow the age groups.
  std::pair<LocalDate, int32_t> DrawBirthAndFiling(int32_t first_day, int32_t end_day) {
    const int32_t born_from = first_day - kFilingAgeDays.back().second;
    for (;;) {
      const LocalDate birth{born_from + static_cast<int32_t>(random_.Below(static_cast<uint64_t>(end_day - born_from)))};
      if (!random_.Chance(static_cast<uint32_t>(YearFactor(rates_, civil::ToYmd(birth).year)))) continue;  // fewer births from 2025
      const auto [youngest, oldest] = kFilingAgeDays[Weighted(rates_.filing_age_per_mille)];
      const int32_t filed = birth.value + youngest + static_cast<int32_t>(random_.Below(static_cast<uint64_t>(oldest - youngest)));
      if (filed < first_day || filed >= end_day) continue;
      const civil::Ymd b = civil::ToYmd(birth);
      const bool six_by_september = b.month < 9 || (b.month == 9 && b.day == 1);
      const int32_t school_day = civil::FromYmd({b.year + limits::kSchoolAgeYears + (six_by_september ? 0 : 1), 9, 1}).value;
      if (filed >= school_day) continue;
      return {birth, filed};
    }
  }

  // A family of `locality` whose child was born on `birth`: names, IINs, language, category, queue.
  Family NewFamily(uint32_t locality, LocalDate birth) {
    Family family;
    const civil::Ymd b = civil::ToYmd(birth);
    // An IIN is a person's own: a draw another child has is drawn again.
    do {
      family.child_iin = MakeIin(b.year, b.month, b.day, random_.Chance(510), static_cast<unsigned>(random_.Below(9000)));
    } while (!child_iins_.insert(family.child_iin).second);
    const int parent_year = std::min(b.year - 18, 1980 + static_cast<int>(random_.Below(22)));
    family.parent_iin = MakeIin(parent_year, 1 + static_cast<unsigned>(random_.Below(12)),
                                1 + static_cast<unsigned>(random_.Below(28)), random_.Chance(300),
                                static_cast<unsigned>(random_.Below(9000)));
    family.locality = locality;
    family.child_name = fmt::format("{} {}", kSurnames[random_.Below(std::size(kSurnames))],
                                    kNames[random_.Below(std::size(kNames))]);
    family.language = random_.Chance(rates_.kazakh_language_per_mille) ? fb::Language::Kk : fb::Language::Ru;
    const uint64_t roll = random_.Below(1000);
    family.category = roll < rates_.extraordinary_category_per_mille
                          ? kExtraordinary[random_.Below(std::size(kExtraordinary))]
                      : roll < rates_.extraordinary_category_per_mille + rates_.primary_category_per_mille
                          ? kPrimary[random_.Below(std::size(kPrimary))]
                          : "general";
    if (random_.Chance(rates_.special_queue_per_mille)) {
      // Every locality has a special group of every correction type (SetUpCatalogue).
      const fb::CorrectionType correction = kCorrections[Weighted(rates_.correction_per_mille)];
      std::vector<uint32_t> serving;
      for (const auto& [kindergarten, served] : special_groups_[family.locality]) {
        if (served == correction) serving.push_back(kindergarten);
      }
      family.queue_type = fb::QueueType::Special;
      family.correction = correction;
      family.kindergarten = serving.at(random_.Below(serving.size()));
      family.language = fb::Language::Kk;  // special groups teach in Kazakh
    }
    family.will_withdraw = random_.Chance(rates_.withdraw_per_mille);
    return family;
  }

  // The queue already waiting on the first day (WorkloadRates: the country already running), its
  // published size and age mix in each locality: filed in its first hours, oldest filing first
  // (the engine stamps them then; among themselves they keep the order they filed in).
  void PlanBacklog() {
    const int32_t first_day = static_cast<int32_t>(start_ / kMsPerDay);
    std::vector<std::pair<int32_t, Family>> backlog;  // (the day it was filed, before the history)
    for (size_t p = 0; p < places_.size(); ++p) {
      for (uint64_t n = 0; n < queue_at_start_[p]; ++n) {
        // Aged 2-6 on the first day (not yet of school age), or younger (30 days to 2 years).
        const bool older = random_.Chance(rates_.queue_at_start_aged_2_6_per_mille);
        const int32_t youngest = older ? 2 * 365 + 1 : 30;
        const int32_t oldest = older ? limits::kSchoolAgeYears * 365 - 60 : 2 * 365;
        const LocalDate birth{first_day - youngest - static_cast<int32_t>(random_.Below(static_cast<uint64_t>(oldest - youngest)))};
        const int32_t filed = birth.value + 30 + static_cast<int32_t>(random_.Below(static_cast<uint64_t>(std::max(1, first_day - birth.value - 30))));
        backlog.emplace_back(filed, NewFamily(places_[p].locality, birth));
      }
    }
    std::stable_sort(backlog.begin(), backlog.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    const int64_t span = 20 * kHourMs;
    for (size_t i = 0; i < backlog.size(); ++i) {
      families_.push_back(std::move(backlog[i].second));
      Schedule(start_ + kHourMs + static_cast<int64_t>(i) * span / static_cast<int64_t>(backlog.size()), Step::File,
               families_.size() - 1);
    }
    summary_->backlog = backlog.size();
  }

  void PlanFamilies() {
    // Filings stop a little before the end (90 days, or a quarter of a short history) so that the
    // last families still meet the lifecycle.
    const int32_t first_day = static_cast<int32_t>(start_ / kMsPerDay) + 1;
    const int32_t end_day = static_cast<int32_t>(end_ / kMsPerDay);
    const int32_t last_day = end_day - std::min<int32_t>(90, (end_day - first_day) / 4);
    families_.reserve(families_.size() + planned_);
    for (uint64_t i = 0; i < planned_; ++i) {
      const auto [birth, filed_day] = DrawBirthAndFiling(first_day, last_day);
      // 08:00-20:00 local time.
      const int64_t filed = int64_t{filed_day} * kMsPerDay + static_cast<int64_t>(3 + random_.Below(12)) * kHourMs +
                            static_cast<int64_t>(random_.Below(kHourMs));
      // Where the child is born: in proportion to each locality's births.
      const uint64_t pick = random_.Below(cumulative_births_.back());
      const uint32_t locality = places_[static_cast<size_t>(std::upper_bound(cumulative_births_.begin(),
                                                                             cumulative_births_.end(), pick) -
                                                            cumulative_births_.begin())].locality;
      families_.push_back(NewFamily(locality, birth));
      Schedule(filed, Step::File, families_.size() - 1);
    }
  }

  void Handle(const Event& e) {
    switch (e.step) {
      case Step::Tick: SendBody(fb::Role::System, fb::ClockTickT{}, e.at); break;
      case Step::Policy: {
        // Astana's practice: 1 place to the priority tiers for every 3 to the general line. Only
        // Astana has it (docs/domain.md): a history without Astana gets no ratio.
        for (const Place& place : places_) {
          if (place.region.code == "AST") SetPolicy(e.at, place.locality, true);
        }
        break;
      }
      case Step::File: File(e); break;
      case Step::Allocate: Allocate(e.at, e.subject); break;
      case Step::OpenPlaces: OpenPlaces(e.at, e.subject == 1); break;
      case Step::Snapshot: Snapshot(e.at, false); break;
      case Step::Pmpk: Pmpk(e); break;
      case Step::Answer: {
        const bool yes = random_.Chance(rates_.interest_yes_per_mille);
        SendBody(fb::Role::Portal, fb::AnswerInterestT{{}, e.subject, yes}, e.at, ParentOf(e.subject));
        break;
      }
      case Step::Extend:
        SendBody(fb::Role::Portal, fb::ExtendVoucherT{{}, e.subject}, e.at, ParentOf(e.subject));
        Schedule(e.at + 20 * kHourMs, Step::Choose, e.subject);
        break;
      case Step::Choose: Choose(e); break;
      case Step::SendContract: {
        const auto& app = engine_.state().app(ApplicationId{e.subject});
        if (app.group.value == 0) break;
        const uint32_t kindergarten = engine_.state().groups.at(app.group).kindergarten.value;
        SendBody(fb::Role::Kindergarten, fb::SendContractT{{}, e.subject, fmt::format("Д-{}", e.subject)}, e.at, "",
                 kindergarten);
        break;
      }
      case Step::ParentSign:
        SendBody(fb::Role::Portal, fb::ParentSignsT{{}, e.subject, Digest(e.subject, 1)}, e.at, ParentOf(e.subject));
        break;
      case Step::KindergartenSign: {
        const auto& app = engine_.state().app(ApplicationId{e.subject});
        if (app.group.value == 0) break;
        const uint32_t kindergarten = engine_.state().groups.at(app.group).kindergarten.value;
        SendBody(fb::Role::Kindergarten, fb::KindergartenSignsT{{}, e.subject, Digest(e.subject, 2)}, e.at, "", kindergarten);
        break;
      }
      case Step::Withdraw:
        if (engine_.state().app(ApplicationId{e.subject}).status != fb::ApplicationStatus::Archived) {
          SendBody(fb::Role::Portal, fb::WithdrawT{{}, e.subject}, e.at, ParentOf(e.subject));
        }
        break;
    }
  }

  static std::string Digest(uint64_t application, int party) {
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", application, party, application * 31 + party, 0xCAFEull);
  }

  std::string ParentOf(uint64_t application) const { return parent_of_.at(application); }

  void File(const Event& e) {
    const Family& family = families_[e.subject];
    fb::FileApplicationT file;
    file.child_iin = family.child_iin;
    if (random_.Chance(rates_.mistyped_iin_per_mille)) {  // a typo reaches the engine: a clear rejection, nothing lost
      file.child_iin[11] = static_cast<char>('0' + (file.child_iin[11] - '0' + 1) % 10);
      ++summary_->invalid_sent;
    }
    file.child_name = family.child_name;
    file.locality = family.locality;
    file.queue_type = family.queue_type;
    file.language = family.language;
    file.priority_category = family.category;
    file.correction_type = family.correction;
    if (family.queue_type == fb::QueueType::Special) {
      file.conclusion_document = fmt::format("ПМПК-{}", e.subject);
      file.kindergarten = family.kindergarten;
    }
    pending_parent_ = family.parent_iin;
    pending_withdraw_ = family.will_withdraw;
    ++summary_->filed;
    Calibration& c = summary_->calibration;
    ++c.filed;
    c.priority_filed += family.category != "general";
    c.special_filed += family.queue_type == fb::QueueType::Special;
    SendBody(fb::Role::Portal, std::move(file), e.at, family.parent_iin);
  }

  void Pmpk(const Event& e) {
    if (random_.Chance(rates_.documents_confirmed_per_mille)) {
      SendBody(fb::Role::PmpkSpecialist, fb::ConfirmDocumentsT{{}, e.subject}, e.at);
    } else {
      SendBody(fb::Role::PmpkSpecialist, fb::RejectDocumentsT{{}, e.subject, "заключение ПМПК не читается"}, e.at);
    }
  }

  // The summer's places: what the school leavers of the children enrolled before the history free
  // (Place::intake), added to the locality's groups, a share to its special groups as large as the
  // special queue's.
  void OpenPlaces(int64_t at, bool voucher_cities) {
    for (Place& place : places_) {
      if (place.voucher_city != voucher_cities) continue;
      place.enrolled_before -= std::min(place.enrolled_before, place.intake);
      std::vector<uint32_t> general, special;
      for (const GroupId id : groups_of_[place.locality]) {
        (specs_.at(id.value).correction_type == fb::CorrectionType::None ? general : special).push_back(id.value);
      }
      const uint64_t to_special = place.intake * rates_.special_queue_per_mille / 1000;
      // Groups move up with their children: the places the leavers free are, in effect, places
      // for the young (by the youngest age a group takes: 1, 2, 3, 4, 5 years; assumption).
      static constexpr uint32_t kByAge[] = {0, 25, 35, 22, 12, 6};
      for (uint32_t age = 1; age <= 5; ++age) {
        std::vector<uint32_t> ids;
        for (const uint32_t id : general) {
          if (specs_.at(id).min_age_years == age) ids.push_back(id);
        }
        Spread(ids, (place.intake - to_special) * kByAge[age] / 100, at);
      }
      Spread(special, to_special, at);
    }
  }

  // Adds `places` to the groups `ids`, as evenly as whole places go, from a random one on.
  void Spread(const std::vector<uint32_t>& ids, uint64_t places, int64_t at) {
    if (ids.empty()) return;
    const uint64_t first = random_.Below(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      const uint64_t more = places / ids.size() + ((i + ids.size() - first) % ids.size() < places % ids.size() ? 1 : 0);
      if (more == 0) continue;
      fb::UpsertGroupT& group = specs_.at(ids[i]);
      group.capacity += static_cast<uint32_t>(more);
      SendBody(fb::Role::EducationDepartment, group, at);
    }
  }

  // Vouchers for the free places: for each locality's pool of groups (queue type, language,
  // correction), the places free and not promised to a voucher already out, given to the queues of
  // that pool oldest birth year first; a queue of 1-year-olds only once every older one of its
  // pool is served (kz-preschool-figures.md). `which`: 1 the voucher cities' season (1 July), 0 the
  // others' (1 August), 2 every locality (the 5th of each month).
  void Allocate(int64_t at, uint64_t which) {
    const State& s = engine_.state();
    const civil::Ymd today = civil::ToYmd(LocalDate{static_cast<int32_t>(at / kMsPerDay)});
    // Ages as the engine reckons them when the family chooses (rules::AgeOnFirstSeptember: on
    // 1 September of the school year under way).
    const int school_year = today.month >= 9 ? today.year : today.year - 1;
    using Pool = std::tuple<uint32_t, fb::QueueType, fb::Language, fb::CorrectionType>;
    // The free places of each group, by pool; a child of birth year Y (A = school_year - Y, or
    // A - 1 if born after 1 September) takes one in a group for A-1..A first, else in any it fits.
    std::map<Pool, std::vector<std::pair<const Group*, int64_t>>> free;
    for (const GroupId id : SortedIds(s.groups)) {
      const Group& g = s.groups.at(id);
      const uint32_t locality = s.kindergartens.at(g.kindergarten).locality.value;
      const fb::QueueType type = g.correction == fb::CorrectionType::None ? fb::QueueType::General : fb::QueueType::Special;
      free[{locality, type, g.language, g.correction}].emplace_back(&g, static_cast<int64_t>(g.capacity) - static_cast<int64_t>(g.taken));
    }
    const auto take = [&](const Pool& pool, int age, uint64_t wanted) {
      uint64_t got = 0;
      auto& groups = free[pool];
      for (const bool exact : {true, false}) {
        for (auto& [g, places] : groups) {
          if (got == wanted) return got;
          const bool fits = exact ? g->min_age_years + 1 == age && g->max_age_years == age
                                  : g->min_age_years <= age && age <= g->max_age_years;
          if (!fits || places <= 0) continue;
          const uint64_t n = std::min<uint64_t>(wanted - got, static_cast<uint64_t>(places));
          places -= static_cast<int64_t>(n);
          got += n;
        }
      }
      return got;
    };
    // Vouchers out and not yet used hold a place each.
    for (size_t i = 1; i < s.applications.size(); ++i) {
      const Application& a = s.applications[i];
      if (a.status == fb::ApplicationStatus::VoucherIssued || a.status == fb::ApplicationStatus::VoucherInUse) {
        (void)take({a.locality.value, a.type, a.language, a.correction}, school_year - civil::ToYmd(a.birth_date).year, 1);
      }
    }
    std::vector<const Queue*> queues;
    for (const Queue& queue : s.queues) {
      if (queue.size() == 0) continue;
      const Place& place = places_[queue.key().locality.value - 1];
      if (which != 2 && place.voucher_city != (which == 1)) continue;
      queues.push_back(&queue);
    }
    const auto pool_of = [](const Queue& q) {
      return Pool{q.key().locality.value, q.key().type, q.key().language, q.key().correction};
    };
    std::stable_sort(queues.begin(), queues.end(), [&](const Queue* x, const Queue* y) {
      return std::tuple(pool_of(*x), x->key().birth_year) < std::tuple(pool_of(*y), y->key().birth_year);
    });
    std::map<Pool, bool> older_waiting;  // an older queue of the pool keeps children waiting
    for (const Queue* queue : queues) {
      const Pool pool = pool_of(*queue);
      const int age = school_year - queue->key().birth_year;
      if (age < 1 || (age == 1 && older_waiting[pool])) continue;
      const uint64_t count = take(pool, age, queue->size());
      if (count < queue->size()) older_waiting[pool] = true;
      if (count == 0) continue;
      fb::AllocateVouchersT a;
      a.locality = queue->key().locality.value;
      a.queue_type = queue->key().type;
      a.birth_year = queue->key().birth_year;
      a.language = queue->key().language;
      a.correction_type = queue->key().correction;
      a.count = static_cast<uint32_t>(count);
      SendBody(fb::Role::EducationDepartment, a, at);
    }
  }

  // The calibration's counts of what waits on `at` (1 January, or the end).
  void Snapshot(int64_t at, bool end) {
    const State& s = engine_.state();
    const LocalDate today{static_cast<int32_t>(at / kMsPerDay)};
    const civil::Ymd t = civil::ToYmd(today);
    Calibration& c = summary_->calibration;
    Calibration::Snapshot snap;
    snap.date = t.year * 10000 + static_cast<int32_t>(t.month) * 100 + static_cast<int32_t>(t.day);
    for (size_t i = 1; i < s.applications.size(); ++i) {
      const Application& a = s.applications[i];
      const int age = AgeYears(a.birth_date, today);
      const bool waiting = a.status == fb::ApplicationStatus::InQueue || a.status == fb::ApplicationStatus::AwaitingDocuments;
      if (waiting) {
        ++snap.waiting;
        snap.waiting_2_6 += age >= 2 && age <= 6;
        snap.waiting_big_three += Among(kBigThree, places_[a.locality.value - 1].region.code);
      }
      if (end && a.status == fb::ApplicationStatus::Archived && a.archive_reason == fb::ArchiveReason::Enrolled &&
          age >= 2 && age <= 6) {
        ++c.enrolled_in_history_2_6;
      }
    }
    c.queue.push_back(snap);
    if (end) {
      c.enrolled_before = 0;
      for (const Place& place : places_) c.enrolled_before += place.enrolled_before;
    }
  }

  static int AgeYears(LocalDate birth, LocalDate on) {
    const civil::Ymd b = civil::ToYmd(birth);
    const civil::Ymd o = civil::ToYmd(on);
    return o.year - b.year - ((o.month < b.month || (o.month == b.month && o.day < b.day)) ? 1 : 0);
  }

  void Choose(const Event& e) {
    const State& s = engine_.state();
    const Application& app = s.app(ApplicationId{e.subject});
    if (app.status != fb::ApplicationStatus::VoucherInUse) return;
    const int age = rules::AgeOnFirstSeptember(app.birth_date, s.offsets.LocalDateOf(app.locality, InstantMs{e.at}));
    // Families look through the catalogue from a random kindergarten on; the first suitable group
    // with a free place wins.
    const std::vector<GroupId>& groups = groups_of_[app.locality.value];
    if (groups.empty()) return;
    const uint64_t start = random_.Below(groups.size());
    for (uint64_t looked = 0; looked < groups.size(); ++looked) {
      const GroupId id = groups[(start + looked) % groups.size()];
      const Group& g = s.groups.at(id);
      if (g.language == app.language && g.correction == app.correction && g.taken < g.capacity &&
          age >= g.min_age_years && age <= g.max_age_years) {
        SendBody(fb::Role::Portal, fb::ChooseKindergartenT{{}, e.subject, id.value}, e.at, ParentOf(e.subject));
        return;
      }
    }
  }

  void React(const fb::JournalRecord* record, int64_t at) {
    if (record->decisions() == nullptr) return;
    for (const fb::Decision* d : *record->decisions()) {
      switch (d->body_type()) {
        case fb::DecisionBody::ApplicationAccepted: {
          const uint64_t id = d->body_as_ApplicationAccepted()->application();
          parent_of_[id] = pending_parent_;
          if (pending_withdraw_) Schedule(at + static_cast<int64_t>(30 + random_.Below(300)) * kMsPerDay, Step::Withdraw, id);
          break;
        }
        case fb::DecisionBody::AwaitingDocuments:
          Schedule(at + static_cast<int64_t>(1 + random_.Below(96)) * kHourMs, Step::Pmpk,
                   d->body_as_AwaitingDocuments()->application());
          break;
        case fb::DecisionBody::VoucherIssued: {
          const uint64_t id = d->body_as_VoucherIssued()->application();
          ++summary_->calibration.vouchers_by_year[civil::ToYmd(LocalDate{static_cast<int32_t>(at / kMsPerDay)}).year];
          const uint64_t roll = random_.Below(1000);
          if (roll < rates_.answer_in_time_per_mille) {
            Schedule(at + static_cast<int64_t>(1 + random_.Below(30)) * kHourMs, Step::Answer, id);
          } else if (roll < rates_.answer_in_time_per_mille + rates_.answer_late_per_mille) {  // answers after the deadline: AnswerAfterDeadline
            Schedule(d->body_as_VoucherIssued()->deadline_ms() + 26 * kHourMs, Step::Answer, id);
          }  // else: silence, the stop-list
          break;
        }
        case fb::DecisionBody::InterestConfirmed: {
          const auto* c = d->body_as_InterestConfirmed();
          const uint64_t roll = random_.Below(1000);
          if (roll < rates_.choose_in_time_per_mille) {
            Schedule(at + static_cast<int64_t>(2 + random_.Below(70)) * kHourMs, Step::Choose, c->application());
          } else if (roll < rates_.choose_in_time_per_mille + rates_.extend_per_mille) {  // takes the extension on the 5th day, local morning
            Schedule(c->deadline_ms() - 14 * kHourMs, Step::Extend, c->application());
          }
          break;
        }
        case fb::DecisionBody::EnrollmentRequested:
          Schedule(at + static_cast<int64_t>(3 + random_.Below(40)) * kHourMs, Step::SendContract,
                   d->body_as_EnrollmentRequested()->application());
          break;
        case fb::DecisionBody::ContractSent:
          if (random_.Chance(rates_.parent_signs_per_mille)) {
            Schedule(at + static_cast<int64_t>(2 + random_.Below(60)) * kHourMs, Step::ParentSign,
                     d->body_as_ContractSent()->application());
          }
          break;
        case fb::DecisionBody::ParentSigned:
          if (random_.Chance(rates_.kindergarten_signs_per_mille)) {
            Schedule(at + static_cast<int64_t>(2 + random_.Below(40)) * kHourMs, Step::KindergartenSign,
                     d->body_as_ParentSigned()->application());
          }
          break;
        case fb::DecisionBody::EnrollmentRequestLapsed:
          Schedule(at + static_cast<int64_t>(2 + random_.Below(48)) * kHourMs, Step::Choose,
                   d->body_as_EnrollmentRequestLapsed()->application());
          break;
        case fb::DecisionBody::Enrolled: {
          const Application& a = engine_.state().app(ApplicationId{d->body_as_Enrolled()->application()});
          const int age = AgeYears(a.birth_date, LocalDate{static_cast<int32_t>(at / kMsPerDay)});
          ++summary_->calibration.enrolled_by_age[static_cast<size_t>(std::clamp(age, 0, 6))];
          break;
        }
        case fb::DecisionBody::NONE:
        case fb::DecisionBody::EnteredQueue:
        case fb::DecisionBody::DocumentsRejected:
        case fb::DecisionBody::ExtensionGranted:
        case fb::DecisionBody::VoucherAnnulled:
        case fb::DecisionBody::VouchersAllocated:
        case fb::DecisionBody::StopListed:
        case fb::DecisionBody::ReturnedToQueue:
        case fb::DecisionBody::Archived:
        case fb::DecisionBody::Notification:
        case fb::DecisionBody::MessageTemplatesSet:
        case fb::DecisionBody::PlaceFreed:
        case fb::DecisionBody::DeadlineMoved:  // the generator posts its offsets before any filing
          break;
      }
    }
  }

  const SimulationOptions& options_;
  const WorkloadRates& rates_ = options_.rates;
  uint64_t planned_ = 0;  // families to plan
  const std::function<void(std::span<const uint8_t>)>& emit_;
  SimulationSummary* summary_;
  Random random_;
  Engine engine_;
  int64_t start_ = 0;
  int64_t end_ = 0;
  uint64_t next_order_ = 0;
  int64_t last_tick_ = 0;  // the instant of the last ClockTick sent
  std::set<std::string> child_iins_;  // every child's IIN drawn so far
  uint64_t next_key_ = 1;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::vector<Family> families_;
  std::vector<Place> places_;
  std::vector<uint64_t> cumulative_births_;   // by place: the running sum of births_weight
  std::vector<uint64_t> queue_at_start_;      // by place, scaled
  uint64_t country_filings_ = 1;              // the real country's (or city's) filings over the months
  std::map<uint32_t, fb::UpsertGroupT> specs_;  // every group as last upserted
  std::map<uint32_t, std::vector<std::pair<uint32_t, fb::CorrectionType>>> special_groups_;  // by locality
  std::map<uint32_t, std::vector<GroupId>> groups_of_;                                        // by locality
  std::map<uint64_t, std::string> parent_of_;
  std::string pending_parent_;
  bool pending_withdraw_ = false;
};

}  // namespace

std::string CalibrationTable(const Calibration& c) {
  const double scale = c.scale_per_million == 0 ? 1.0 : static_cast<double>(c.scale_per_million) / 1e6;
  const auto country = [&](uint64_t n) { return fmt::format("{:.0f} k", static_cast<double>(n) / scale / 1000); };
  const auto percent = [](uint64_t part, uint64_t whole) {
    return whole == 0 ? std::string("-") : fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  };
  std::string out = fmt::format("calibration: the history is {:.3f}% of the country; counts scaled up to it\n",
                                100.0 * scale);
  const auto row = [&](std::string_view what, const std::string& generated, std::string_view published) {
    out += fmt::format("  {:<44} {:>14}   {}\n", what, generated, published);
  };
  row("quantity", "generated", "published (kz-preschool-figures.md)");
  row("births a year per 1,000 people (2024)", fmt::format("{:.2f}", static_cast<double>(c.births_per_million) / 1000),
      "18.15 (9.7 North - 24.9 Turkistan)");
  row("priority categories, share of filings", percent(c.priority_filed, c.filed), "about 30% (estimate)");
  row("special (PMPK) queue, share of filings", percent(c.special_filed, c.filed), "2.0% (Astana)");
  const Calibration::Snapshot* jan2025 = nullptr;
  const Calibration::Snapshot* jan2026 = nullptr;
  for (const auto& snap : c.queue) {
    row(fmt::format("waiting on {}: all ages / aged 2-6", snap.date), fmt::format("{} / {}", country(snap.waiting), country(snap.waiting_2_6)),
        snap.date == 20250101 ? "about 300 k (2023) / 84 k" : snap.date == 20260101 ? "- / about 42 k (halved in 2025)" : "");
    row(fmt::format("  of it in Almaty, Astana, Karaganda region"), percent(snap.waiting_big_three, snap.waiting), "about 40% (2023)");
    if (snap.date == 20250101) jan2025 = &snap;
    if (snap.date == 20260101) jan2026 = &snap;
  }
  if (jan2025 != nullptr && jan2026 != nullptr && jan2025->waiting > 0) {
    row("queue change in 2025, all ages",
        fmt::format("{:+.1f}%", 100.0 * (static_cast<double>(jan2026->waiting) - static_cast<double>(jan2025->waiting)) /
                                    static_cast<double>(jan2025->waiting)),
        "-33.3%");
  }
  for (const auto& [year, n] : c.vouchers_by_year) row(fmt::format("vouchers issued in {}", year), country(n), "about 396 k places a year");
  uint64_t enrolled = 0;
  for (const uint64_t n : c.enrolled_by_age) enrolled += n;
  row("age at enrollment: 2 / 3 / 4-5",
      fmt::format("{} / {} / {}", percent(c.enrolled_by_age[2], enrolled), percent(c.enrolled_by_age[3], enrolled),
                  percent(c.enrolled_by_age[4] + c.enrolled_by_age[5], enrolled)),
      "25% / 39% / 36% (Astana 2021)");
  if (!c.queue.empty()) {
    const uint64_t placed = c.enrolled_before + c.enrolled_in_history_2_6;
    row("coverage at the end, ages 2-6", percent(placed, placed + c.queue.back().waiting_2_6), "93.1% (2024), 95.9% (2025)");
  }
  return out;
}

std::vector<uint32_t> BirthsPerMillion(const std::vector<Region>& regions, const WorkloadRates& rates) {
  // The regions without a published figure share what the national rate leaves to them.
  uint64_t people = 0, rest_people = 0, published_births = 0;
  for (const Region& r : regions) {
    people += r.population;
    const uint32_t published = Figure(kRegionalBirths, r.code, 0);
    if (published == 0) rest_people += r.population;
    published_births += r.population * published;
  }
  const uint64_t national_births = people * rates.births_per_million_people;
  const uint64_t rest_rate = rest_people == 0 || national_births <= published_births
                                 ? rates.births_per_million_people
                                 : (national_births - published_births) / rest_people;
  std::vector<uint32_t> out;
  for (const Region& r : regions) out.push_back(Figure(kRegionalBirths, r.code, static_cast<uint32_t>(rest_rate)));
  return out;
}

bool BirthsSizedApplications(const SimulationOptions& options, uint64_t* applications, std::string* error) {
  std::vector<Region> regions;
  if (!LoadPlaces(options, &regions, error)) return false;
  *applications = BirthsSized(options, regions);
  return true;
}

bool Simulate(const SimulationOptions& options, const std::function<void(std::span<const uint8_t>)>& emit,
              SimulationSummary* summary, std::string* error) {
  Simulator simulator(options, emit, summary);
  return simulator.Run(error);
}

}  // namespace kezek::workload
