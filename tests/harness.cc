#include "tests/harness.h"

#include "events/input.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "engine/limits.h"
#include "workload/simulation.h"

namespace kezek::test {

std::string MakeIin(int year, unsigned month, unsigned day, bool male, unsigned serial) {
  return workload::MakeIin(year, month, day, male, serial);
}

std::vector<std::vector<uint8_t>> SimulatedLog(const workload::SimulationOptions& options,
                                               workload::SimulationSummary* summary) {
  std::vector<std::vector<uint8_t>> log;
  workload::SimulationSummary ignored;
  std::string error;
  REQUIRE_MESSAGE(workload::Simulate(options, [&](std::span<const uint8_t> b) { log.emplace_back(b.begin(), b.end()); },
                                   summary != nullptr ? summary : &ignored, &error),
                  error);
  return log;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE_MESSAGE(out.good(), path);
}

namespace {
// The directories TempDir handed out, removed when the test process exits (each run's pid names
// its own, so they piled up in /tmp run after run); KEZEK_KEEP_TEST_DIRS=1 keeps them to look at.
struct TempDirs {
  std::vector<std::filesystem::path> dirs;
  ~TempDirs() {
    const char* keep = std::getenv("KEZEK_KEEP_TEST_DIRS");
    if (keep != nullptr && *keep != '\0' && std::string_view(keep) != "0") return;
    std::error_code ignored;
    for (const auto& dir : dirs) std::filesystem::remove_all(dir, ignored);
  }
};
TempDirs& Made() {
  static TempDirs made;
  return made;
}
}  // namespace

std::string TempDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("kezek-test-{}-{}", name, ::getpid());
  std::filesystem::remove_all(dir);
  Made().dirs.push_back(dir);
  return dir.string();
}

Outcome Ok(Outcome outcome) {
  REQUIRE_MESSAGE(outcome.code == fb::RejectionCode::None, outcome.reason());
  REQUIRE(outcome.outcome == fb::Outcome::Applied);
  return outcome;
}

std::string Kinds(const Outcome& outcome) {
  std::string kinds;
  for (const std::vector<uint8_t>* bytes : outcome.Records()) {
    const auto* decisions = fb::GetJournalRecord(bytes->data())->decisions();
    if (decisions == nullptr) continue;
    for (const fb::Decision* d : *decisions) {
      if (!kinds.empty()) kinds += ",";
      kinds += fb::EnumNameDecisionBody(d->body_type());
    }
  }
  return kinds;
}

std::vector<const std::vector<uint8_t>*> Outcome::Records() const {
  std::vector<const std::vector<uint8_t>*> records;
  for (const auto& tick : tick_records) records.push_back(&tick);
  records.push_back(&record);
  for (const auto& part : parts) records.push_back(&part);
  return records;
}

std::vector<std::string> Outcome::NotificationsRu() const {
  std::vector<std::string> texts;
  for (const auto* n : All<fb::Notification>()) {
    texts.push_back(templates != nullptr ? templates->TextOf(*n).ru : n->text_ru()->str());
  }
  return texts;
}

std::string Outcome::reason() const {
  const auto* r = journal()->rejection();
  return r && r->reason() ? r->reason()->str() : std::string{};
}

World::World(bool catalogue) {
  if (!catalogue) return;
  std::vector<workload::CalendarRow> rows;
  std::string error;
  REQUIRE_MESSAGE(workload::LoadCalendarCsv(workload::DefaultDataDir() + "/kz-calendar-2020-2026.csv", &rows, &error), error);
  const int64_t setup = Utc(2020, 1, 1);
  for (auto& action : workload::CalendarActions(rows, setup, "setup-")) REQUIRE(Do(std::move(action), setup).code == fb::RejectionCode::None);

  auto admin = [&](auto body) { REQUIRE(Do(Action(fb::Role::EducationDepartment, std::move(body)), setup).code == fb::RejectionCode::None); };
  admin(fb::UpsertLocalityT{{}, kLocality, "г. Алматы", "Алматы қаласы", "ALA"});
  fb::SetUtcOffsetT before;
  before.locality = kLocality; before.effective_from_ms = Utc(2000, 1, 1); before.offset_minutes = 360;
  admin(before);
  fb::SetUtcOffsetT after;
  after.locality = kLocality; after.effective_from_ms = workload::kSingleZoneFromMs; after.offset_minutes = 300;
  admin(after);
  admin(fb::UpsertKindergartenT{{}, kKindergarten, kLocality, "Ботакоз", "Бөбек"});
  auto group = [&](uint32_t id, fb::Language language, fb::CorrectionType correction, uint32_t capacity) {
    fb::UpsertGroupT g;
    g.group = id; g.kindergarten = kKindergarten; g.language = language; g.min_age_years = 2; g.max_age_years = 5;
    g.correction_type = correction; g.capacity = capacity;
    admin(g);
  };
  group(kGroupKk, fb::Language::Kk, fb::CorrectionType::None, 2);
  group(kGroupRu, fb::Language::Ru, fb::CorrectionType::None, 1);
  group(kGroupSpeech, fb::Language::Kk, fb::CorrectionType::Speech, 1);
  fb::SetPriorityPolicyT policy;
  auto tier = [](std::string code, std::vector<std::string> categories, bool general) {
    auto t = std::make_unique<fb::PriorityTierT>();
    t->code = std::move(code); t->categories = std::move(categories); t->general_line = general;
    return t;
  };
  policy.tiers.push_back(tier("extraordinary", {"servicemen_children"}, false));
  policy.tiers.push_back(tier("primary", {"disabled_parents", "orphans", "large_families", "special_needs"}, false));
  policy.tiers.push_back(tier("general", {"general"}, true));
  admin(std::move(policy));
}

Outcome World::Recorded(const ApplyResult& result) {
  Outcome outcome{result.outcome, result.code, {}, {}, {}, &templates};
  for (const std::span<const uint8_t> record : result.records) {
    journal.emplace_back(record.begin(), record.end());
    if (outcome.record.empty()) {
      outcome.record = journal.back();
    } else {
      outcome.parts.push_back(journal.back());
    }
    const fb::JournalRecord* r = fb::GetJournalRecord(journal.back().data());
    if (r->decisions() == nullptr) continue;
    for (const fb::Decision* d : *r->decisions()) {
      if (d->body_type() == fb::DecisionBody::MessageTemplatesSet) {
        templates.Post(*r->action_nested_root()->body_as_SetMessageTemplates());
      }
    }
  }
  return outcome;
}

Outcome World::Bytes(const std::vector<uint8_t>& bytes) {
  inputs.push_back(events::EncodeAction(bytes));
  return Recorded(engine.Apply(bytes, next_offset++));
}

Outcome World::Do(fb::ActionT action, int64_t instant_ms) {
  if (action.idempotency_key.empty()) action.idempotency_key = fmt::format("test-{}", next_key++);
  action.instant_ms = instant_ms;
  std::vector<std::vector<uint8_t>> ticks = TicksBefore(action.body.type, instant_ms);
  Outcome outcome = Bytes(events::Codec::Pack(action));
  outcome.tick_records = std::move(ticks);
  return outcome;
}

std::vector<std::vector<uint8_t>> World::TicksBefore(fb::ActionBody kind, int64_t instant_ms) {
  std::vector<std::vector<uint8_t>> records;
  if (!ticker || instant_ms < limits::kInstantMsMin || instant_ms > limits::kInstantMsMax) return records;
  // A tick itself may move time kTickAdvanceMaxMs; any other action needs time within the skew.
  const bool tick = kind == fb::ActionBody::ClockTick;
  for (;;) {
    const int64_t now = engine.state().now.value;
    // A tick is bounded from engine time, any other action from the clock's last tick.
    const int64_t from = tick ? now : engine.state().clock.value;
    if (now == 0 ? tick : instant_ms - from <= (tick ? limits::kTickAdvanceMaxMs : limits::kActionSkewAheadMs)) {
      return records;
    }
    fb::ActionT step = Action(fb::Role::System, fb::ClockTickT{});
    step.idempotency_key = fmt::format("ticker-{}", next_tick_key++);
    step.instant_ms = now == 0 ? instant_ms : std::min(instant_ms, now + limits::kTickAdvanceMaxMs);
    Outcome outcome = Bytes(events::Codec::Pack(step));
    REQUIRE_MESSAGE(outcome.code == fb::RejectionCode::None, outcome.reason());
    records.push_back(std::move(outcome.record));
    for (auto& part : outcome.parts) records.push_back(std::move(part));
  }
}

Outcome World::Json(const std::string& json) {
  std::vector<uint8_t> bytes;
  const events::CodecError error = codec.ParseAction(json, &bytes);
  if (error.code != fb::RejectionCode::None) {
    const std::vector<uint8_t> raw(json.begin(), json.end());
    inputs_whole = false;
    return Recorded(engine.RejectInput(raw, error.code, error.reason, next_offset++));
  }
  std::vector<std::vector<uint8_t>> ticks;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (fb::VerifyActionBuffer(verifier)) {
    const fb::Action* action = fb::GetAction(bytes.data());
    ticks = TicksBefore(action->body_type(), action->instant_ms());
  }
  Outcome outcome = Bytes(bytes);
  outcome.tick_records = std::move(ticks);
  return outcome;
}

fb::ActionT World::Action(fb::Role role, std::string iin) {
  fb::ActionT action;
  action.schema_version = kSchemaVersion;
  action.actor = std::make_unique<fb::ActorT>();
  action.actor->role = role;
  action.actor->iin = std::move(iin);
  return action;
}

uint64_t World::FileGeneral(int64_t at, int y, unsigned m, unsigned d, unsigned serial, const std::string& category,
                            fb::Language language) {
  fb::FileApplicationT file;
  file.child_iin = MakeIin(y, m, d, true, serial);
  file.child_name = fmt::format("Тест Тест {}", serial);
  file.locality = kLocality;
  file.queue_type = fb::QueueType::General;
  file.language = language;
  file.priority_category = category;
  const Outcome outcome = Do(Action(fb::Role::Portal, std::move(file), kParent), at);
  REQUIRE_MESSAGE(outcome.code == fb::RejectionCode::None, outcome.reason());
  return outcome.First<fb::ApplicationAccepted>()->application();
}

Outcome World::Allocate(int64_t at, uint16_t birth_year, uint32_t count, fb::Language language) {
  fb::AllocateVouchersT allocation;
  allocation.locality = kLocality;
  allocation.queue_type = fb::QueueType::General;
  allocation.birth_year = birth_year;
  allocation.language = language;
  allocation.count = count;
  return Do(Action(fb::Role::EducationDepartment, allocation), at);
}

Outcome World::Answer(int64_t at, uint64_t application, bool interested) {
  return Do(Action(fb::Role::Portal, fb::AnswerInterestT{{}, application, interested}, kParent), at);
}

Outcome World::Tick(int64_t at) { return Do(Action(fb::Role::System, fb::ClockTickT{}), at); }

Crowd PlayCrowd(World& world, uint32_t children) {
  int64_t at = Kz(2025, 1, 13, 9, 0);
  uint32_t filed = 0;
  for (unsigned month = 1; month <= 12 && filed < children; ++month) {
    for (unsigned day = 1; day <= 28 && filed < children; ++day) {
      for (unsigned serial = 1; serial <= 20 && filed < children; ++serial, ++filed, at += 1'000) {
        world.FileGeneral(at, 2021, month, day, 10 * serial);  // serials apart: one may be skipped
      }
    }
  }
  REQUIRE(filed == children);
  Crowd crowd;
  crowd.allocation = Ok(world.Allocate(at + kHourMs, 2021, children));
  crowd.expiry = Ok(world.Tick(at + 10 * 24 * kHourMs));
  return crowd;
}

std::vector<std::vector<uint8_t>> InputRecords(const Outcome& outcome) {
  std::vector<std::vector<uint8_t>> records = {outcome.record};
  records.insert(records.end(), outcome.parts.begin(), outcome.parts.end());
  return records;
}

}  // namespace kezek::test
