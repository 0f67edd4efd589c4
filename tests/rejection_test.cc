// Every rejection code of schemas/common.fbs, one test case each (docs/rejections.md lists them):
// the code is given where the engine says, the record's outcome is Rejected and carries the code
// and a reason, the rejection is one journal record like any other, and the state is untouched.
//
// "Untouched" is checked on a fingerprint of the whole state apart from what every record moves
// (engine time, the journal's sequence and head, the idempotency keys): the state hash cannot be
// compared, because it covers the journal head. Time may still pass before a rejected action
// (deadlines due before it expire in its record): the tests below act where no deadline is due,
// except the one that shows exactly that.
#include <flatbuffers/flatbuffers.h>
#include <fmt/format.h>

#include <map>
#include <queue>
#include <string>
#include <vector>

#include <xxhash.h>

#include "engine/bytes.h"
#include "engine/iin.h"
#include "engine/limits.h"
#include "engine/messages.h"
#include "engine/rules.h"
#include "engine/state_codec.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

const int64_t kFiledAt = Utc(2025, 2, 3, 5, 0);     // Mon 03.02.2025 10:00 local
const int64_t kIssuedAt = Utc(2025, 2, 6, 11, 46);  // Thu 06.02.2025 16:46 local, due 10.02
const std::string kDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kOtherParent = MakeIin(1988, 11, 2, true, 5);


// --- the state's fingerprint ---------------------------------------------------------------------

void Put(std::string& out, std::string_view text) {
  fmt::format_to(std::back_inserter(out), "{}|{};", text.size(), text);
}
template <typename T>
void Put(std::string& out, T value) {
  if constexpr (std::is_enum_v<T>) {
    fmt::format_to(std::back_inserter(out), "{};", static_cast<int64_t>(value));
  } else {
    fmt::format_to(std::back_inserter(out), "{};", value);
  }
}

// Every entity of the state, in a canonical order; not engine time, the journal or the keys.
// REQUIRES: called between actions (the state is consistent).
std::string Fingerprint(const State& s) {
  std::string out;
  out += "calendar:";
  for (const auto& [date, kind] : s.calendar.marked_days()) {
    Put(out, date.value);
    Put(out, kind);
  }
  out += "offsets:";
  for (const auto& [locality, timeline] : s.offsets.entries()) {
    Put(out, locality.value);
    for (const auto& [from, minutes] : timeline) {
      Put(out, from.value);
      Put(out, minutes);
    }
  }
  out += "localities:";
  for (const auto& [id, l] : s.localities) {
    Put(out, id.value);
    Put(out, std::string_view(l.name_ru));
    Put(out, std::string_view(l.name_kk));
    Put(out, std::string_view(l.region_code));
  }
  out += "kindergartens:";
  for (const KindergartenId id : SortedIds(s.kindergartens)) {
    const Kindergarten& k = s.kindergartens.at(id);
    Put(out, id.value);
    Put(out, k.locality.value);
    Put(out, std::string_view(k.name_ru));
    Put(out, std::string_view(k.name_kk));
    for (const GroupId g : k.groups) Put(out, g.value);
  }
  out += "groups:";
  for (const GroupId id : SortedIds(s.groups)) {
    const Group& g = s.groups.at(id);
    Put(out, id.value);
    Put(out, g.kindergarten.value);
    Put(out, g.language);
    Put(out, g.min_age_years);
    Put(out, g.max_age_years);
    Put(out, g.correction);
    Put(out, g.capacity);
    Put(out, g.taken);
  }
  out += "policies:";
  for (const auto& [id, p] : s.policies) {
    Put(out, id.value);
    Put(out, p.ratio.priority);
    Put(out, p.ratio.general);
    for (const auto& t : p.tiers) {
      Put(out, std::string_view(t.code));
      Put(out, t.general_line);
      for (const auto& c : t.categories) Put(out, std::string_view(c));
    }
  }
  out += "categories:";
  for (const auto& c : s.categories) Put(out, std::string_view(c));
  out += "applications:";
  for (size_t i = 1; i < s.applications.size(); ++i) {
    const Application& a = s.applications[i];
    Put(out, a.id.value);
    Put(out, a.child.value);
    Put(out, a.applicant.value);
    Put(out, std::string_view(a.child_name));
    Put(out, a.birth_date.value);
    Put(out, a.filed_at.value);
    Put(out, a.school_age_at.value);
    Put(out, a.locality.value);
    Put(out, a.queue);
    Put(out, a.category);
    Put(out, a.place.tier);
    Put(out, a.place.line);
    Put(out, a.type);
    Put(out, a.language);
    Put(out, a.correction);
    Put(out, a.chosen_kindergarten.value);
    Put(out, std::string_view(a.conclusion_document));
    Put(out, a.status);
    Put(out, a.archive_reason);
    Put(out, a.annulled_by_deadline);
    Put(out, a.extension_used);
    Put(out, a.voucher.value);
    Put(out, a.group.value);
    Put(out, std::string_view(a.contract_number));
    Put(out, std::string_view(a.parent_document_sha256));
    Put(out, std::string_view(a.kindergarten_document_sha256));
    Put(out, a.deadline);
    Put(out, a.deadline_at.value);
    Put(out, a.deadline_date.value);
    Put(out, a.deadline_generation);
  }
  out += "vouchers:";
  for (const VoucherId id : s.VoucherNumbers()) {
    Put(out, id.value);
    Put(out, s.voucher(id).queue);
    Put(out, s.voucher(id).state);
    Put(out, s.voucher(id).holder.value);
  }
  out += "numbers:";
  std::map<LocalityId, std::pair<uint32_t, uint32_t>> numbers;
  for (const auto& [locality, n] : s.numbers) numbers[locality] = {n.applications, n.vouchers};
  for (const auto& [locality, n] : numbers) {
    Put(out, locality.value);
    Put(out, n.first);
    Put(out, n.second);
  }
  out += "queues:";
  for (const Queue& q : s.queues) {
    const QueueKey& k = q.key();
    Put(out, k.locality.value);
    Put(out, k.type);
    Put(out, k.birth_year);
    Put(out, k.language);
    Put(out, k.correction);
    Put(out, q.cycle());
    Put(out, q.size());
    q.ForEach([&out](const QueueEntry& e, Line line) {
      Put(out, e.application.value);
      Put(out, e.tier);
      Put(out, e.filed_at.value);
      Put(out, line);
    });
    for (const VoucherId v : q.free_vouchers()) Put(out, v.value);
  }
  out += "children:";
  std::vector<std::pair<uint64_t, ChildEntry>> children;
  for (const auto& [iin, entry] : s.children) children.emplace_back(iin.value, entry);
  std::sort(children.begin(), children.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [iin, entry] : children) {
    Put(out, iin);
    Put(out, entry.active[0].value);
    Put(out, entry.active[1].value);
    Put(out, entry.enrolled.value);
  }
  // The live timers only: a superseded one is dropped whenever time passes it, rejection or not.
  out += "timers:";
  auto timers = s.timers;
  while (!timers.empty()) {
    const Timer t = timers.top();
    timers.pop();
    const Application& a = s.app(t.application);
    const bool leaves = t.school_age && a.archive_reason == fb::ArchiveReason::Enrolled && a.group.value != 0;
    const bool live = a.status != fb::ApplicationStatus::Archived
                          ? t.school_age || t.generation == a.deadline_generation
                          : leaves;  // an enrolled child's place, freed at school age
    if (!live) continue;
    Put(out, t.at.value);
    Put(out, t.application.value);
    Put(out, t.school_age);
    Put(out, t.generation);
  }
  return out;
}

// --- expecting a rejection -----------------------------------------------------------------------

// Applies `act` and checks that it is refused with `code`: the outcome, the record (its outcome,
// code, reason, no decisions, its place in the chain) and the state, unchanged.
template <typename Act>
Outcome Refused(World& w, fb::RejectionCode code, Act&& act) {
  const State& s = w.engine.state();
  const std::string before = Fingerprint(s);
  const uint64_t sequence = s.next_sequence;
  const auto head = s.head_sha256;
  const size_t applications = s.applications.size();
  const Outcome outcome = act();
  INFO("expected ", std::string(fb::EnumNameRejectionCode(code)), ", got ",
       std::string(fb::EnumNameRejectionCode(outcome.code)), ": ", outcome.reason());
  CHECK(outcome.code == code);
  CHECK(outcome.outcome == fb::Outcome::Rejected);
  const fb::JournalRecord* record = outcome.journal();
  CHECK(record->outcome() == fb::Outcome::Rejected);
  REQUIRE(record->rejection() != nullptr);
  CHECK(record->rejection()->code() == code);
  CHECK_FALSE(outcome.reason().empty());
  CHECK((record->decisions() == nullptr || record->decisions()->size() == 0));
  // One journal record like any other, chained to the one before (the ticker's, if it ticked:
  // World::Do; a tick moves time, never anything the fingerprint covers but due deadlines).
  const uint64_t ticks = outcome.tick_records.size();
  CHECK(record->sequence() == sequence + ticks);
  CHECK(s.next_sequence == sequence + ticks + 1);
  REQUIRE(record->prev_sha256() != nullptr);
  const Sha256 prev = ticks == 0 ? head : Sha256Hasher().Of(outcome.tick_records.back());
  CHECK(std::equal(prev.begin(), prev.end(), record->prev_sha256()->begin(), record->prev_sha256()->end()));
  // The state untouched.
  CHECK(s.applications.size() == applications);
  const bool untouched = Fingerprint(s) == before;
  CHECK_MESSAGE(untouched, "the rejected input changed the state");
  return outcome;
}

// --- building actions ----------------------------------------------------------------------------


uint64_t FiledIdOf(const Outcome& outcome) {
  const auto* accepted = outcome.First<fb::ApplicationAccepted>();
  REQUIRE(accepted != nullptr);
  return accepted->application();
}

fb::FileApplicationT General(const std::string& child_iin, const std::string& category = "general") {
  fb::FileApplicationT file;
  file.child_iin = child_iin;
  file.child_name = "Тест Тест";
  file.locality = World::kLocality;
  file.queue_type = fb::QueueType::General;
  file.language = fb::Language::Kk;
  file.priority_category = category;
  return file;
}

fb::FileApplicationT Special(const std::string& child_iin) {
  fb::FileApplicationT file = General(child_iin);
  file.queue_type = fb::QueueType::Special;
  file.correction_type = fb::CorrectionType::Speech;
  file.conclusion_document = "ПМПК-2025/0142";
  file.kindergarten = World::kKindergarten;
  return file;
}

const std::string kChild = MakeIin(2021, 5, 10, true, 1);

Outcome File(World& w, int64_t at, fb::FileApplicationT file, const std::string& parent = World::kParent) {
  return w.Do(World::Action(fb::Role::Portal, std::move(file), parent), at);
}

template <typename BodyT>
Outcome Admin(World& w, int64_t at, BodyT body) {
  return w.Do(World::Action(fb::Role::EducationDepartment, std::move(body)), at);
}

template <typename BodyT>
Outcome Parent(World& w, int64_t at, BodyT body, const std::string& parent = World::kParent) {
  return w.Do(World::Action(fb::Role::Portal, std::move(body), parent), at);
}

template <typename BodyT>
Outcome AsKindergarten(World& w, int64_t at, BodyT body, uint32_t kindergarten = World::kKindergarten) {
  fb::ActionT action = World::Action(fb::Role::Kindergarten, std::move(body));
  action.actor->kindergarten = kindergarten;
  return w.Do(std::move(action), at);
}

Outcome Pmpk(World& w, int64_t at, uint64_t app) {
  return w.Do(World::Action(fb::Role::PmpkSpecialist, fb::ConfirmDocumentsT{{}, app}), at);
}

// The bytes of an action as a producer might send them, outside the harness's canonical packing.
std::vector<uint8_t> Packed(fb::ActionT action, int64_t at) {
  action.instant_ms = at;
  return events::Codec::Pack(action);
}

// An action built field by field, for bodies the object API cannot express.
std::vector<uint8_t> RawAction(fb::Role role, fb::ActionBody body_type, bool with_body, int64_t at,
                               const std::string& key) {
  flatbuffers::FlatBufferBuilder builder;
  const auto key_offset = builder.CreateString(key);
  const auto actor = fb::CreateActor(builder, role, builder.CreateString(World::kParent));
  const flatbuffers::Offset<void> body = with_body ? fb::CreateClockTick(builder).Union() : 0;
  fb::ActionBuilder action(builder);
  action.add_schema_version(kSchemaVersion);
  action.add_idempotency_key(key_offset);
  action.add_instant_ms(at);
  action.add_actor(actor);
  action.add_body_type(body_type);
  if (with_body) action.add_body(body);
  fb::FinishActionBuffer(builder, action.Finish());
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

// A child in the 2021 kk queue with a voucher issued Thu 06.02.2025 (due Mon 10.02).
uint64_t WithVoucher(World& w) {
  const uint64_t app = w.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  Ok(w.Allocate(kIssuedAt, 2021, 1));
  REQUIRE(w.engine.state().app(ApplicationId{app}).status == fb::ApplicationStatus::VoucherIssued);
  return app;
}

// ... with the voucher in use: «Да» on Fri 07.02, due Fri 14.02.
uint64_t UsingVoucher(World& w) {
  const uint64_t app = WithVoucher(w);
  Ok(w.Answer(Kz(2025, 2, 7, 10, 0), app, true));
  return app;
}

fb::SetPriorityPolicyT Policy(std::vector<std::pair<std::vector<std::string>, bool>> tiers, uint16_t ratio_priority = 0,
                              uint16_t ratio_general = 0) {
  fb::SetPriorityPolicyT policy;
  policy.locality = World::kLocality;
  int n = 0;
  for (auto& [categories, general] : tiers) {
    auto t = std::make_unique<fb::PriorityTierT>();
    t->code = fmt::format("tier{}", n++);
    t->categories = std::move(categories);
    t->general_line = general;
    policy.tiers.push_back(std::move(t));
  }
  policy.ratio_priority = ratio_priority;
  policy.ratio_general = ratio_general;
  return policy;
}

fb::UpdateCalendarT Calendar(std::vector<std::pair<int32_t, fb::DayKind>> days) {
  fb::UpdateCalendarT update;
  for (const auto& [date, kind] : days) {
    auto day = std::make_unique<fb::CalendarDayT>();
    day->date = date;
    day->kind = kind;
    update.days.push_back(std::move(day));
  }
  return update;
}

}  // namespace

// --- the input and its envelope ------------------------------------------------------------------

TEST_CASE("rejection: MalformedJson: input that is no JSON action is journaled with its raw bytes") {
  World world;
  for (const std::string& text : {std::string("{not json"), std::string(""), std::string("[1, 2, 3]"),
                                  std::string(R"({"schema_version": 1, "no_such_field": 2})"),
                                  std::string(R"({"schema_version": 1, "body_type": "NoSuchAction", "body": {}})")}) {
    CAPTURE(text);
    const Outcome outcome = Refused(world, fb::RejectionCode::MalformedJson, [&] { return world.Json(text); });
    const auto* raw = outcome.journal()->raw_input();
    if (!text.empty()) {
      REQUIRE(raw != nullptr);
      CHECK(std::string(raw->begin(), raw->end()) == text);
    }
    CHECK(outcome.journal()->action() == nullptr);
  }
}

TEST_CASE("rejection: VerifierFailed: bytes that are no valid Action buffer") {
  World world;
  SUBCASE("garbage") {
    const std::vector<uint8_t> garbage = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    const Outcome outcome = Refused(world, fb::RejectionCode::VerifierFailed, [&] { return world.Bytes(garbage); });
    REQUIRE(outcome.journal()->raw_input() != nullptr);
    CHECK(std::vector<uint8_t>(outcome.journal()->raw_input()->begin(), outcome.journal()->raw_input()->end()) ==
          garbage);
  }
  SUBCASE("no bytes at all") {
    Refused(world, fb::RejectionCode::VerifierFailed, [&] { return world.Bytes({}); });
  }
  SUBCASE("a truncated action") {
    std::vector<uint8_t> bytes = Packed(World::Action(fb::Role::System, fb::ClockTickT{}), kFiledAt);
    bytes.resize(bytes.size() / 2);
    Refused(world, fb::RejectionCode::VerifierFailed, [&] { return world.Bytes(bytes); });
  }
  SUBCASE("an action whose file identifier is not KZAC, or cut short before it") {
    const std::vector<uint8_t> bytes = Packed(World::Action(fb::Role::System, fb::ClockTickT{}), kFiledAt);
    REQUIRE(std::string(bytes.begin() + 4, bytes.begin() + 8) == "KZAC");
    for (const size_t at : {size_t{4}, size_t{7}}) {
      for (const uint8_t other : {uint8_t{0}, uint8_t{'D'}}) {
        std::vector<uint8_t> changed = bytes;
        changed[at] = other;
        Refused(world, fb::RejectionCode::VerifierFailed, [&] { return world.Bytes(changed); });
      }
    }
    // Cut before its identifier ends: the Verifier refuses anything this short anyway, so this holds
    // the length guard in front of the identifier's compare (a read past the end, under ASan).
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 7);
    Refused(world, fb::RejectionCode::VerifierFailed, [&] { return world.Bytes(cut); });
    // Unchanged, it passes the Verifier and meets the envelope's checks (it has no idempotency key).
    Refused(world, fb::RejectionCode::MissingField, [&] { return world.Bytes(bytes); });
  }
  SUBCASE("a valid buffer of another kind: a journal record (identifier KZJR)") {
    const Outcome tick = Ok(world.Tick(kFiledAt));
    Refused(world, fb::RejectionCode::VerifierFailed, [&] { return world.Bytes(tick.record); });
  }
}

TEST_CASE("rejection: UnknownSchemaVersion: schema_version other than 1") {
  World world;
  for (const uint16_t version : {uint16_t{0}, uint16_t{2}, uint16_t{65535}}) {
    CAPTURE(version);
    fb::ActionT action = World::Action(fb::Role::System, fb::ClockTickT{});
    action.schema_version = version;
    const Outcome outcome =
        Refused(world, fb::RejectionCode::UnknownSchemaVersion, [&] { return world.Do(std::move(action), kFiledAt); });
    CHECK(outcome.journal()->action() != nullptr);  // a verified action is kept verbatim
  }
  CHECK(world.engine.state().now.value < kFiledAt);  // an envelope rejection does not move time
}

TEST_CASE("rejection: MissingField: a required field is absent or empty") {
  World world;
  SUBCASE("idempotency_key") {
    fb::ActionT action = World::Action(fb::Role::System, fb::ClockTickT{});
    Refused(world, fb::RejectionCode::MissingField, [&] { return world.Bytes(Packed(std::move(action), kFiledAt)); });
  }
  SUBCASE("actor") {
    fb::ActionT action = World::Action(fb::Role::System, fb::ClockTickT{});
    action.actor.reset();
    Refused(world, fb::RejectionCode::MissingField, [&] { return world.Do(std::move(action), kFiledAt); });
  }
  SUBCASE("body (a body_type without its table)") {
    Refused(world, fb::RejectionCode::MissingField, [&] {
      return world.Bytes(RawAction(fb::Role::Portal, fb::ActionBody::FileApplication, false, kFiledAt, "raw-1"));
    });
  }
  SUBCASE("actor.iin of the applicant") {
    Refused(world, fb::RejectionCode::MissingField, [&] { return File(world, kFiledAt, General(kChild), ""); });
  }
  SUBCASE("child_iin") {
    Refused(world, fb::RejectionCode::MissingField, [&] { return File(world, kFiledAt, General("")); });
  }
  SUBCASE("child_name") {
    fb::FileApplicationT file = General(kChild);
    file.child_name.clear();
    Refused(world, fb::RejectionCode::MissingField, [&] { return File(world, kFiledAt, std::move(file)); });
  }
  SUBCASE("a required name of spaces alone (it was taken: a child named \"   \")") {
    for (const std::string& blank : {std::string("   "), std::string("\u200A"), std::string(" \u00A0\u3000 "), std::string("\u2003")}) {
      CAPTURE(blank);
      fb::FileApplicationT file = General(kChild);
      file.child_name = blank;
      const Outcome refused = Refused(world, fb::RejectionCode::MissingField, [&] { return File(world, kFiledAt, std::move(file)); });
      CHECK(refused.reason() == "child_name is required: it holds only spaces");
    }
    fb::ActionT locality = World::Action(fb::Role::EducationDepartment, fb::UpsertLocalityT{{}, 2, "\u2002", "Астана қаласы", "AST"});
    Refused(world, fb::RejectionCode::MissingField, [&] { return world.Do(fb::ActionT(locality), kFiledAt); });
  }
  SUBCASE("priority_category") {
    Refused(world, fb::RejectionCode::MissingField, [&] { return File(world, kFiledAt, General(kChild, "")); });
  }
  SUBCASE("the special queue's correction type") {
    fb::FileApplicationT file = Special(kChild);
    file.correction_type = fb::CorrectionType::None;
    Refused(world, fb::RejectionCode::MissingField, [&] { return File(world, kFiledAt, std::move(file)); });
  }
  SUBCASE("the special queue's conclusion document") {
    fb::FileApplicationT file = Special(kChild);
    file.conclusion_document.clear();
    Refused(world, fb::RejectionCode::MissingField, [&] { return File(world, kFiledAt, std::move(file)); });
  }
  SUBCASE("the PMPK specialist's name on a rejection of documents") {
    const uint64_t app = FiledIdOf(Ok(File(world, kFiledAt, Special(kChild))));
    Refused(world, fb::RejectionCode::MissingField, [&] {
      return world.Do(World::Action(fb::Role::PmpkSpecialist, fb::RejectDocumentsT{{}, app, "причина"}),
                      kFiledAt + kHourMs);
    });
  }
  SUBCASE("contract_number") {
    const uint64_t app = UsingVoucher(world);
    Ok(Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
    Refused(world, fb::RejectionCode::MissingField,
            [&] { return AsKindergarten(world, Kz(2025, 2, 10, 11, 0), fb::SendContractT{{}, app, ""}); });
  }
  SUBCASE("document_sha256") {
    const uint64_t app = UsingVoucher(world);
    Ok(Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
    Ok(AsKindergarten(world, Kz(2025, 2, 10, 11, 0), fb::SendContractT{{}, app, "Д-1"}));
    Refused(world, fb::RejectionCode::MissingField,
            [&] { return Parent(world, Kz(2025, 2, 10, 12, 0), fb::ParentSignsT{{}, app, ""}); });
  }
  SUBCASE("a calendar update's days") {
    Refused(world, fb::RejectionCode::MissingField, [&] { return Admin(world, kFiledAt, fb::UpdateCalendarT{}); });
  }
  SUBCASE("a locality's names") {
    Refused(world, fb::RejectionCode::MissingField,
            [&] { return Admin(world, kFiledAt, fb::UpsertLocalityT{{}, 2, "", "Астана", "AST"}); });
  }
}

TEST_CASE("rejection: InvalidField: a field holds a value it may not") {
  World world;
  SUBCASE("instant_ms before 2000 or from 2100 on") {
    for (const int64_t at : {int64_t{0}, limits::kInstantMsMin - 1, limits::kInstantMsMax + 1}) {
      CAPTURE(at);
      Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Tick(at); });
    }
  }
  SUBCASE("idempotency_key holding a control, directional or invisible character (it was taken, and echoed raw)") {
    for (const std::string& key : {std::string("k\0x", 3), std::string("k\ny"), std::string("\a"), std::string("k\u200Fy"),
                                  std::string("k\u200By")}) {
      CAPTURE(key);
      fb::ActionT action = World::Action(fb::Role::System, fb::ClockTickT{});
      action.idempotency_key = key;
      const Outcome outcome =
          Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Do(std::move(action), kFiledAt); });
      CHECK(std::string(outcome.journal()->rejection()->reason()->str()).starts_with("idempotency_key holds the "));
    }
    fb::ActionT plain = World::Action(fb::Role::System, fb::ClockTickT{});
    plain.idempotency_key = "portal-2025-02-06-000001 кілт";  // letters of any script, spaces: a key
    CHECK(world.Do(std::move(plain), kFiledAt).outcome == fb::Outcome::Applied);
  }
  SUBCASE("actor.role no role") {
    fb::ActionT action = World::Action(static_cast<fb::Role>(99), fb::ClockTickT{});
    Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Do(std::move(action), kFiledAt); });
  }
  SUBCASE("an enum value the schema does not define") {
    fb::FileApplicationT file = General(kChild);
    file.language = static_cast<fb::Language>(7);
    Refused(world, fb::RejectionCode::InvalidField, [&] { return File(world, kFiledAt, std::move(file)); });
  }
  SUBCASE("a general-queue application with a correction type") {
    fb::FileApplicationT file = General(kChild);
    file.correction_type = fb::CorrectionType::Speech;
    Refused(world, fb::RejectionCode::InvalidField, [&] { return File(world, kFiledAt, std::move(file)); });
  }
  SUBCASE("a special-queue application naming a ДО of another locality") {
    Ok(Admin(world, kFiledAt, fb::UpsertLocalityT{{}, 2, "г. Астана", "Астана қаласы", "AST"}));
    fb::FileApplicationT file = Special(kChild);
    file.locality = 2;
    Refused(world, fb::RejectionCode::InvalidField, [&] { return File(world, kFiledAt, std::move(file)); });
  }
  SUBCASE("an allocation of no vouchers, for no preschool birth year, or of the wrong queue type") {
    Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Allocate(kIssuedAt, 2021, 0); });
    Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Allocate(kIssuedAt, 2016, 1); });
    Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Allocate(kIssuedAt, 2026, 1); });
    // In February 2025 every child born in 2017 is at school (the last since 1 September 2024): its
    // vouchers could never be issued (they were allocated and lay free for good). 2018's last
    // child starts school on 1 September 2025: allocated.
    const Outcome at_school =
        Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Allocate(kIssuedAt, 2017, 1); });
    CHECK(at_school.journal()->rejection()->reason()->str() ==
          "birth_year 2017 is no preschool age group in 2025: all its children have reached school age (the last on "
          "2024-09-01)");
    CHECK(world.Allocate(kIssuedAt, 2018, 1).outcome == fb::Outcome::Applied);
    fb::AllocateVouchersT allocation{
        {}, World::kLocality, fb::QueueType::General, 2021, fb::Language::Kk, fb::CorrectionType::Speech, 1};
    Refused(world, fb::RejectionCode::InvalidField, [&] { return Admin(world, kIssuedAt, allocation); });
    allocation.queue_type = fb::QueueType::Special;
    allocation.correction_type = fb::CorrectionType::None;
    Refused(world, fb::RejectionCode::InvalidField, [&] { return Admin(world, kIssuedAt, allocation); });
  }
  SUBCASE("a control character in a name (C0, DEL, C1, bidi, invisible); free text may hold line feeds and tabs") {
    for (const std::string& bad : {std::string("Айгерім\r"), std::string("Ai\x1b[2Jgerim"), std::string("Ai\x7Fgerim"),
                                  std::string("Ai\xC2\x85gerim"), std::string("Ai\0gerim", 9), std::string("Ai\ngerim"),
                                  std::string("Ai\u202Emireg"), std::string("\u2066Aigerim\u2069"),
                                  // invisible: two names that look alike (zero-width space, joiners,
                                  // marks, word joiner, a byte-order mark)
                                  std::string("Ai\u200Bgerim"), std::string("Ai\u200Dgerim"), std::string("Aigerim\u200E"),
                                  std::string("Ai\u200Fgerim"), std::string("Ai\u2060gerim"), std::string("\uFEFFAigerim"),
                                  // and their kin: the Arabic letter mark, a soft hyphen, invisible
                                  // operators, a Mongolian vowel separator, a grapheme joiner, the
                                  // Hangul filler, a variation selector, a tag character
                                  std::string("Ai\u061Cgerim"), std::string("Ai\u00ADgerim"), std::string("Ai\u2062gerim"),
                                  std::string("Ai\u180Egerim"), std::string("Ai\u034Fgerim"), std::string("\u3164"),
                                  std::string("Ai\uFE0Fgerim"), std::string("Ai\U000E0041gerim"), std::string("Ai\uFFA0gerim"),
                                  std::string("Ai\u1160gerim"), std::string("Ai\u115Fgerim"), std::string("Ai\U000E0100gerim"),
                                  // the line and paragraph separators: line breaks (they were taken)
                                  std::string("Тест\u2028Ребенок"), std::string("Тест\u2029Ребенок")}) {
      CAPTURE(bad);
      fb::FileApplicationT file = General(kChild);
      file.child_name = bad;
      Refused(world, fb::RejectionCode::InvalidField, [&] { return File(world, kFiledAt, std::move(file)); });
    }
    Refused(world, fb::RejectionCode::InvalidField,
            [&] { return Admin(world, kFiledAt, fb::UpsertLocalityT{{}, 2, "г. Астана\t", "Астана қаласы", "AST"}); });
    // Cyrillic and Kazakh letters (Ә, Ғ, Қ, Ң, Ө, Ұ, Ү, Һ, І: two bytes each, some from C2..D3) are text.
    fb::FileApplicationT file = Special(kChild);
    // So are the characters beside the refused ones (U+200A hair space, U+2010 hyphen, U+2013 en
    // dash, U+2065, U+FEFE, U+FE10, U+3165, U+061B, U+00AC, U+00AE, U+034E, «»).
    file.child_name = "Әлия Ғалымқызы Ңөұүһі \u200A\u2010\u2013\u2065\uFEFE\uFE10\u3165\u061B\u00AC\u00AE\u034E «Ә»";
    const uint64_t app = FiledIdOf(Ok(File(world, kFiledAt, std::move(file))));
    fb::ActionT reject = World::Action(fb::Role::PmpkSpecialist, fb::RejectDocumentsT{{}, app, "нет заключения\n\tсм. п. 2"});
    reject.actor->name = "Ахметова\rА. С.";
    Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Do(fb::ActionT(reject), kFiledAt + kHourMs); });
    reject.actor->name = "Ахметова А. С.";
    reject.body.AsRejectDocuments()->reason = "нет\x07заключения";
    Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Do(fb::ActionT(reject), kFiledAt + kHourMs); });
    reject.body.AsRejectDocuments()->reason = "нет\u202Eзаключения";  // a bidi override: refused in free text too
    Refused(world, fb::RejectionCode::InvalidField, [&] { return world.Do(fb::ActionT(reject), kFiledAt + kHourMs); });
    // Free text may hold line feeds, tabs and invisible characters pasted with it (a zero-width
    // space, a byte-order mark from a word processor): no name to mistake.
    reject.body.AsRejectDocuments()->reason = "\uFEFFнет заключения\n\tсм.\u200B п. 2";
    Ok(world.Do(fb::ActionT(reject), kFiledAt + kHourMs));
  }
  SUBCASE("a staff archival for a reason other than SchoolAge or Withdrawn") {
    Ok(File(world, kFiledAt, General(kChild)));
    Refused(world, fb::RejectionCode::InvalidField, [&] {
      return Admin(world, kFiledAt + kHourMs, fb::ArchiveChildT{{}, kChild, fb::ArchiveReason::Enrolled});
    });
  }
  SUBCASE("a document digest that is not 64 lowercase hex digits") {
    const uint64_t app = UsingVoucher(world);
    Ok(Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
    Ok(AsKindergarten(world, Kz(2025, 2, 10, 11, 0), fb::SendContractT{{}, app, "Д-1"}));
    std::string upper = kDigest;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::vector<std::string> digests = {upper, kDigest.substr(1), kDigest + "0", std::string(64, 'g')};
    for (const char outside : {'/', ':', '`', 'g', '\0', 'F'}) {  // each next to a range the check admits
      std::string one = kDigest;
      one[17] = outside;
      digests.push_back(one);
    }
    for (const std::string& digest : digests) {
      CAPTURE(digest);
      Refused(world, fb::RejectionCode::InvalidField,
              [&] { return Parent(world, Kz(2025, 2, 10, 12, 0), fb::ParentSignsT{{}, app, digest}); });
    }
  }
  SUBCASE("catalogue: locality 0, kindergarten 0, group 0, ages, offsets, a ДО moving locality") {
    Refused(world, fb::RejectionCode::InvalidField,
            [&] { return Admin(world, kFiledAt, fb::UpsertLocalityT{{}, 0, "Все", "Барлығы", ""}); });
    Refused(world, fb::RejectionCode::InvalidField,
            [&] { return Admin(world, kFiledAt, fb::UpsertKindergartenT{{}, 0, World::kLocality, "А", "Ә"}); });
    fb::UpsertGroupT group{{}, 0, World::kKindergarten, fb::Language::Kk, 2, 5, fb::CorrectionType::None, 10};
    Refused(world, fb::RejectionCode::InvalidField, [&] { return Admin(world, kFiledAt, group); });
    group.group = 200;
    group.min_age_years = 5;
    group.max_age_years = 3;
    Refused(world, fb::RejectionCode::InvalidField, [&] { return Admin(world, kFiledAt, group); });
    group.min_age_years = 2;
    group.max_age_years = 8;
    Refused(world, fb::RejectionCode::InvalidField, [&] { return Admin(world, kFiledAt, group); });
    fb::SetUtcOffsetT offset;
    offset.locality = World::kLocality;
    offset.effective_from_ms = kFiledAt;
    offset.offset_minutes = 900;
    Refused(world, fb::RejectionCode::InvalidField, [&] { return Admin(world, kFiledAt, offset); });
    offset.offset_minutes = 300;
    offset.effective_from_ms = Utc(1999, 12, 31);
    Refused(world, fb::RejectionCode::InvalidField, [&] { return Admin(world, kFiledAt, offset); });
    Ok(Admin(world, kFiledAt, fb::UpsertLocalityT{{}, 2, "г. Астана", "Астана қаласы", "AST"}));
    Refused(world, fb::RejectionCode::InvalidField, [&] {
      return Admin(world, kFiledAt, fb::UpsertKindergartenT{{}, World::kKindergarten, 2, "Ботакоз", "Бөбек"});
    });
  }
}

TEST_CASE("rejection: UnknownActionKind: a body_type this schema version does not know") {
  World world;
  SUBCASE("a tag past the last action") {
    const auto kind = static_cast<fb::ActionBody>(200);
    REQUIRE(kind > fb::ActionBody::MAX);
    const Outcome outcome = Refused(world, fb::RejectionCode::UnknownActionKind, [&] {
      return world.Bytes(RawAction(fb::Role::System, kind, true, kFiledAt, "raw-1"));
    });
    CHECK(outcome.journal()->action() != nullptr);
  }
  SUBCASE("no body_type at all (NONE)") {
    Refused(world, fb::RejectionCode::UnknownActionKind,
            [&] { return world.Bytes(RawAction(fb::Role::System, fb::ActionBody::NONE, false, kFiledAt, "raw-2")); });
  }
}

// --- IINs ------------------------------------------------------------------------------------------

namespace {

void RefusedIin(const std::string& iin, fb::RejectionCode code) {
  World world;
  CAPTURE(iin);
  Refused(world, code, [&] { return File(world, kFiledAt, General(iin)); });          // the child's
  Refused(world, code, [&] { return File(world, kFiledAt, General(kChild), iin); });  // the applicant's
  // Staff archival names a child by IIN too.
  Refused(world, code,
          [&] { return Admin(world, kFiledAt, fb::ArchiveChildT{{}, iin, fb::ArchiveReason::Withdrawn}); });
}

}  // namespace

TEST_CASE("rejection: IinWrongLength") {
  RefusedIin("21051050001", fb::RejectionCode::IinWrongLength);
  RefusedIin("2105105000123", fb::RejectionCode::IinWrongLength);
}

TEST_CASE("rejection: IinNotDigits") { RefusedIin("21051050001x", fb::RejectionCode::IinNotDigits); }

TEST_CASE("rejection: IinBadCenturyDigit") {
  RefusedIin("210510700010", fb::RejectionCode::IinBadCenturyDigit);
  RefusedIin("210510000010", fb::RejectionCode::IinBadCenturyDigit);
}

TEST_CASE("rejection: IinBadBirthDate") {
  RefusedIin("230229500010", fb::RejectionCode::IinBadBirthDate);  // 29 Feb 2023
  RefusedIin("211310500010", fb::RejectionCode::IinBadBirthDate);  // month 13
}

TEST_CASE("rejection: IinBadCheckDigit") {
  std::string iin = kChild;
  iin.back() = iin.back() == '9' ? '0' : static_cast<char>(iin.back() + 1);
  RefusedIin(iin, fb::RejectionCode::IinBadCheckDigit);
}

TEST_CASE("rejection: IinCheckDigitUndefined") {
  RefusedIin("250101500350", fb::RejectionCode::IinCheckDigitUndefined);  // both sums give 10
}

TEST_CASE("rejection: IinBornInFuture: the child's birth date is after the filing's local date") {
  World world;
  const std::string newborn = MakeIin(2025, 2, 4, true, 1);
  // 23:59 on 03.02 local is too early; 00:00 on 04.02 local (still 03.02 in UTC) is the day itself.
  Refused(world, fb::RejectionCode::IinBornInFuture,
          [&] { return File(world, Kz(2025, 2, 3, 23, 59), General(newborn)); });
  Refused(world, fb::RejectionCode::IinBornInFuture,
          [&] { return File(world, kFiledAt, General(MakeIin(2026, 1, 1, false, 1))); });
  Ok(File(world, Kz(2025, 2, 4, 0, 0), General(newborn)));
}

// --- unknown things --------------------------------------------------------------------------------

TEST_CASE("rejection: UnknownChild: staff archival of a child with no application") {
  World world;
  Ok(File(world, kFiledAt, General(kChild)));
  Refused(world, fb::RejectionCode::UnknownChild, [&] {
    return Admin(world, kFiledAt + kHourMs,
                 fb::ArchiveChildT{{}, MakeIin(2021, 5, 10, false, 1), fb::ArchiveReason::SchoolAge});
  });
}

TEST_CASE("rejection: UnknownApplication: an application number the engine never gave") {
  World world;
  Ok(File(world, kFiledAt, General(kChild)));  // application 1000001, the first of locality 1
  const int64_t at = kFiledAt + kHourMs;
  // 0; serial 1 of no locality, serial 2 of one that has filed one, serial 0 of one; 999 (locality 0);
  // a serial of a locality with none; a locality beyond uint32.
  for (const uint64_t id : {uint64_t{0}, uint64_t{1}, World::Number(2), World::Number(0), uint64_t{999},
                            uint64_t{2'000'001}, uint64_t{1} << 62}) {
    CAPTURE(id);
    Refused(world, fb::RejectionCode::UnknownApplication, [&] { return Parent(world, at, fb::WithdrawT{{}, id}); });
    Refused(world, fb::RejectionCode::UnknownApplication,
            [&] { return Parent(world, at, fb::AnswerInterestT{{}, id, true}); });
    Refused(world, fb::RejectionCode::UnknownApplication,
            [&] { return Parent(world, at, fb::ExtendVoucherT{{}, id}); });
    Refused(world, fb::RejectionCode::UnknownApplication,
            [&] { return Parent(world, at, fb::ChooseKindergartenT{{}, id, World::kGroupKk}); });
    Refused(world, fb::RejectionCode::UnknownApplication,
            [&] { return Parent(world, at, fb::ParentSignsT{{}, id, kDigest}); });
    Refused(world, fb::RejectionCode::UnknownApplication, [&] { return Pmpk(world, at, id); });
    Refused(world, fb::RejectionCode::UnknownApplication,
            [&] { return AsKindergarten(world, at, fb::SendContractT{{}, id, "Д-1"}); });
    Refused(world, fb::RejectionCode::UnknownApplication,
            [&] { return AsKindergarten(world, at, fb::KindergartenSignsT{{}, id, kDigest}); });
  }
}

TEST_CASE("rejection: UnknownLocality: a locality not in the catalogue") {
  World world;
  fb::FileApplicationT file = General(kChild);
  file.locality = 99;
  Refused(world, fb::RejectionCode::UnknownLocality, [&] { return File(world, kFiledAt, std::move(file)); });
  Refused(world, fb::RejectionCode::UnknownLocality, [&] {
    return Admin(
        world, kIssuedAt,
        fb::AllocateVouchersT{{}, 99, fb::QueueType::General, 2021, fb::Language::Kk, fb::CorrectionType::None, 1});
  });
  Refused(world, fb::RejectionCode::UnknownLocality,
          [&] { return Admin(world, kFiledAt, fb::UpsertKindergartenT{{}, 11, 99, "Айгөлек", "Айгөлек"}); });
  fb::SetUtcOffsetT offset;
  offset.locality = 99;
  offset.effective_from_ms = kFiledAt;
  offset.offset_minutes = 300;
  Refused(world, fb::RejectionCode::UnknownLocality, [&] { return Admin(world, kFiledAt, offset); });
  fb::SetPriorityPolicyT policy = Policy({{{"general"}, true}});
  policy.locality = 99;
  Refused(world, fb::RejectionCode::UnknownLocality, [&] { return Admin(world, kFiledAt, std::move(policy)); });
}

TEST_CASE("rejection: UnknownKindergarten: a ДО not in the catalogue") {
  World world;
  fb::FileApplicationT file = Special(kChild);
  file.kindergarten = 99;
  Refused(world, fb::RejectionCode::UnknownKindergarten, [&] { return File(world, kFiledAt, std::move(file)); });
  Refused(world, fb::RejectionCode::UnknownKindergarten, [&] {
    return Admin(world, kFiledAt, fb::UpsertGroupT{{}, 200, 99, fb::Language::Kk, 2, 5, fb::CorrectionType::None, 10});
  });
}

TEST_CASE("rejection: UnknownGroup: choosing a group not in the catalogue") {
  World world;
  const uint64_t app = UsingVoucher(world);
  Refused(world, fb::RejectionCode::UnknownGroup,
          [&] { return Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, 999}); });
}

TEST_CASE("rejection: UnknownPriorityCategory: a category the policy in force does not name") {
  World world;
  Refused(world, fb::RejectionCode::UnknownPriorityCategory,
          [&] { return File(world, kFiledAt, General(kChild, "vip")); });
  Refused(world, fb::RejectionCode::UnknownPriorityCategory,
          [&] { return File(world, kFiledAt, General(kChild, "GENERAL")); });  // codes are case-sensitive
  // A locality's own policy replaces the default one for it.
  Ok(Admin(world, kFiledAt, Policy({{{"orphans"}, false}, {{"ordinary"}, true}})));
  Refused(world, fb::RejectionCode::UnknownPriorityCategory,
          [&] { return File(world, kFiledAt + kHourMs, General(kChild, "general")); });
  Ok(File(world, kFiledAt + kHourMs, General(kChild, "ordinary")));
}

// --- the lifecycle -----------------------------------------------------------------------------

TEST_CASE("rejection: DuplicateActiveApplication: a second active application of a child in one queue type") {
  World world;
  Ok(File(world, kFiledAt, General(kChild)));
  Refused(world, fb::RejectionCode::DuplicateActiveApplication,
          [&] { return File(world, kFiledAt + kHourMs, General(kChild, "orphans")); });
  // By another applicant too: the child is the key.
  Refused(world, fb::RejectionCode::DuplicateActiveApplication,
          [&] { return File(world, kFiledAt + kHourMs, General(kChild), kOtherParent); });
  // A special application awaiting documents is active as well.
  Ok(File(world, kFiledAt + 2 * kHourMs, Special(kChild)));
  Refused(world, fb::RejectionCode::DuplicateActiveApplication,
          [&] { return File(world, kFiledAt + 3 * kHourMs, Special(kChild)); });
  // After a withdrawal the child may queue again.
  Ok(Parent(world, kFiledAt + 4 * kHourMs, fb::WithdrawT{{}, World::Number(1)}));
  Ok(File(world, kFiledAt + 5 * kHourMs, General(kChild)));
}

TEST_CASE("rejection: TransitionNotAllowed: an action the application's status does not allow") {
  World world;
  SUBCASE("confirming documents of a general application, or twice") {
    Ok(File(world, kFiledAt, General(kChild)));
    Refused(world, fb::RejectionCode::TransitionNotAllowed, [&] { return Pmpk(world, kFiledAt + kHourMs, World::Number(1)); });
    const uint64_t special = FiledIdOf(Ok(File(world, kFiledAt, Special(kChild))));
    Ok(Pmpk(world, kFiledAt + kHourMs, special));
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Pmpk(world, kFiledAt + 2 * kHourMs, special); });
    fb::ActionT reject = World::Action(fb::Role::PmpkSpecialist, fb::RejectDocumentsT{{}, special, ""});
    reject.actor->name = "Ахметова А. С.";
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return world.Do(std::move(reject), kFiledAt + 2 * kHourMs); });
  }
  SUBCASE("answering, extending, choosing without a voucher") {
    Ok(File(world, kFiledAt, General(kChild)));
    const int64_t at = kFiledAt + kHourMs;
    Refused(world, fb::RejectionCode::TransitionNotAllowed, [&] { return world.Answer(at, World::Number(1), true); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, at, fb::ExtendVoucherT{{}, World::Number(1)}); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, at, fb::ChooseKindergartenT{{}, World::Number(1), World::kGroupKk}); });
  }
  SUBCASE("choosing, extending before answering «Да»; answering twice") {
    const uint64_t app = WithVoucher(world);
    const int64_t at = Kz(2025, 2, 7, 10, 0);
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, at, fb::ChooseKindergartenT{{}, app, World::kGroupKk}); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, at, fb::ExtendVoucherT{{}, app}); });
    Ok(world.Answer(at, app, true));
    Refused(world, fb::RejectionCode::TransitionNotAllowed, [&] { return world.Answer(at + 1, app, true); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed, [&] { return world.Answer(at + 2, app, false); });
  }
  SUBCASE("the contract out of order") {
    const uint64_t app = UsingVoucher(world);
    const int64_t at = Kz(2025, 2, 10, 10, 0);
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return AsKindergarten(world, at, fb::SendContractT{{}, app, "Д-1"}); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, at, fb::ParentSignsT{{}, app, kDigest}); });
    Ok(Parent(world, at, fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, at, fb::ChooseKindergartenT{{}, app, World::kGroupKk}); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return AsKindergarten(world, at, fb::KindergartenSignsT{{}, app, kDigest}); });
    Ok(AsKindergarten(world, at, fb::SendContractT{{}, app, "Д-1"}));
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return AsKindergarten(world, at, fb::SendContractT{{}, app, "Д-2"}); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, at, fb::ExtendVoucherT{{}, app}); });
  }
  SUBCASE("withdrawing an archived application; archiving a child with none active") {
    Ok(File(world, kFiledAt, General(kChild)));
    Ok(Parent(world, kFiledAt + kHourMs, fb::WithdrawT{{}, World::Number(1)}));
    Refused(world, fb::RejectionCode::TransitionNotAllowed,
            [&] { return Parent(world, kFiledAt + 2 * kHourMs, fb::WithdrawT{{}, World::Number(1)}); });
    Refused(world, fb::RejectionCode::TransitionNotAllowed, [&] {
      return Admin(world, kFiledAt + 2 * kHourMs, fb::ArchiveChildT{{}, kChild, fb::ArchiveReason::Withdrawn});
    });
  }
}

TEST_CASE("rejection: AnswerAfterDeadline: acting on a voucher its deadline has annulled") {
  World world;
  SUBCASE("an answer after the 2 working days (the application is on the stop-list)") {
    const uint64_t app = WithVoucher(world);
    Ok(world.Tick(Utc(2025, 2, 10, 19, 0)));
    REQUIRE(world.engine.state().app(ApplicationId{app}).status == fb::ApplicationStatus::StopListed);
    Refused(world, fb::RejectionCode::AnswerAfterDeadline,
            [&] { return world.Answer(Kz(2025, 2, 11, 9, 0), app, true); });
    Refused(world, fb::RejectionCode::AnswerAfterDeadline,
            [&] { return world.Answer(Kz(2025, 2, 11, 9, 1), app, false); });
  }
  SUBCASE("choosing, extending, contracting, signing after the enrollment window closed") {
    const uint64_t app = UsingVoucher(world);
    Ok(world.Tick(Utc(2025, 2, 14, 19, 0)));
    REQUIRE(world.engine.state().app(ApplicationId{app}).archive_reason == fb::ArchiveReason::NotEnrolledInTime);
    const int64_t at = Kz(2025, 2, 15, 10, 0);
    Refused(world, fb::RejectionCode::AnswerAfterDeadline,
            [&] { return Parent(world, at, fb::ChooseKindergartenT{{}, app, World::kGroupKk}); });
    Refused(world, fb::RejectionCode::AnswerAfterDeadline,
            [&] { return Parent(world, at, fb::ExtendVoucherT{{}, app}); });
    Refused(world, fb::RejectionCode::AnswerAfterDeadline,
            [&] { return Parent(world, at, fb::ParentSignsT{{}, app, kDigest}); });
  }
}

TEST_CASE("rejection: ExtensionAlreadyUsed: a second extension") {
  World world;
  const uint64_t app = UsingVoucher(world);  // due Fri 14.02
  Ok(Parent(world, Kz(2025, 2, 14, 10, 0), fb::ExtendVoucherT{{}, app}));
  Refused(world, fb::RejectionCode::ExtensionAlreadyUsed,
          [&] { return Parent(world, Kz(2025, 2, 14, 11, 0), fb::ExtendVoucherT{{}, app}); });
  Refused(world, fb::RejectionCode::ExtensionAlreadyUsed,
          [&] { return Parent(world, Kz(2025, 2, 18, 11, 0), fb::ExtendVoucherT{{}, app}); });  // the new last day
}

TEST_CASE("rejection: ExtensionNotOnFifthDay: an extension before the deadline's local date") {
  World world;
  const uint64_t app = UsingVoucher(world);  // due Fri 14.02
  for (const int64_t at : {Kz(2025, 2, 7, 11, 0), Kz(2025, 2, 10, 9, 0), Kz(2025, 2, 13, 23, 59)}) {
    Refused(world, fb::RejectionCode::ExtensionNotOnFifthDay,
            [&] { return Parent(world, at, fb::ExtendVoucherT{{}, app}); });
  }
}

TEST_CASE("rejection: NoFreePlace: every place of the group is taken or reserved") {
  World world;
  const uint64_t a = world.FileGeneral(kFiledAt, 2021, 5, 10, 1, "general", fb::Language::Ru);
  const uint64_t b = world.FileGeneral(kFiledAt + kHourMs, 2021, 5, 10, 11, "general", fb::Language::Ru);
  Ok(world.Allocate(kIssuedAt, 2021, 2, fb::Language::Ru));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), a, true));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), b, true));
  Ok(Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, a, World::kGroupRu}));  // its 1 place
  Refused(world, fb::RejectionCode::NoFreePlace,
          [&] { return Parent(world, Kz(2025, 2, 10, 11, 0), fb::ChooseKindergartenT{{}, b, World::kGroupRu}); });
  // A group shrunk below its places taken refuses too.
  Ok(Admin(world, Kz(2025, 2, 10, 12, 0),
           fb::UpsertGroupT{
               {}, World::kGroupRu, World::kKindergarten, fb::Language::Ru, 2, 5, fb::CorrectionType::None, 0}));
  Refused(world, fb::RejectionCode::NoFreePlace,
          [&] { return Parent(world, Kz(2025, 2, 10, 13, 0), fb::ChooseKindergartenT{{}, b, World::kGroupRu}); });
}

TEST_CASE("rejection: CorrectionTypeNotServed: no group for the child's correction type") {
  World world;
  SUBCASE("filing for a ДО without a group of that correction type") {
    fb::FileApplicationT file = Special(kChild);
    file.correction_type = fb::CorrectionType::Hearing;
    Refused(world, fb::RejectionCode::CorrectionTypeNotServed, [&] { return File(world, kFiledAt, std::move(file)); });
  }
  SUBCASE("a general-queue child choosing a special group") {
    const uint64_t app = UsingVoucher(world);
    Refused(world, fb::RejectionCode::CorrectionTypeNotServed, [&] {
      return Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupSpeech});
    });
  }
  SUBCASE("a special-queue child choosing an ordinary group") {
    const uint64_t app = FiledIdOf(Ok(File(world, kFiledAt, Special(kChild))));
    Ok(Pmpk(world, kFiledAt + kHourMs, app));
    Ok(Admin(world, kIssuedAt,
             fb::AllocateVouchersT{
                 {}, World::kLocality, fb::QueueType::Special, 2021, fb::Language::Kk, fb::CorrectionType::Speech, 1}));
    Ok(world.Answer(Kz(2025, 2, 7, 10, 0), app, true));
    Refused(world, fb::RejectionCode::CorrectionTypeNotServed,
            [&] { return Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupKk}); });
    Ok(Parent(world, Kz(2025, 2, 10, 11, 0), fb::ChooseKindergartenT{{}, app, World::kGroupSpeech}));
  }
}

TEST_CASE("rejection: GroupNotSuitable: the group's locality, language or ages do not fit") {
  World world;
  SUBCASE("another language") {
    const uint64_t app = UsingVoucher(world);  // kk
    Refused(world, fb::RejectionCode::GroupNotSuitable,
            [&] { return Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupRu}); });
  }
  SUBCASE("another locality") {
    const uint64_t app = UsingVoucher(world);
    Ok(Admin(world, Kz(2025, 2, 8, 10, 0), fb::UpsertLocalityT{{}, 2, "г. Астана", "Астана қаласы", "AST"}));
    Ok(Admin(world, Kz(2025, 2, 8, 10, 0), fb::UpsertKindergartenT{{}, 20, 2, "Айгөлек", "Айгөлек"}));
    Ok(Admin(world, Kz(2025, 2, 8, 10, 0),
             fb::UpsertGroupT{{}, 200, 20, fb::Language::Kk, 2, 5, fb::CorrectionType::None, 10}));
    Refused(world, fb::RejectionCode::GroupNotSuitable,
            [&] { return Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, 200}); });
  }
  SUBCASE("too young or too old on 1 September of the school year") {
    const uint64_t app = UsingVoucher(world);  // born 10.05.2021: 3 on 01.09.2024
    Ok(Admin(world, Kz(2025, 2, 8, 10, 0),
             fb::UpsertGroupT{{}, 201, World::kKindergarten, fb::Language::Kk, 4, 5, fb::CorrectionType::None, 10}));
    Ok(Admin(world, Kz(2025, 2, 8, 10, 0),
             fb::UpsertGroupT{{}, 202, World::kKindergarten, fb::Language::Kk, 1, 2, fb::CorrectionType::None, 10}));
    Refused(world, fb::RejectionCode::GroupNotSuitable,
            [&] { return Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, 201}); });
    Refused(world, fb::RejectionCode::GroupNotSuitable,
            [&] { return Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, 202}); });
  }
}

TEST_CASE("rejection: ChildOfSchoolAge: filing for a child who starts school") {
  World world;
  const std::string six_by_september = MakeIin(2019, 8, 31, true, 1);
  // From 00:00 local on 1 September 2025 the child is of school age.
  Refused(world, fb::RejectionCode::ChildOfSchoolAge,
          [&] { return File(world, Kz(2025, 9, 1, 0, 0), General(six_by_september)); });
  Refused(world, fb::RejectionCode::ChildOfSchoolAge,
          [&] { return File(world, kFiledAt, General(MakeIin(2018, 3, 3, false, 1))); });
  World earlier;
  Ok(File(earlier, Kz(2025, 8, 31, 23, 59), General(six_by_september)));
}

// --- idempotency, access -----------------------------------------------------------------------

TEST_CASE("rejection: IdempotencyKeyReused; a repeat of the same action is a Duplicate") {
  World world;
  fb::ActionT filing = World::Action(fb::Role::Portal, General(kChild), World::kParent);
  filing.idempotency_key = "portal-7f3a";
  const Outcome original = Ok(world.Do(fb::ActionT(filing), kFiledAt));
  const uint64_t original_sequence = original.journal()->sequence();

  SUBCASE("the same key for a different action: refused") {
    fb::ActionT other = World::Action(fb::Role::Portal, General(kChild, "orphans"), World::kParent);
    other.idempotency_key = "portal-7f3a";
    Refused(world, fb::RejectionCode::IdempotencyKeyReused, [&] { return world.Do(std::move(other), kFiledAt + 1); });
    fb::ActionT tick = World::Action(fb::Role::System, fb::ClockTickT{});
    tick.idempotency_key = "portal-7f3a";
    const int64_t now = world.engine.state().now.value;
    Refused(world, fb::RejectionCode::IdempotencyKeyReused,
            [&] { return world.Do(std::move(tick), kFiledAt + kHourMs); });
    CHECK(world.engine.state().now.value == now);  // time did not pass
  }
  SUBCASE("the same key for the same action (a retry, even re-stamped): a Duplicate, nothing re-applied") {
    const std::string before = Fingerprint(world.engine.state());
    for (const int64_t at : {kFiledAt, kFiledAt + 5000, kFiledAt + kHourMs}) {
      CAPTURE(at);
      const uint64_t sequence = world.engine.state().next_sequence;
      const Outcome repeat = world.Do(fb::ActionT(filing), at);
      CHECK(repeat.outcome == fb::Outcome::Duplicate);
      CHECK(repeat.code == fb::RejectionCode::None);
      CHECK(repeat.journal()->outcome() == fb::Outcome::Duplicate);
      CHECK(repeat.journal()->duplicate_of() == original_sequence);
      CHECK(repeat.journal()->sequence() == sequence + repeat.tick_records.size());
      CHECK(repeat.journal()->rejection() == nullptr);
      CHECK((repeat.journal()->decisions() == nullptr || repeat.journal()->decisions()->size() == 0));
      CHECK(repeat.journal()->action() != nullptr);
      CHECK(world.engine.state().applications.size() == 2);
      CHECK(Fingerprint(world.engine.state()) == before);
    }
  }
  SUBCASE("a repeat of a refused action is a Duplicate of the refusal, not a second try") {
    fb::ActionT bad = World::Action(fb::Role::Portal, General(kChild, "vip"), World::kParent);
    bad.idempotency_key = "portal-bad";
    const Outcome refused = world.Do(fb::ActionT(bad), kFiledAt + 1);
    REQUIRE(refused.code == fb::RejectionCode::UnknownPriorityCategory);
    const Outcome repeat = world.Do(fb::ActionT(bad), kFiledAt + 2);
    CHECK(repeat.outcome == fb::Outcome::Duplicate);
    CHECK(repeat.journal()->duplicate_of() == refused.journal()->sequence());
  }
  SUBCASE("an action refused at the envelope keeps no key: the key stays free") {
    fb::ActionT wrong_role = World::Action(fb::Role::Auditor, fb::ClockTickT{});
    wrong_role.idempotency_key = "tick-1";
    REQUIRE(world.Do(std::move(wrong_role), kFiledAt + 1).code == fb::RejectionCode::RoleNotAllowed);
    fb::ActionT tick = World::Action(fb::Role::System, fb::ClockTickT{});
    tick.idempotency_key = "tick-1";
    Ok(world.Do(std::move(tick), kFiledAt + 2));
  }
}

TEST_CASE("rejection: an action's digest is of its bytes with the instant zeroed, short or long") {
  // rules::ActionDigest hashes a copy at once for most actions and streams the longer ones: both
  // give XXH3-128 of the bytes with the instant's eight bytes zeroed, whatever the instant.
  const auto reference = [](std::vector<uint8_t> bytes) {
    const fb::Action* action = fb::GetAction(bytes.data());
    const uint8_t* instant =
        reinterpret_cast<const flatbuffers::Table*>(action)->GetAddressOf(fb::Action::VT_INSTANT_MS);
    REQUIRE(instant != nullptr);
    std::fill_n(bytes.begin() + (instant - bytes.data()), sizeof(int64_t), uint8_t{0});
    const XXH128_hash_t hash = XXH3_128bits(bytes.data(), bytes.size());
    return std::array<uint64_t, 2>{hash.low64, hash.high64};
  };
  for (const size_t name_bytes : {size_t{12}, size_t{500}, limits::kTextFieldBytesMax}) {
    fb::FileApplicationT body = General(kChild);
    body.child_name = std::string(name_bytes, 'a');
    body.conclusion_document = std::string(name_bytes, 'b');  // with the name: over 1 KiB from 500 on
    fb::ActionT action = World::Action(fb::Role::Portal, std::move(body), World::kParent);
    action.idempotency_key = "digest-1";
    std::array<uint64_t, 2> first{};
    for (const int64_t at : {kFiledAt, kFiledAt + 1, kFiledAt + kHourMs}) {
      action.instant_ms = at;
      const std::vector<uint8_t> bytes = events::Codec::Pack(action);
      CAPTURE(bytes.size());
      const std::array<uint64_t, 2> digest = rules::ActionDigest(bytes, *fb::GetAction(bytes.data()));
      CHECK(digest == reference(bytes));
      if (at == kFiledAt) first = digest;
      CHECK(digest == first);  // re-stamped: the same action
    }
    action.idempotency_key = "digest-2";
    const std::vector<uint8_t> other = events::Codec::Pack(action);
    CHECK(rules::ActionDigest(other, *fb::GetAction(other.data())) != first);
  }
}

TEST_CASE("rejection: a retry whose JSON lists the fields in another order is the same action") {
  World world;
  const Outcome first = world.Json(R"({"schema_version": 1, "idempotency_key": "j-1", "instant_ms": 1738558800000,)"
                                   R"( "actor": {"role": "System"}, "body_type": "ClockTick", "body": {}})");
  REQUIRE(first.code == fb::RejectionCode::None);
  const Outcome again = world.Json(R"({"body": {}, "body_type": "ClockTick", "actor": {"role": "System"},)"
                                   R"( "instant_ms": 1738558860000, "idempotency_key": "j-1", "schema_version": 1})");
  CHECK(again.outcome == fb::Outcome::Duplicate);
  CHECK(again.journal()->duplicate_of() == first.journal()->sequence());
}

TEST_CASE("rejection: InstantInFuture: an action stamped ahead of engine time, or any before time starts") {
  SUBCASE("before the System clock's first tick, every other action") {
    World world(false);
    world.ticker = false;
    Refused(world, fb::RejectionCode::InstantInFuture, [&] {
      return Admin(world, kFiledAt, fb::UpsertLocalityT{{}, 1, "г. Алматы", "Алматы қаласы", "ALA"});
    });
    CHECK(world.engine.state().now.value == 0);
  }
  World world;
  Ok(File(world, kFiledAt, General(kChild)));
  world.ticker = false;
  const int64_t now = world.engine.state().now.value;
  SUBCASE("a portal's action more than 5 minutes ahead") {
    const Outcome refused = Refused(world, fb::RejectionCode::InstantInFuture, [&] {
      return Parent(world, now + limits::kActionSkewAheadMs + 1, fb::WithdrawT{{}, World::Number(1)});
    });
    CHECK(refused.journal()->engine_time_ms() == now);
    CHECK(refused.reason().find("ahead of the System clock's last tick") != std::string::npos);
    Ok(Parent(world, now + limits::kActionSkewAheadMs, fb::WithdrawT{{}, World::Number(1)}));  // at the skew: accepted
  }
  SUBCASE("a clock tick more than 35 days ahead") {
    fb::ActionT tick = World::Action(fb::Role::System, fb::ClockTickT{});
    Refused(world, fb::RejectionCode::InstantInFuture,
            [&] { return world.Do(fb::ActionT(tick), now + limits::kTickAdvanceMaxMs + 1); });
    CHECK(world.engine.state().now.value == now);
    Ok(world.Do(fb::ActionT(tick), now + limits::kTickAdvanceMaxMs));
  }
}

TEST_CASE("rejection: RoleNotAllowed: a role posting another role's action") {
  World world;
  Ok(File(world, kFiledAt, General(kChild)));
  const int64_t at = kFiledAt + kHourMs;
  struct Case {
    const char* what;
    fb::ActionT action;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"portal allocates vouchers",
       World::Action(
           fb::Role::Portal,
           fb::AllocateVouchersT{
               {}, World::kLocality, fb::QueueType::General, 2021, fb::Language::Kk, fb::CorrectionType::None, 1},
           World::kParent)});
  cases.push_back(
      {"portal confirms documents", World::Action(fb::Role::Portal, fb::ConfirmDocumentsT{{}, World::Number(1)}, World::kParent)});
  cases.push_back(
      {"portal sends a contract", World::Action(fb::Role::Portal, fb::SendContractT{{}, World::Number(1), "Д-1"}, World::kParent)});
  cases.push_back({"portal ticks the clock", World::Action(fb::Role::Portal, fb::ClockTickT{}, World::kParent)});
  cases.push_back({"PMPK files an application", World::Action(fb::Role::PmpkSpecialist, General(kChild))});
  cases.push_back(
      {"kindergarten confirms documents", World::Action(fb::Role::Kindergarten, fb::ConfirmDocumentsT{{}, World::Number(1)})});
  cases.push_back({"kindergarten chooses for the parent",
                   World::Action(fb::Role::Kindergarten, fb::ChooseKindergartenT{{}, World::Number(1), World::kGroupKk})});
  cases.push_back(
      {"education department withdraws", World::Action(fb::Role::EducationDepartment, fb::WithdrawT{{}, World::Number(1)})});
  cases.push_back(
      {"education department ticks the clock", World::Action(fb::Role::EducationDepartment, fb::ClockTickT{})});
  cases.push_back({"system edits the catalogue",
                   World::Action(fb::Role::System, fb::UpsertLocalityT{{}, 2, "г. Астана", "Астана қаласы", "AST"})});
  cases.push_back({"auditor ticks the clock", World::Action(fb::Role::Auditor, fb::ClockTickT{})});
  cases.push_back({"auditor withdraws", World::Action(fb::Role::Auditor, fb::WithdrawT{{}, World::Number(1)}, World::kParent)});
  world.ticker = false;  // nothing else moves time: the refusals alone must not
  for (Case& c : cases) {
    CAPTURE(c.what);
    Refused(world, fb::RejectionCode::RoleNotAllowed, [&] { return world.Do(std::move(c.action), at); });
  }
  CHECK(world.engine.state().now.value < at);  // refused at the envelope: time did not pass
}

TEST_CASE("rejection: ApplicantMismatch: a portal acting on another applicant's application") {
  World world;
  const uint64_t app = WithVoucher(world);
  const int64_t at = Kz(2025, 2, 7, 10, 0);
  Refused(world, fb::RejectionCode::ApplicantMismatch,
          [&] { return Parent(world, at, fb::AnswerInterestT{{}, app, false}, kOtherParent); });
  Refused(world, fb::RejectionCode::ApplicantMismatch,
          [&] { return Parent(world, at, fb::WithdrawT{{}, app}, kOtherParent); });
  const Outcome other = Parent(world, at, fb::WithdrawT{{}, app}, kOtherParent);
  CHECK(other.reason().find("filed by another applicant") != std::string::npos);
  // No IIN, or none valid, is said as such (it was "filed by another applicant" too).
  const Outcome absent = Refused(world, fb::RejectionCode::ApplicantMismatch,
                                 [&] { return Parent(world, at, fb::WithdrawT{{}, app}, ""); });
  CHECK(absent.reason().find("actor.iin is required") != std::string::npos);
  const Outcome invalid = Refused(world, fb::RejectionCode::ApplicantMismatch,
                                  [&] { return Parent(world, at, fb::WithdrawT{{}, app}, "not-an-iin"); });
  CHECK(invalid.reason().find("actor.iin 'not-an-iin' names no applicant") != std::string::npos);
}

TEST_CASE("rejection: KindergartenMismatch: a ДО acting for another ДО's group") {
  World world;
  const uint64_t app = UsingVoucher(world);
  Ok(Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
  Refused(world, fb::RejectionCode::KindergartenMismatch,
          [&] { return AsKindergarten(world, Kz(2025, 2, 10, 11, 0), fb::SendContractT{{}, app, "Д-1"}, 11); });
  Refused(world, fb::RejectionCode::KindergartenMismatch,
          [&] { return AsKindergarten(world, Kz(2025, 2, 10, 11, 0), fb::SendContractT{{}, app, "Д-1"}, 0); });
  Ok(AsKindergarten(world, Kz(2025, 2, 10, 12, 0), fb::SendContractT{{}, app, "Д-1"}));
  Ok(Parent(world, Kz(2025, 2, 10, 13, 0), fb::ParentSignsT{{}, app, kDigest}));
  Refused(world, fb::RejectionCode::KindergartenMismatch,
          [&] { return AsKindergarten(world, Kz(2025, 2, 10, 14, 0), fb::KindergartenSignsT{{}, app, kDigest}, 11); });
}

// --- calendar, policy, limits ------------------------------------------------------------------

TEST_CASE("rejection: InvalidCalendar: a day that is no date, or a kind that does not fit it") {
  World world;
  const auto refused = [&](std::vector<std::pair<int32_t, fb::DayKind>> days) {
    Refused(world, fb::RejectionCode::InvalidCalendar,
            [&] { return Admin(world, kFiledAt, Calendar(std::move(days))); });
  };
  refused({{20250230, fb::DayKind::Holiday}});  // 30 February
  refused({{20251301, fb::DayKind::Holiday}});  // month 13
  refused({{0, fb::DayKind::Holiday}});
  refused({{2025021, fb::DayKind::Holiday}});        // seven digits
  refused({{20250210, fb::DayKind::TransferWork}});  // a Monday made a working day
  refused({{20250215, fb::DayKind::Rollover}});      // a rollover on a Saturday
  refused({{20250216, fb::DayKind::TransferOff}});   // a Sunday made a day off
  refused({{20250210, static_cast<fb::DayKind>(9)}});
  // One bad day refuses the whole update: the good day before it is not applied either.
  refused({{20250212, fb::DayKind::Holiday}, {20250230, fb::DayKind::Holiday}});
  CHECK(world.engine.state().calendar.IsWorkingDay(civil::FromYmd({2025, 2, 12})));
}

TEST_CASE("rejection: InvalidPolicy: a priority policy that cannot order a queue") {
  World world;
  const auto refused = [&](fb::SetPriorityPolicyT policy) {
    Refused(world, fb::RejectionCode::InvalidPolicy, [&] { return Admin(world, kFiledAt, std::move(policy)); });
  };
  refused(Policy({}));                                                      // no tiers
  refused(Policy({{{"orphans"}, false}}));                                  // no general line
  refused(Policy({{{}, false}, {{"general"}, true}}));                      // a tier without categories
  refused(Policy({{{"orphans", "general"}, false}, {{"general"}, true}}));  // a category in two tiers
  refused(Policy({{{"orphans"}, false}, {{"general"}, true}}, 1, 0));       // half a ratio
  refused(Policy({{{"orphans"}, false}, {{"general"}, true}}, 0, 3));
  refused(Policy({{{"orphans"}, false}, {{"general"}, true}}, 101, 1));  // a part over 100
  refused(Policy({{{"orphans"}, false}, {{"general"}, true}, {{"teachers_children"}, false}}));  // a priority tier after the general line
  std::vector<std::string> many(limits::kCategoriesPerTierMax + 1);
  for (size_t i = 0; i < many.size(); ++i) many[i] = fmt::format("c{}", i);
  refused(Policy({{many, true}}));  // over 64 categories in a tier
  // The queues keep the policy in force.
  CHECK(world.engine.state().policies.count(LocalityId{World::kLocality}) == 0);
}

TEST_CASE("rejection: InvalidTemplates: message templates that cannot word every notification") {
  World world;
  const auto refused = [&](fb::SetMessageTemplatesT posting, fb::RejectionCode code = fb::RejectionCode::InvalidTemplates) {
    Refused(world, code, [&] { return Admin(world, kFiledAt, std::move(posting)); });
  };
  const auto built_in = [] { return messages::BuiltInTemplates(); };
  refused(fb::SetMessageTemplatesT{});  // none
  {
    auto p = built_in();
    p.templates.pop_back();  // one missing
    refused(std::move(p));
  }
  {
    auto p = built_in();
    for (auto& t : p.templates) {
      if (t->kind == fb::NotificationKind::Archived && t->variant == 5) t->variant = 0;  // Archived 0 twice, 5 missing
    }
    refused(std::move(p));
  }
  {
    auto p = built_in();
    p.templates.front()->kind = static_cast<fb::NotificationKind>(99);  // no such kind
    refused(std::move(p));
  }
  {
    auto p = built_in();
    p.templates.front()->variant = 1;  // ApplicationAccepted has no variants
    refused(std::move(p));
  }
  {
    auto p = built_in();
    p.templates.front()->ru = "Ваша заявка принята";  // the place in the queue left out
    refused(std::move(p));
  }
  {
    auto p = built_in();
    p.templates.front()->kk += " {}";  // an argument it does not have
    refused(std::move(p));
  }
  {
    auto p = built_in();
    p.templates[1]->kk = "Құжаттар\nкүтілуде";  // a control character (a line break)
    refused(std::move(p));
  }
  {
    auto p = built_in();
    p.templates[1]->ru = "Ожидание\xC2\x9B" "31mдокументов";  // C1: CSI, an escape sequence in U+009B (a helper's find)
    refused(std::move(p));
  }
  {
    auto p = built_in();
    p.templates[1]->kk = "";  // a text left empty
    refused(std::move(p), fb::RejectionCode::MissingField);
  }
  {
    auto p = built_in();
    p.templates[1]->ru = std::string(limits::kTextFieldBytesMax + 1, 'x');
    refused(std::move(p), fb::RejectionCode::LimitExceeded);
  }
  // Only the education department posts them.
  Refused(world, fb::RejectionCode::RoleNotAllowed,
          [&] { return world.Do(World::Action(fb::Role::Portal, built_in()), kFiledAt); });
  CHECK(world.engine.state().templates == 0);
  const Outcome posted = Ok(Admin(world, kFiledAt, built_in()));
  REQUIRE(posted.First<fb::MessageTemplatesSet>() != nullptr);
  CHECK(posted.First<fb::MessageTemplatesSet>()->version() == 1);
  CHECK(world.engine.state().templates == 1);
  // The words are state: stored and loaded with it (their own meta entries), version by version.
  std::vector<state_codec::Put> entries;
  state_codec::AllEntries(world.engine.state(), [&](const state_codec::Put& put) { entries.push_back(put); });
  State loaded;
  for (const state_codec::Put& put : entries) REQUIRE(state_codec::LoadEntry(put.family, put.key, put.value, &loaded));
  REQUIRE(state_codec::FinishLoad(&loaded));
  REQUIRE(loaded.template_book.latest() == 1);
  CHECK(loaded.template_book.patterns(1)[0].ru == "Ваша заявка принята. Место в очереди {}");
  // A version's words missing, or cut short, do not load.
  State without;
  for (const state_codec::Put& put : entries) {
    if (put.key.rfind("templates/", 0) != 0) REQUIRE(state_codec::LoadEntry(put.family, put.key, put.value, &without));
  }
  std::string why;
  CHECK_FALSE(state_codec::FinishLoad(&without, &why));
  CHECK(why == "the message templates in force are version 1, but the stored words are of version 0");
  for (const state_codec::Put& put : entries) {
    if (put.key.rfind("templates/", 0) != 0) continue;
    State cut;
    CHECK_FALSE(state_codec::LoadEntry(put.family, put.key, put.value.substr(0, put.value.size() - 1), &cut));
  }
}

namespace {

// Restarts the world's engine from its own state with locality 1's numbering counters set, as a
// state store's load would (a test's way to reach the limit without a million filings).
void RaiseCounters(World& w, uint32_t applications, uint32_t vouchers) {
  std::vector<state_codec::Put> entries;
  state_codec::AllEntries(w.engine.state(), [&](const state_codec::Put& put) { entries.push_back(put); });
  REQUIRE(w.engine.Restore([&](State* state) {
    for (const state_codec::Put& put : entries) {
      if (!state_codec::LoadEntry(put.family, put.key, put.value, state)) return false;
    }
    return state_codec::LoadEntry(state_codec::Family::kNumbers, bytes::Be(World::kLocality, 4),
                                  bytes::Out().U32(applications).U32(vouchers).Take(), state);
  }));
}

}  // namespace

TEST_CASE("rejection: LimitExceeded: an input over one of limits.h's limits") {
  World world;
  SUBCASE("an idempotency key over 128 bytes") {
    fb::ActionT tick = World::Action(fb::Role::System, fb::ClockTickT{});
    tick.idempotency_key = std::string(limits::kIdempotencyKeyBytesMax + 1, 'k');
    Refused(world, fb::RejectionCode::LimitExceeded, [&] { return world.Do(std::move(tick), kFiledAt); });
    fb::ActionT at_limit = World::Action(fb::Role::System, fb::ClockTickT{});
    at_limit.idempotency_key = std::string(limits::kIdempotencyKeyBytesMax, 'k');
    Ok(world.Do(std::move(at_limit), kFiledAt));
  }
  SUBCASE("an action over 64 KiB (its bytes are not kept)") {
    const std::vector<uint8_t> big(limits::kActionBytesMax + 1, 0x20);
    const Outcome outcome = Refused(world, fb::RejectionCode::LimitExceeded, [&] { return world.Bytes(big); });
    CHECK(outcome.journal()->raw_input() == nullptr);
    CHECK(outcome.journal()->action() == nullptr);
  }
  SUBCASE("a JSON line over 256 KiB") {
    const std::string line = "{\"idempotency_key\": \"" + std::string(limits::kJsonLineBytesMax, 'x') + "\"}";
    Refused(world, fb::RejectionCode::LimitExceeded, [&] { return world.Json(line); });
  }
  SUBCASE("a text field over 512 bytes") {
    fb::FileApplicationT file = General(kChild);
    file.child_name = std::string(limits::kTextFieldBytesMax + 1, 'a');
    Refused(world, fb::RejectionCode::LimitExceeded, [&] { return File(world, kFiledAt, std::move(file)); });
    fb::FileApplicationT at_limit = General(kChild);
    at_limit.child_name = std::string(limits::kTextFieldBytesMax, 'a');
    Ok(File(world, kFiledAt, std::move(at_limit)));
  }
  SUBCASE("an allocation over 100 000 vouchers") {
    Refused(world, fb::RejectionCode::LimitExceeded,
            [&] { return world.Allocate(kIssuedAt, 2021, limits::kVouchersPerAllocationMax + 1); });
  }
  SUBCASE("a group over 1 000 places") {
    Refused(world, fb::RejectionCode::LimitExceeded, [&] {
      return Admin(world, kFiledAt,
                   fb::UpsertGroupT{{},
                                    200,
                                    World::kKindergarten,
                                    fb::Language::Kk,
                                    2,
                                    5,
                                    fb::CorrectionType::None,
                                    limits::kGroupCapacityMax + 1});
    });
  }
  SUBCASE("a filing past a locality's 999 999 application numbers") {
    RaiseCounters(world, limits::kSerialsPerLocality - 2, 0);
    Ok(File(world, kFiledAt, General(kChild)));  // the last: 1999999
    CHECK(world.engine.state().has_app(ApplicationId{World::Number(limits::kSerialsPerLocality - 1)}));
    const Outcome outcome = Refused(world, fb::RejectionCode::LimitExceeded,
                                    [&] { return File(world, kFiledAt + kHourMs, General(MakeIin(2021, 5, 10, true, 2))); });
    CHECK(outcome.reason() ==
          "locality 1 has numbered 999999 applications, the most one locality's numbers hold (serials below 1000000; "
          "docs/domain.md \"Country-wide numbers\")");
  }
  SUBCASE("an allocation whose vouchers would pass a locality's 999 999 voucher numbers") {
    RaiseCounters(world, 0, limits::kSerialsPerLocality - 3);  // two numbers left
    const Outcome outcome =
        Refused(world, fb::RejectionCode::LimitExceeded, [&] { return world.Allocate(kIssuedAt, 2021, 3); });
    CHECK(outcome.reason() ==
          "locality 1 has numbered 999997 vouchers: 3 more would pass the most one locality's numbers hold (serials "
          "below 1000000; docs/domain.md \"Country-wide numbers\")");
    const Outcome fits = Ok(world.Allocate(kIssuedAt, 2021, 2));
    CHECK(fits.First<fb::VouchersAllocated>()->first_voucher() == World::Number(limits::kSerialsPerLocality - 2));
    Refused(world, fb::RejectionCode::LimitExceeded, [&] { return world.Allocate(kIssuedAt, 2021, 1); });
  }
  SUBCASE("a calendar update over 1 000 days") {
    std::vector<std::pair<int32_t, fb::DayKind>> days;
    for (size_t i = 0; i <= limits::kCalendarDaysPerUpdateMax; ++i) {
      days.emplace_back(civil::ToYyyymmdd(LocalDate{civil::FromYmd({2030, 1, 1}).value + static_cast<int32_t>(i)}),
                        fb::DayKind::Holiday);
    }
    Refused(world, fb::RejectionCode::LimitExceeded, [&] { return Admin(world, kFiledAt, Calendar(std::move(days))); });
  }
  SUBCASE("a policy over 32 tiers") {
    std::vector<std::pair<std::vector<std::string>, bool>> tiers;
    for (size_t i = 0; i <= limits::kPriorityTiersMax; ++i) tiers.push_back({{fmt::format("c{}", i)}, true});
    Refused(world, fb::RejectionCode::LimitExceeded, [&] { return Admin(world, kFiledAt, Policy(std::move(tiers))); });
  }
}

// --- what every rejection shares -----------------------------------------------------------------

TEST_CASE("rejection: a refused action still lets time pass: deadlines due before it expire in its record") {
  World world;
  const uint64_t app = WithVoucher(world);  // due 10.02 19:00Z
  const Outcome outcome =
      world.Do(World::Action(fb::Role::Portal, fb::WithdrawT{{}, 999}, World::kParent), Utc(2025, 2, 11, 5, 0));
  CHECK(outcome.code == fb::RejectionCode::UnknownApplication);
  CHECK(outcome.outcome == fb::Outcome::Rejected);
  CHECK(outcome.All<fb::VoucherAnnulled>().size() == 1);
  CHECK(outcome.All<fb::StopListed>().size() == 1);
  CHECK(world.engine.state().app(ApplicationId{app}).status == fb::ApplicationStatus::StopListed);
}

// Enrolls `app` (its voucher in use) in World::kGroupKk: choose, contract, both signatures.
void Enroll(World& w, uint64_t app, int64_t from) {
  Ok(Parent(w, from, fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
  Ok(AsKindergarten(w, from + kHourMs, fb::SendContractT{{}, app, "Д-1"}));
  Ok(Parent(w, from + 2 * kHourMs, fb::ParentSignsT{{}, app, kDigest}));
  Ok(AsKindergarten(w, from + 3 * kHourMs, fb::KindergartenSignsT{{}, app, kDigest}));
}

TEST_CASE("rejection: ChildHoldsPlace: an enrolled child holds one place until school age or leaving") {
  World world;
  // A parallel special application (the same child), confirmed and waiting for its own voucher.
  const uint64_t special = FiledIdOf(Ok(File(world, kFiledAt, Special(kChild))));
  Ok(Pmpk(world, kFiledAt + kHourMs, special));
  const uint64_t app = UsingVoucher(world);  // kChild's general application
  Ok(Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
  Ok(AsKindergarten(world, Kz(2025, 2, 10, 11, 0), fb::SendContractT{{}, app, "Д-1"}));
  Ok(Parent(world, Kz(2025, 2, 10, 12, 0), fb::ParentSignsT{{}, app, kDigest}));
  const Outcome enrolled = Ok(AsKindergarten(world, Kz(2025, 2, 10, 13, 0), fb::KindergartenSignsT{{}, app, kDigest}));
  // The other queue's application is withdrawn with it (not Enrolled: the card and the statistics
  // read that as enrolled through it).
  CHECK(Kinds(enrolled) == "Enrolled,Notification,Archived,Notification,Archived,Notification");
  const auto archived = enrolled.All<fb::Archived>();
  REQUIRE(archived.size() == 2);
  CHECK(archived[1]->application() == special);
  CHECK(archived[1]->reason() == fb::ArchiveReason::Withdrawn);
  CHECK(enrolled.NotificationsRu().back() == "Заявление перемещено в архив: заявка отозвана");
  CHECK(world.engine.state().groups.at(GroupId{World::kGroupKk}).taken == 1);
  SUBCASE("filing again (either queue): a second voucher for a child who has a place") {
    const Outcome refused = Refused(world, fb::RejectionCode::ChildHoldsPlace,
                                    [&] { return File(world, Kz(2025, 2, 17, 10, 0), General(kChild)); });
    CHECK(refused.reason().find(std::to_string(app)) != std::string::npos);  // names the enrolled application
    Refused(world, fb::RejectionCode::ChildHoldsPlace, [&] { return File(world, Kz(2025, 2, 17, 10, 0), Special(kChild)); });
  }
  SUBCASE("a state stored and loaded again knows it (derived from the applications)") {
    std::map<std::pair<int, std::string>, std::string> store;
    state_codec::AllEntries(world.engine.state(), [&](const state_codec::Put& put) {
      store[{static_cast<int>(put.family), put.key}] = put.value;
    });
    World reloaded(false);
    REQUIRE(reloaded.engine.Restore([&](State* state) {
      for (const auto& [key, value] : store) {
        if (!state_codec::LoadEntry(static_cast<state_codec::Family>(key.first), key.second, value, state)) return false;
      }
      return true;
    }));
    reloaded.next_key = world.next_key;
    Refused(reloaded, fb::RejectionCode::ChildHoldsPlace,
            [&] { return File(reloaded, Kz(2025, 2, 17, 10, 0), General(kChild)); });
  }
  SUBCASE("leaving (staff ArchiveChild) frees the place at once; then the child may file again") {
    const Outcome left = Ok(Admin(world, Kz(2025, 3, 3, 10, 0), fb::ArchiveChildT{{}, kChild, fb::ArchiveReason::Withdrawn}));
    CHECK(Kinds(left) == "PlaceFreed");  // nothing else active: the place alone
    CHECK(left.First<fb::PlaceFreed>()->application() == app);
    CHECK(world.engine.state().groups.at(GroupId{World::kGroupKk}).taken == 0);
    Ok(File(world, Kz(2025, 3, 4, 10, 0), General(kChild)));
    // Its school-age timer, still armed, frees nothing twice.
    CHECK(Kinds(Ok(world.Tick(Kz(2027, 9, 1, 0, 0)))).find("PlaceFreed") == std::string::npos);
  }
  SUBCASE("a child who neither waits nor holds a place: nothing to archive") {
    Ok(Admin(world, Kz(2025, 3, 3, 10, 0), fb::ArchiveChildT{{}, kChild, fb::ArchiveReason::Withdrawn}));
    Refused(world, fb::RejectionCode::TransitionNotAllowed, [&] {
      return Admin(world, Kz(2025, 3, 3, 11, 0), fb::ArchiveChildT{{}, kChild, fb::ArchiveReason::Withdrawn});
    });
  }
}

TEST_CASE("rejection: ChildHoldsPlace: the other application holding a voucher at enrollment gives it up to the next in line") {
  World world;
  const uint64_t special = FiledIdOf(Ok(File(world, kFiledAt, Special(kChild))));
  Ok(Pmpk(world, kFiledAt + kHourMs, special));
  const uint64_t next = FiledIdOf(Ok(File(world, kFiledAt + 2 * kHourMs, Special(MakeIin(2021, 6, 1, true, 2)))));
  Ok(Pmpk(world, kFiledAt + 3 * kHourMs, next));
  const uint64_t app = UsingVoucher(world);
  fb::AllocateVouchersT allocation{{}, World::kLocality, fb::QueueType::Special, 2021, fb::Language::Kk,
                                   fb::CorrectionType::Speech, 1};
  CHECK(Ok(Admin(world, Kz(2025, 2, 7, 11, 0), allocation)).First<fb::VoucherIssued>()->application() == special);
  Ok(world.Answer(Kz(2025, 2, 7, 12, 0), special, true));
  Ok(Parent(world, Kz(2025, 2, 10, 9, 0), fb::ChooseKindergartenT{{}, special, World::kGroupSpeech}));  // a place reserved
  Ok(Parent(world, Kz(2025, 2, 10, 10, 0), fb::ChooseKindergartenT{{}, app, World::kGroupKk}));
  Ok(AsKindergarten(world, Kz(2025, 2, 10, 11, 0), fb::SendContractT{{}, app, "Д-1"}));
  Ok(Parent(world, Kz(2025, 2, 10, 12, 0), fb::ParentSignsT{{}, app, kDigest}));
  const Outcome enrolled = Ok(AsKindergarten(world, Kz(2025, 2, 10, 13, 0), fb::KindergartenSignsT{{}, app, kDigest}));
  CHECK(Kinds(enrolled) ==
        "Enrolled,Notification,Archived,Notification,VoucherAnnulled,Notification,Archived,Notification,VoucherIssued,Notification");
  CHECK(enrolled.First<fb::VoucherAnnulled>()->application() == special);
  CHECK(enrolled.First<fb::VoucherIssued>()->application() == next);
  CHECK(world.engine.state().groups.at(GroupId{World::kGroupSpeech}).taken == 0);  // its reserved place freed
  CHECK(world.engine.state().groups.at(GroupId{World::kGroupKk}).taken == 1);
}

TEST_CASE("rejection: the state fingerprint these tests rely on sees an applied change") {
  World world;
  const std::string empty = Fingerprint(world.engine.state());
  const uint64_t app = world.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  const std::string filed = Fingerprint(world.engine.state());
  CHECK(filed != empty);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  const std::string issued = Fingerprint(world.engine.state());
  CHECK(issued != filed);
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), app, true));
  CHECK(Fingerprint(world.engine.state()) != issued);
  // A tick with nothing due changes nothing it covers.
  const std::string before_tick = Fingerprint(world.engine.state());
  Ok(world.Tick(Kz(2025, 2, 7, 11, 0)));
  CHECK(Fingerprint(world.engine.state()) == before_tick);
}

TEST_CASE("rejection: every code but None is given by some test above, and has a name") {
  // The schema's list, so that a new code without a test or a documented row stands out here.
  const fb::RejectionCode codes[] = {
      fb::RejectionCode::MalformedJson,
      fb::RejectionCode::VerifierFailed,
      fb::RejectionCode::UnknownSchemaVersion,
      fb::RejectionCode::MissingField,
      fb::RejectionCode::InvalidField,
      fb::RejectionCode::UnknownActionKind,
      fb::RejectionCode::InstantInFuture,
      fb::RejectionCode::IinWrongLength,
      fb::RejectionCode::IinNotDigits,
      fb::RejectionCode::IinBadCenturyDigit,
      fb::RejectionCode::IinBadBirthDate,
      fb::RejectionCode::IinBadCheckDigit,
      fb::RejectionCode::IinCheckDigitUndefined,
      fb::RejectionCode::IinBornInFuture,
      fb::RejectionCode::UnknownChild,
      fb::RejectionCode::UnknownApplication,
      fb::RejectionCode::UnknownLocality,
      fb::RejectionCode::UnknownKindergarten,
      fb::RejectionCode::UnknownGroup,
      fb::RejectionCode::UnknownPriorityCategory,
      fb::RejectionCode::DuplicateActiveApplication,
      fb::RejectionCode::TransitionNotAllowed,
      fb::RejectionCode::AnswerAfterDeadline,
      fb::RejectionCode::ExtensionAlreadyUsed,
      fb::RejectionCode::ExtensionNotOnFifthDay,
      fb::RejectionCode::NoFreePlace,
      fb::RejectionCode::CorrectionTypeNotServed,
      fb::RejectionCode::GroupNotSuitable,
      fb::RejectionCode::ChildOfSchoolAge,
      fb::RejectionCode::ChildHoldsPlace,
      fb::RejectionCode::IdempotencyKeyReused,
      fb::RejectionCode::RoleNotAllowed,
      fb::RejectionCode::ApplicantMismatch,
      fb::RejectionCode::KindergartenMismatch,
      fb::RejectionCode::InvalidCalendar,
      fb::RejectionCode::InvalidPolicy,
      fb::RejectionCode::LimitExceeded,
      fb::RejectionCode::InvalidTemplates,
      fb::RejectionCode::WrongPartition,  // given by the Kafka member's router: tests/router_test.cc
  };
  size_t named = 0;
  for (int value = 1; value <= 1000; ++value) {
    if (fb::EnumNameRejectionCode(static_cast<fb::RejectionCode>(value))[0] != '\0') ++named;
  }
  CHECK(named == std::size(codes));
  for (const fb::RejectionCode code : codes) CHECK(fb::EnumNameRejectionCode(code)[0] != '\0');
}

}  // namespace kezek::test
