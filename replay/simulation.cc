#include "replay/simulation.h"

#include <algorithm>
#include <map>
#include <queue>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "engine/civil_time.h"
#include "engine/engine.h"
#include "engine/iin.h"
#include "engine/limits.h"
#include "engine/rules.h"
#include "events/codec.h"
#include "replay/reference_data.h"

namespace kezek::replay {

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

uint64_t BirthsSized(const SimulationOptions& options, const std::vector<Region>& regions) {
  uint64_t people = 0;
  for (const Region& r : regions) people += r.population * options.population_scale_per_mille / 1000;
  // 2.1e7 people x 19,700 x 1000 x 84 months is 3.5e16: far from overflowing 64 bits.
  const WorkloadRates& rates = options.rates;
  return people * rates.births_per_million_people * rates.takeup_per_mille * static_cast<uint64_t>(options.months) /
         (uint64_t{1'000'000} * 1000 * 12);
}

enum class Step : uint8_t { File, Pmpk, Answer, Extend, Choose, SendContract, ParentSign, KindergartenSign,
                            Withdraw, Allocate, Tick, Policy };

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
      : options_(options), emit_(emit), summary_(summary), random_(options.seed) {}

  bool Run(std::string* error) {
    const std::string dir = options_.data_dir.empty() ? DefaultDataDir() : options_.data_dir;
    std::vector<CalendarRow> rows;
    if (!LoadCalendarCsv(dir + "/kz-calendar-2020-2026.csv", &rows, error)) return false;
    std::vector<Region> regions;
    if (!LoadPlaces(options_, &regions, error)) return false;
    planned_ = options_.births_sized ? BirthsSized(options_, regions) : options_.applications;
    summary_->planned = planned_;
    uint64_t total = 0;
    for (size_t i = 0; i < regions.size(); ++i) {
      places_.push_back(Place{static_cast<uint32_t>(i + 1), regions[i]});
      total += regions[i].population;
      cumulative_population_.push_back(total);
    }
    start_ = int64_t{civil::FromYmd({options_.first_year, 1, 1}).value} * kMsPerDay;
    const int total_months = options_.first_year * 12 + options_.months;
    end_ = int64_t{civil::FromYmd({total_months / 12, static_cast<unsigned>(total_months % 12) + 1, 1}).value} * kMsPerDay;
    for (auto& action : CalendarActions(rows, start_, "ministry-")) Send(std::move(action));
    SetUpCatalogue();
    PlanFamilies();
    for (int64_t day = start_ + 19 * kHourMs + 60'000; day < end_; day += kMsPerDay) Schedule(day, Step::Tick, 0);
    for (int64_t month = start_; month < end_;) {
      const civil::Ymd ymd = civil::ToYmd(LocalDate{static_cast<int32_t>(month / kMsPerDay)});
      Schedule(month + 5 * kMsPerDay + 5 * kHourMs, Step::Allocate, 0);
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
    summary_->state_sha256 = engine_.StateHash();
    return true;
  }

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
    const InstantMs now = engine_.state().now;
    if (action.body.type != fb::ActionBody::ClockTick &&
        (now.value == 0 || action.instant_ms - now.value > limits::kActionSkewAheadMs)) {
      // The server's ticker runs on the real clock: engine time is there before the action.
      SendBody(fb::Role::System, fb::ClockTickT{}, action.instant_ms);
    }
    const std::vector<uint8_t> bytes = events::Codec::Pack(action);
    emit_(bytes);
    ++summary_->actions;
    const ApplyResult result = engine_.Apply(bytes, summary_->actions - 1);
    for (const std::span<const uint8_t> record : result.records) React(fb::GetJournalRecord(record.data()), action.instant_ms);
    if (action.body.type != fb::ActionBody::ClockTick && random_.Chance(rates_.portal_retry_per_mille)) {  // a portal retry
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
    const uint64_t total = cumulative_population_.back();
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
      const uint64_t share = planned_ * r.population / total;
      const uint64_t by_applications = share / std::max<uint32_t>(1, rates_.applications_per_kindergarten);
      const uint64_t by_population = r.population / std::max<uint32_t>(1, rates_.people_per_kindergarten);
      const uint32_t kindergartens = std::max<uint32_t>(4, static_cast<uint32_t>(std::min(by_applications, by_population)));
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
            group.capacity = static_cast<uint32_t>(15 + random_.Below(16));
            groups_of_[place.locality].push_back(GroupId{group.group});
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
        group.min_age_years = 2; group.max_age_years = 6; group.capacity = 12;
        group.correction_type = kCorrections[n < std::size(kCorrections) ? n : Weighted(rates_.correction_per_mille)];
        special_groups_[place.locality].emplace_back(group.kindergarten, group.correction_type);
        groups_of_[place.locality].push_back(GroupId{group.group});
        SendBody(fb::Role::EducationDepartment, group, at);
      }
    }
    // The country's default policy; a one-city history keeps its own.
    SetPolicy(at, options_.country ? 0 : places_.front().locality, false);
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

  void PlanFamilies() {
    // Filings stop a little before the end (90 days, or a quarter of a short history) so that the
    // last families still meet the lifecycle.
    const int32_t first_day = static_cast<int32_t>(start_ / kMsPerDay) + 1;
    const int32_t end_day = static_cast<int32_t>(end_ / kMsPerDay);
    const int32_t last_day = end_day - std::min<int32_t>(90, (end_day - first_day) / 4);
    families_.reserve(planned_);
    for (uint64_t i = 0; i < planned_; ++i) {
      Family family;
      const auto [birth, filed_day] = DrawBirthAndFiling(first_day, last_day);
      // 08:00-20:00 local time.
      const int64_t filed = int64_t{filed_day} * kMsPerDay + static_cast<int64_t>(3 + random_.Below(12)) * kHourMs +
                            static_cast<int64_t>(random_.Below(kHourMs));
      const civil::Ymd b = civil::ToYmd(birth);
      family.child_iin = MakeIin(b.year, b.month, b.day, random_.Chance(510), static_cast<unsigned>(random_.Below(9000)));
      const int parent_year = std::min(b.year - 18, 1980 + static_cast<int>(random_.Below(22)));
      family.parent_iin = MakeIin(parent_year, 1 + static_cast<unsigned>(random_.Below(12)),
                                  1 + static_cast<unsigned>(random_.Below(28)), random_.Chance(300),
                                  static_cast<unsigned>(random_.Below(9000)));
      const uint64_t pick = random_.Below(cumulative_population_.back());
      family.locality = places_[static_cast<size_t>(std::upper_bound(cumulative_population_.begin(),
                                                                     cumulative_population_.end(), pick) -
                                                    cumulative_population_.begin())].locality;
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
      families_.push_back(std::move(family));
      Schedule(filed, Step::File, i);
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
      case Step::Allocate: Allocate(e.at); break;
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
    SendBody(fb::Role::Portal, std::move(file), e.at, family.parent_iin);
  }

  void Pmpk(const Event& e) {
    if (random_.Chance(rates_.documents_confirmed_per_mille)) {
      SendBody(fb::Role::PmpkSpecialist, fb::ConfirmDocumentsT{{}, e.subject}, e.at);
    } else {
      SendBody(fb::Role::PmpkSpecialist, fb::RejectDocumentsT{{}, e.subject, "заключение ПМПК не читается"}, e.at);
    }
  }

  void Allocate(int64_t at) {
    const State& s = engine_.state();
    const civil::Ymd today = civil::ToYmd(LocalDate{static_cast<int32_t>(at / kMsPerDay)});
    const uint64_t share = rates_.allocation_per_mille_by_month[today.month - 1];
    const uint64_t jitter = std::min<uint64_t>(rates_.allocation_jitter_per_mille, 1000);
    if (share == 0) return;
    std::vector<fb::AllocateVouchersT> allocations;
    for (const Queue& queue : s.queues) {
      if (queue.size() == 0) continue;
      fb::AllocateVouchersT a;
      a.locality = queue.key().locality.value;
      a.queue_type = queue.key().type;
      a.birth_year = queue.key().birth_year;
      a.language = queue.key().language;
      a.correction_type = queue.key().correction;
      a.count = static_cast<uint32_t>(1 + queue.size() * share * (1000 - jitter + random_.Below(2 * jitter + 1)) /
                                              1'000'000);
      // Places go to age groups whose youngest is at least 1 on 1 September of this school year.
      const int school_year = today.month >= 9 ? today.year : today.year - 1;
      if (school_year < a.birth_year + 2) continue;
      allocations.push_back(a);
    }
    for (auto& a : allocations) SendBody(fb::Role::EducationDepartment, a, at);
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
        case fb::DecisionBody::NONE:
        case fb::DecisionBody::EnteredQueue:
        case fb::DecisionBody::DocumentsRejected:
        case fb::DecisionBody::ExtensionGranted:
        case fb::DecisionBody::Enrolled:
        case fb::DecisionBody::VoucherAnnulled:
        case fb::DecisionBody::VouchersAllocated:
        case fb::DecisionBody::StopListed:
        case fb::DecisionBody::ReturnedToQueue:
        case fb::DecisionBody::Archived:
        case fb::DecisionBody::Notification:
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
  uint64_t next_key_ = 1;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::vector<Family> families_;
  std::vector<Place> places_;
  std::vector<uint64_t> cumulative_population_;
  std::map<uint32_t, std::vector<std::pair<uint32_t, fb::CorrectionType>>> special_groups_;  // by locality
  std::map<uint32_t, std::vector<GroupId>> groups_of_;                                        // by locality
  std::map<uint64_t, std::string> parent_of_;
  std::string pending_parent_;
  bool pending_withdraw_ = false;
};

}  // namespace

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

}  // namespace kezek::replay
