// The application lifecycle of DESIGN §2, end to end through the engine: filing, the PMPK's
// document check, the queue order (tiers, ratio), vouchers and their deadlines, the stop-list,
// enrollment, archival; local time around 1 March 2024; determinism of the whole journal.
//
// Dates: the scenarios run in February 2025 (UTC+5; no holiday between 3.02 and 7.03), unless a
// test is about a holiday or the zone change. Children born in 2021 are 3 on 1 September 2024
// and fit the harness's groups (ages 2-5).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "engine/messages.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

const std::string kParentDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kKindergartenDigest = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

std::string ChildName(unsigned serial) { return fmt::format("Тест Тест {}", serial); }

fb::FileApplicationT General(int y, unsigned m, unsigned d, unsigned serial, const std::string& category = "general",
                             fb::Language language = fb::Language::Kk) {
  fb::FileApplicationT file;
  file.child_iin = MakeIin(y, m, d, true, serial);
  file.child_name = ChildName(serial);
  file.locality = World::kLocality;
  file.queue_type = fb::QueueType::General;
  file.language = language;
  file.priority_category = category;
  return file;
}

fb::FileApplicationT Special(int y, unsigned m, unsigned d, unsigned serial) {
  fb::FileApplicationT file = General(y, m, d, serial);
  file.queue_type = fb::QueueType::Special;
  file.correction_type = fb::CorrectionType::Speech;
  file.conclusion_document = "ПМПК-2025/0142";
  file.kindergarten = World::kKindergarten;
  return file;
}

Outcome File(World& w, int64_t at, fb::FileApplicationT file) {
  return w.Do(World::Action(fb::Role::Portal, std::move(file), World::kParent), at);
}

uint64_t FiledId(const Outcome& outcome) {
  const auto* accepted = outcome.First<fb::ApplicationAccepted>();
  REQUIRE(accepted != nullptr);
  return accepted->application();
}

Outcome Confirm(World& w, int64_t at, uint64_t app) {
  return w.Do(World::Action(fb::Role::PmpkSpecialist, fb::ConfirmDocumentsT{{}, app}), at);
}

Outcome RejectDocs(World& w, int64_t at, uint64_t app, const std::string& specialist, const std::string& reason) {
  fb::ActionT action = World::Action(fb::Role::PmpkSpecialist, fb::RejectDocumentsT{{}, app, reason});
  action.actor->name = specialist;
  return w.Do(std::move(action), at);
}

Outcome Withdraw(World& w, int64_t at, uint64_t app) {
  return w.Do(World::Action(fb::Role::Portal, fb::WithdrawT{{}, app}, World::kParent), at);
}

Outcome Extend(World& w, int64_t at, uint64_t app) {
  return w.Do(World::Action(fb::Role::Portal, fb::ExtendVoucherT{{}, app}, World::kParent), at);
}

Outcome Choose(World& w, int64_t at, uint64_t app, uint32_t group) {
  return w.Do(World::Action(fb::Role::Portal, fb::ChooseKindergartenT{{}, app, group}, World::kParent), at);
}

fb::ActionT AsKindergarten(fb::ActionT action, uint32_t kindergarten) {
  action.actor->kindergarten = kindergarten;
  return action;
}

Outcome SendContract(World& w, int64_t at, uint64_t app, const std::string& number = "Д-2025/17") {
  return w.Do(
      AsKindergarten(World::Action(fb::Role::Kindergarten, fb::SendContractT{{}, app, number}), World::kKindergarten),
      at);
}

Outcome ParentSigns(World& w, int64_t at, uint64_t app) {
  return w.Do(World::Action(fb::Role::Portal, fb::ParentSignsT{{}, app, kParentDigest}, World::kParent), at);
}

Outcome KindergartenSigns(World& w, int64_t at, uint64_t app) {
  return w.Do(
      AsKindergarten(World::Action(fb::Role::Kindergarten, fb::KindergartenSignsT{{}, app, kKindergartenDigest}),
                     World::kKindergarten),
      at);
}

fb::SetPriorityPolicyT Policy(uint32_t locality, uint16_t ratio_priority, uint16_t ratio_general) {
  fb::SetPriorityPolicyT policy;
  policy.locality = locality;
  auto tier = [](std::string code, std::vector<std::string> categories, bool general) {
    auto t = std::make_unique<fb::PriorityTierT>();
    t->code = std::move(code);
    t->categories = std::move(categories);
    t->general_line = general;
    return t;
  };
  policy.tiers.push_back(tier("extraordinary", {"servicemen_children"}, false));
  policy.tiers.push_back(tier("primary", {"disabled_parents", "orphans", "large_families", "special_needs"}, false));
  policy.tiers.push_back(tier("general", {"general"}, true));
  policy.ratio_priority = ratio_priority;
  policy.ratio_general = ratio_general;
  return policy;
}

const Application& App(const World& w, uint64_t id) { return w.engine.state().app(ApplicationId{id}); }
fb::ApplicationStatus StatusOf(const World& w, uint64_t id) { return App(w, id).status; }
uint64_t Position(const World& w, uint64_t id) {
  const auto position = w.engine.PositionOf(ApplicationId{id});
  REQUIRE_MESSAGE(position.has_value(), "application ", id, " is not waiting in a queue");
  return *position;
}
uint32_t Taken(const World& w, uint32_t group) { return w.engine.state().groups.at(GroupId{group}).taken; }

// Files `count` general applications (children born 10.05.2021, serials 1, 11, 21, ...) an hour
// apart from `at`, and returns their ids in filing order.
std::vector<uint64_t> FileMany(World& w, int64_t at, int count, const std::string& category = "general",
                               unsigned first_serial = 1) {
  std::vector<uint64_t> ids;
  for (int i = 0; i < count; ++i) {
    const unsigned serial = first_serial + 10 * static_cast<unsigned>(i);
    ids.push_back(w.FileGeneral(at + i * kHourMs, 2021, 5, 10, serial, category));
  }
  return ids;
}

// Filings on Mon 03.02.2025 10:00 local; vouchers allocated Thu 06.02.2025 16:46 local, due Mon 10.02.
const int64_t kIssuedAt = Kz(2025, 2, 6, 16, 46);
const int64_t kFiledAt = Kz(2025, 2, 3, 10, 0);

}  // namespace

// --- filing and the PMPK's document check ---------------------------------------------------

TEST_CASE("lifecycle: a general filing is accepted at once and enters the queue") {
  World world;
  const Outcome first = Ok(File(world, kFiledAt, General(2021, 5, 10, 1)));
  CHECK(Kinds(first) == "ApplicationAccepted,EnteredQueue,Notification");
  const auto* accepted = first.First<fb::ApplicationAccepted>();
  REQUIRE(accepted != nullptr);
  CHECK(accepted->application() == World::Number(1));
  CHECK(accepted->child_iin()->str() == MakeIin(2021, 5, 10, true, 1));
  CHECK(accepted->queue_type() == fb::QueueType::General);
  CHECK(accepted->filed_at_ms() == kFiledAt);
  const auto* entered = first.First<fb::EnteredQueue>();
  REQUIRE(entered != nullptr);
  CHECK(entered->application() == World::Number(1));
  CHECK(entered->position() == 1);
  const auto* note = first.First<fb::Notification>();
  REQUIRE(note != nullptr);
  CHECK(note->application() == World::Number(1));
  CHECK(note->recipient_iin()->str() == World::kParent);
  CHECK(note->kind() == fb::NotificationKind::ApplicationAccepted);
  CHECK(note->text_ru()->str() == "Ваша заявка принята. Место в очереди 1");
  CHECK(note->text_kk()->str() == "Өтінішіңіз қабылданды. Кезектегі орныңыз: 1");
  CHECK(StatusOf(world, World::Number(1)) == fb::ApplicationStatus::InQueue);
  CHECK(Position(world, World::Number(1)) == 1);

  const Outcome second = Ok(File(world, kFiledAt + kHourMs, General(2021, 5, 10, 11)));
  CHECK(FiledId(second) == World::Number(2));
  CHECK(second.First<fb::EnteredQueue>()->position() == 2);
  CHECK(second.NotificationsRu() == std::vector<std::string>{"Ваша заявка принята. Место в очереди 2"});
}

TEST_CASE("lifecycle: a special filing waits for documents until the PMPK specialist confirms them") {
  World world;
  const Outcome filed = Ok(File(world, kFiledAt, Special(2021, 5, 10, 1)));
  CHECK(Kinds(filed) == "ApplicationAccepted,AwaitingDocuments,Notification");
  const uint64_t app = FiledId(filed);
  CHECK(filed.First<fb::ApplicationAccepted>()->queue_type() == fb::QueueType::Special);
  CHECK(filed.First<fb::AwaitingDocuments>()->application() == app);
  CHECK(filed.First<fb::Notification>()->kind() == fb::NotificationKind::AwaitingDocuments);
  CHECK(filed.NotificationsRu() == std::vector<std::string>{"Ожидание подтверждения документов"});
  CHECK(StatusOf(world, app) == fb::ApplicationStatus::AwaitingDocuments);
  CHECK_FALSE(world.engine.PositionOf(ApplicationId{app}).has_value());  // no position yet
  CHECK(App(world, app).conclusion_document == "ПМПК-2025/0142");
  CHECK(App(world, app).chosen_kindergarten.value == World::kKindergarten);

  const Outcome confirmed = Ok(Confirm(world, kFiledAt + kHourMs, app));
  CHECK(Kinds(confirmed) == "EnteredQueue,Notification");
  CHECK(confirmed.First<fb::EnteredQueue>()->position() == 1);
  CHECK(confirmed.First<fb::Notification>()->kind() == fb::NotificationKind::DocumentsConfirmed);
  CHECK(confirmed.NotificationsRu() ==
        std::vector<std::string>{"Ваша заявка на получение ваучера подтверждена. Место в очереди: 1"});
  CHECK(StatusOf(world, app) == fb::ApplicationStatus::InQueue);

  // A second child of the same special queue is confirmed behind the first.
  const uint64_t second = FiledId(Ok(File(world, kFiledAt + 2 * kHourMs, Special(2021, 7, 1, 1))));
  const Outcome confirmed2 = Ok(Confirm(world, kFiledAt + 3 * kHourMs, second));
  CHECK(confirmed2.NotificationsRu() ==
        std::vector<std::string>{"Ваша заявка на получение ваучера подтверждена. Место в очереди: 2"});
}

TEST_CASE("lifecycle: a special application confirmed later still ranks by its filing time") {
  World world;
  const uint64_t early = FiledId(Ok(File(world, kFiledAt, Special(2021, 5, 10, 1))));
  const uint64_t late = FiledId(Ok(File(world, kFiledAt + kHourMs, Special(2021, 7, 1, 1))));
  // The later filing is confirmed first, then the earlier one goes ahead of it.
  CHECK(Ok(Confirm(world, kFiledAt + 2 * kHourMs, late)).First<fb::EnteredQueue>()->position() == 1);
  CHECK(Ok(Confirm(world, kFiledAt + 3 * kHourMs, early)).First<fb::EnteredQueue>()->position() == 1);
  CHECK(Position(world, early) == 1);
  CHECK(Position(world, late) == 2);
}

TEST_CASE("lifecycle: documents rejected by the PMPK specialist archive the application, naming them") {
  World world;
  const uint64_t app = FiledId(Ok(File(world, kFiledAt, Special(2021, 5, 10, 1))));
  const Outcome rejected =
      Ok(RejectDocs(world, kFiledAt + kHourMs, app, "Ахметова Айгуль Сериковна", "заключение ПМПК просрочено"));
  CHECK(Kinds(rejected) == "DocumentsRejected,Notification,Archived,Notification");
  const auto* documents = rejected.First<fb::DocumentsRejected>();
  REQUIRE(documents != nullptr);
  CHECK(documents->application() == app);
  CHECK(documents->specialist_name()->str() == "Ахметова Айгуль Сериковна");
  CHECK(documents->reason()->str() == "заключение ПМПК просрочено");
  const auto texts = rejected.NotificationsRu();
  REQUIRE(texts.size() == 2);
  CHECK(texts[0] == "Ваша заявка на получение ваучера отклонена сотрудником: Ахметова Айгуль Сериковна");
  CHECK(rejected.All<fb::Notification>()[0]->kind() == fb::NotificationKind::DocumentsRejected);
  CHECK(rejected.All<fb::Notification>()[1]->kind() == fb::NotificationKind::Archived);
  const auto* archived = rejected.First<fb::Archived>();
  REQUIRE(archived != nullptr);
  CHECK(archived->application() == app);
  CHECK(archived->reason() == fb::ArchiveReason::DocumentsRejected);
  CHECK(StatusOf(world, app) == fb::ApplicationStatus::Archived);
  CHECK(App(world, app).archive_reason == fb::ArchiveReason::DocumentsRejected);

  // The child may file again (the archived application is no longer active).
  Ok(File(world, kFiledAt + 2 * kHourMs, Special(2021, 5, 10, 1)));
}

TEST_CASE("lifecycle: a child may wait in the general and the special queue at once") {
  World world;
  Ok(File(world, kFiledAt, General(2021, 5, 10, 1)));
  Ok(File(world, kFiledAt + kHourMs, Special(2021, 5, 10, 1)));
  CHECK(world.engine.state().applications.size() == 3);  // [0] unused
}

TEST_CASE(
    "lifecycle: the special queue offers the ДО whose groups serve the correction type, as the catalogue changes") {
  World world;
  const auto admin = [&world](auto body) {
    Ok(world.Do(World::Action(fb::Role::EducationDepartment, std::move(body)), kFiledAt - kHourMs));
  };
  // Renaming the ДО keeps its groups.
  admin(fb::UpsertKindergartenT{{}, World::kKindergarten, World::kLocality, "Ботакоз-2", "Бөбек-2"});
  Ok(File(world, kFiledAt, Special(2021, 5, 10, 1)));
  // The speech group moves (it holds no child) to a new ДО: the old one no longer serves speech.
  admin(fb::UpsertKindergartenT{{}, 11, World::kLocality, "Айгөлек", "Айгөлек"});
  admin(fb::UpsertGroupT{{}, World::kGroupSpeech, 11, fb::Language::Kk, 2, 5, fb::CorrectionType::Speech, 1});
  CHECK(File(world, kFiledAt + kHourMs, Special(2021, 7, 1, 1)).code == fb::RejectionCode::CorrectionTypeNotServed);
  fb::FileApplicationT at_new = Special(2021, 7, 1, 1);
  at_new.kindergarten = 11;
  Ok(File(world, kFiledAt + 2 * kHourMs, std::move(at_new)));
}

// --- the queue order -------------------------------------------------------------------------

TEST_CASE("lifecycle: positions are 1..n and move up for everyone behind when someone ahead leaves") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 4);
  for (size_t i = 0; i < ids.size(); ++i) CHECK(Position(world, ids[i]) == i + 1);

  const Outcome withdrawn = Ok(Withdraw(world, kFiledAt + 10 * kHourMs, ids[1]));
  CHECK(Kinds(withdrawn) == "Archived,Notification");
  CHECK(withdrawn.First<fb::Archived>()->reason() == fb::ArchiveReason::Withdrawn);
  CHECK_FALSE(world.engine.PositionOf(ApplicationId{ids[1]}).has_value());
  CHECK(Position(world, ids[0]) == 1);
  CHECK(Position(world, ids[2]) == 2);
  CHECK(Position(world, ids[3]) == 3);

  Ok(Withdraw(world, kFiledAt + 11 * kHourMs, ids[0]));
  CHECK(Position(world, ids[2]) == 1);
  CHECK(Position(world, ids[3]) == 2);

  // Someone behind leaving moves nobody.
  Ok(Withdraw(world, kFiledAt + 12 * kHourMs, ids[3]));
  CHECK(Position(world, ids[2]) == 1);
}

TEST_CASE("lifecycle: priority tiers go ahead of the general line, each in filing order") {
  World world;
  const uint64_t g1 = world.FileGeneral(kFiledAt, 2021, 5, 10, 1, "general");
  const uint64_t g2 = world.FileGeneral(kFiledAt + 1 * kHourMs, 2021, 5, 10, 11, "general");
  const Outcome primary = Ok(File(world, kFiledAt + 2 * kHourMs, General(2021, 5, 10, 21, "orphans")));
  CHECK(primary.First<fb::EnteredQueue>()->position() == 1);
  const uint64_t p1 = FiledId(primary);
  const Outcome extraordinary =
      Ok(File(world, kFiledAt + 3 * kHourMs, General(2021, 5, 10, 31, "servicemen_children")));
  CHECK(extraordinary.First<fb::EnteredQueue>()->position() == 1);
  const uint64_t e1 = FiledId(extraordinary);
  const Outcome primary2 = Ok(File(world, kFiledAt + 4 * kHourMs, General(2021, 5, 10, 41, "large_families")));
  CHECK(primary2.First<fb::EnteredQueue>()->position() == 3);
  const uint64_t p2 = FiledId(primary2);

  CHECK(Position(world, e1) == 1);
  CHECK(Position(world, p1) == 2);
  CHECK(Position(world, p2) == 3);
  CHECK(Position(world, g1) == 4);
  CHECK(Position(world, g2) == 5);

  // Vouchers go out in that order.
  const Outcome issued = Ok(world.Allocate(kIssuedAt, 2021, 5));
  const auto vouchers = issued.All<fb::VoucherIssued>();
  REQUIRE(vouchers.size() == 5);
  const uint64_t expected[] = {e1, p1, p2, g1, g2};
  for (size_t i = 0; i < 5; ++i) {
    CHECK(vouchers[i]->application() == expected[i]);
    CHECK(vouchers[i]->voucher() == World::Number(i + 1));
  }
}

TEST_CASE("lifecycle: a ratio policy serves 1 priority place for every 3 general ones") {
  World world;
  Ok(world.Do(World::Action(fb::Role::EducationDepartment, Policy(World::kLocality, 1, 3)), kFiledAt - kHourMs));

  SUBCASE("positions and the order of issue follow P,G,G,G,P,G,G,G") {
    const auto general = FileMany(world, kFiledAt, 6, "general", 1);
    const auto priority = FileMany(world, kFiledAt + 6 * kHourMs, 2, "orphans", 101);
    CHECK(Position(world, priority[0]) == 1);
    CHECK(Position(world, general[0]) == 2);
    CHECK(Position(world, general[1]) == 3);
    CHECK(Position(world, general[2]) == 4);
    CHECK(Position(world, priority[1]) == 5);
    CHECK(Position(world, general[3]) == 6);
    CHECK(Position(world, general[4]) == 7);
    CHECK(Position(world, general[5]) == 8);

    const Outcome issued = Ok(world.Allocate(kIssuedAt, 2021, 8));
    const auto vouchers = issued.All<fb::VoucherIssued>();
    REQUIRE(vouchers.size() == 8);
    const uint64_t expected[] = {priority[0], general[0], general[1], general[2],
                                 priority[1], general[3], general[4], general[5]};
    for (size_t i = 0; i < 8; ++i) {
      CAPTURE(i);
      CHECK(vouchers[i]->application() == expected[i]);
    }
  }

  SUBCASE("with one line empty, positions fall back to the other line's own order") {
    const auto general = FileMany(world, kFiledAt, 3, "general", 1);
    CHECK(Position(world, general[0]) == 1);
    CHECK(Position(world, general[1]) == 2);
    CHECK(Position(world, general[2]) == 3);
    World only_priority;
    Ok(only_priority.Do(World::Action(fb::Role::EducationDepartment, Policy(World::kLocality, 1, 3)),
                        kFiledAt - kHourMs));
    const auto priority = FileMany(only_priority, kFiledAt, 3, "orphans", 101);
    CHECK(Position(only_priority, priority[0]) == 1);
    CHECK(Position(only_priority, priority[1]) == 2);
    CHECK(Position(only_priority, priority[2]) == 3);
  }

  SUBCASE("when the priority line runs dry, every further place goes to the general line") {
    const auto general = FileMany(world, kFiledAt, 6, "general", 1);
    const uint64_t p1 = FileMany(world, kFiledAt + 6 * kHourMs, 1, "orphans", 101)[0];
    CHECK(Position(world, p1) == 1);
    for (size_t i = 0; i < 6; ++i) CHECK(Position(world, general[i]) == i + 2);  // 2..7, no gap
    const Outcome issued = Ok(world.Allocate(kIssuedAt, 2021, 7));
    const auto vouchers = issued.All<fb::VoucherIssued>();
    REQUIRE(vouchers.size() == 7);
    CHECK(vouchers[0]->application() == p1);
    for (size_t i = 0; i < 6; ++i) CHECK(vouchers[i + 1]->application() == general[i]);
  }

  SUBCASE("the cycle carries over from one allocation to the next") {
    const auto general = FileMany(world, kFiledAt, 4, "general", 1);
    const uint64_t p1 = FileMany(world, kFiledAt + 4 * kHourMs, 1, "orphans", 101)[0];
    const Outcome first = Ok(world.Allocate(kIssuedAt, 2021, 1));
    REQUIRE(first.All<fb::VoucherIssued>().size() == 1);
    CHECK(first.First<fb::VoucherIssued>()->application() == p1);
    // The next three places belong to the general line, even for a priority child filed now.
    const uint64_t p2 = FileMany(world, kIssuedAt + kHourMs, 1, "orphans", 201)[0];
    CHECK(Position(world, general[0]) == 1);
    CHECK(Position(world, general[1]) == 2);
    CHECK(Position(world, general[2]) == 3);
    CHECK(Position(world, p2) == 4);
    CHECK(Position(world, general[3]) == 5);
  }
}

TEST_CASE("lifecycle: queues are separate by birth year and language") {
  World world;
  const uint64_t kk2021 = world.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  const uint64_t ru2021 = world.FileGeneral(kFiledAt + kHourMs, 2021, 5, 10, 11, "general", fb::Language::Ru);
  const uint64_t kk2020 = world.FileGeneral(kFiledAt + 2 * kHourMs, 2020, 5, 10, 1);
  CHECK(Position(world, kk2021) == 1);
  CHECK(Position(world, ru2021) == 1);
  CHECK(Position(world, kk2020) == 1);
  const Outcome ru = Ok(world.Allocate(kIssuedAt, 2021, 1, fb::Language::Ru));
  REQUIRE(ru.All<fb::VoucherIssued>().size() == 1);
  CHECK(ru.First<fb::VoucherIssued>()->application() == ru2021);
  CHECK(StatusOf(world, kk2021) == fb::ApplicationStatus::InQueue);
  CHECK(StatusOf(world, kk2020) == fb::ApplicationStatus::InQueue);
}

// --- vouchers ----------------------------------------------------------------------------

TEST_CASE("lifecycle: allocated vouchers go to the head of the queue; the rest wait for the next to enter") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 2);
  const Outcome allocated = Ok(world.Allocate(kIssuedAt, 2021, 3));
  CHECK(Kinds(allocated) == "VouchersAllocated,VoucherIssued,Notification,VoucherIssued,Notification");
  const auto* batch = allocated.First<fb::VouchersAllocated>();
  REQUIRE(batch != nullptr);
  CHECK(batch->locality() == World::kLocality);
  CHECK(batch->birth_year() == 2021);
  CHECK(batch->first_voucher() == World::Number(1));
  CHECK(batch->count() == 3);
  const auto issued = allocated.All<fb::VoucherIssued>();
  REQUIRE(issued.size() == 2);
  CHECK(issued[0]->application() == ids[0]);
  CHECK(issued[0]->voucher() == World::Number(1));
  CHECK(issued[1]->application() == ids[1]);
  CHECK(issued[1]->voucher() == World::Number(2));
  CHECK(issued[0]->deadline_date() == 20250210);
  CHECK(allocated.NotificationsRu() ==
        std::vector<std::string>{"Ребенку Тест Тест 1 выдан ваучер. Подтвердите заинтересованность до 10.02.2025",
                                 "Ребенку Тест Тест 11 выдан ваучер. Подтвердите заинтересованность до 10.02.2025"});
  for (const uint64_t id : ids) {
    CHECK(StatusOf(world, id) == fb::ApplicationStatus::VoucherIssued);
    CHECK_FALSE(world.engine.PositionOf(ApplicationId{id}).has_value());  // a holder has no position
  }
  const State& state = world.engine.state();
  const Queue& queue = state.queues[App(world, ids[0]).queue];
  CHECK(queue.size() == 0);
  CHECK(queue.free_vouchers().size() == 1);

  // The next child to enter the queue meets the free voucher at once.
  const Outcome filed = Ok(File(world, kIssuedAt + kHourMs, General(2021, 5, 10, 21)));
  CHECK(Kinds(filed) == "ApplicationAccepted,EnteredQueue,Notification,VoucherIssued,Notification");
  CHECK(filed.First<fb::EnteredQueue>()->position() == 1);
  CHECK(filed.First<fb::VoucherIssued>()->voucher() == World::Number(3));
  CHECK(filed.First<fb::VoucherIssued>()->application() == FiledId(filed));
  CHECK(queue.free_vouchers().empty());
}

TEST_CASE("lifecycle: answer «Нет»: the voucher is annulled, the application archived, the next in line gets it") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 2);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  const Outcome declined = Ok(world.Answer(Kz(2025, 2, 7, 9, 0), ids[0], false));
  CHECK(Kinds(declined) == "VoucherAnnulled,Notification,Archived,Notification,VoucherIssued,Notification");
  const auto* annulled = declined.First<fb::VoucherAnnulled>();
  REQUIRE(annulled != nullptr);
  CHECK(annulled->application() == ids[0]);
  CHECK(annulled->voucher() == World::Number(1));
  CHECK(annulled->reason() == fb::AnnulReason::Declined);
  CHECK(declined.First<fb::Archived>()->reason() == fb::ArchiveReason::Declined);
  const auto* next = declined.First<fb::VoucherIssued>();
  REQUIRE(next != nullptr);
  CHECK(next->application() == ids[1]);
  CHECK(next->voucher() == World::Number(1));
  CHECK(next->deadline_date() == 20250211);  // 2 working days from Fri 07.02: Mon 10, Tue 11
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::Archived);
  CHECK(StatusOf(world, ids[1]) == fb::ApplicationStatus::VoucherIssued);
  // Declining ends the application: the family must queue again.
  CHECK(world.engine.state().children.at(App(world, ids[0]).child).active[0].value == 0);
}

TEST_CASE("lifecycle: no answer by the deadline: voucher annulled, stop-listed, the voucher moves on") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 2);
  const Outcome issued = Ok(world.Allocate(kIssuedAt, 2021, 1));
  const int64_t deadline = EndOfDayKz(2025, 2, 10);
  CHECK(issued.First<fb::VoucherIssued>()->deadline_ms() == deadline);

  // One millisecond before the end of 10.02 (local) nothing happens.
  const Outcome before = Ok(world.Tick(deadline - 1));
  CHECK(Kinds(before).empty());
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::VoucherIssued);

  const Outcome expired = Ok(world.Tick(deadline));
  CHECK(Kinds(expired) == "VoucherAnnulled,Notification,StopListed,Notification,VoucherIssued,Notification");
  const auto* annulled = expired.First<fb::VoucherAnnulled>();
  REQUIRE(annulled != nullptr);
  CHECK(annulled->application() == ids[0]);
  CHECK(annulled->reason() == fb::AnnulReason::InterestNotConfirmed);
  const auto* stop = expired.First<fb::StopListed>();
  REQUIRE(stop != nullptr);
  CHECK(stop->application() == ids[0]);
  CHECK(stop->return_at_ms() == deadline + 10 * kMsPerDay);
  const auto texts = expired.NotificationsRu();
  REQUIRE(texts.size() == 3);
  CHECK(texts[0] == "Ваучер аннулирован: заинтересованность не подтверждена в срок");
  CHECK(texts[1] == "Заявление перемещено в стоп-лист. Возврат в очередь 21.02.2025");
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::StopListed);
  CHECK_FALSE(world.engine.PositionOf(ApplicationId{ids[0]}).has_value());
  // The voucher goes to the next in line at the deadline's instant: 00:00 on 11.02 local.
  const auto* next = expired.First<fb::VoucherIssued>();
  REQUIRE(next != nullptr);
  CHECK(next->application() == ids[1]);
  CHECK(next->deadline_date() == 20250213);

  // A late answer is refused.
  CHECK(world.Answer(deadline + kHourMs, ids[0], true).code == fb::RejectionCode::AnswerAfterDeadline);
}

TEST_CASE("lifecycle: an answer in the deadline's last millisecond counts") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 1);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  const Outcome yes = Ok(world.Answer(EndOfDayKz(2025, 2, 10) - 1, ids[0], true));
  CHECK(Kinds(yes) == "InterestConfirmed,Notification");
}

TEST_CASE("lifecycle: after 10 days on the stop-list the child returns keeping the original filing time") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 4);  // a, b, c, d
  Ok(world.Allocate(kIssuedAt, 2021, 1));         // a holds the voucher
  const int64_t deadline = EndOfDayKz(2025, 2, 10);
  Ok(world.Tick(deadline));  // a stop-listed, b holds the voucher
  REQUIRE(StatusOf(world, ids[1]) == fb::ApplicationStatus::VoucherIssued);
  // b uses the voucher: enrolled before a returns.
  Ok(world.Answer(Kz(2025, 2, 11, 9, 0), ids[1], true));
  Ok(Choose(world, Kz(2025, 2, 11, 10, 0), ids[1], World::kGroupKk));
  Ok(SendContract(world, Kz(2025, 2, 12, 10, 0), ids[1]));
  Ok(ParentSigns(world, Kz(2025, 2, 12, 12, 0), ids[1]));
  Ok(KindergartenSigns(world, Kz(2025, 2, 13, 10, 0), ids[1]));
  CHECK(Position(world, ids[2]) == 1);
  CHECK(Position(world, ids[3]) == 2);

  const int64_t return_at = deadline + 10 * kMsPerDay;
  CHECK(Kinds(Ok(world.Tick(return_at - 1))).empty());
  const Outcome returned = Ok(world.Tick(return_at));
  CHECK(Kinds(returned) == "ReturnedToQueue,Notification");
  const auto* back = returned.First<fb::ReturnedToQueue>();
  REQUIRE(back != nullptr);
  CHECK(back->application() == ids[0]);
  CHECK(back->position() == 1);
  CHECK(returned.NotificationsRu() == std::vector<std::string>{"Заявление возвращено в очередь. Место в очереди: 1"});
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::InQueue);
  CHECK(App(world, ids[0]).filed_at.value == kFiledAt);
  CHECK(Position(world, ids[0]) == 1);
  CHECK(Position(world, ids[2]) == 2);
  CHECK(Position(world, ids[3]) == 3);
  // Back in the queue, the late answer's refusal is an ordinary one: no voucher awaits an answer.
  CHECK(world.Answer(return_at + kHourMs, ids[0], true).code == fb::RejectionCode::TransitionNotAllowed);
}

TEST_CASE("lifecycle: a child returning from the stop-list meets a free voucher at once") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 2);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  const int64_t deadline = EndOfDayKz(2025, 2, 10);
  Ok(world.Tick(deadline));                                // a stop-listed, b holds it
  Ok(world.Answer(Kz(2025, 2, 11, 9, 0), ids[1], false));  // b declines: the voucher is free
  const Outcome returned = Ok(world.Tick(deadline + 10 * kMsPerDay));
  CHECK(Kinds(returned) == "ReturnedToQueue,Notification,VoucherIssued,Notification");
  CHECK(returned.First<fb::VoucherIssued>()->application() == ids[0]);
}

TEST_CASE("lifecycle: a tick long after a deadline expires it at its own instant, and hands the voucher on from the tick") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 2);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  // a's deadline passes at 10.02 19:00Z; b is told of the voucher only when the tick comes, on
  // Thu 20.02 15:00 local, and gets 2 working days from then (DESIGN §4): Fri 21, Mon 24.
  const Outcome late = Ok(world.Tick(Utc(2025, 2, 20, 10, 0)));
  CHECK(Kinds(late) == "VoucherAnnulled,Notification,StopListed,Notification,VoucherIssued,Notification");
  const auto* issued = late.First<fb::VoucherIssued>();
  REQUIRE(issued != nullptr);
  CHECK(issued->application() == ids[1]);
  CHECK(issued->deadline_ms() == EndOfDayKz(2025, 2, 24));
  const auto stops = late.All<fb::StopListed>();
  REQUIRE(stops.size() == 1);
  CHECK(stops[0]->application() == ids[0]);
  CHECK(stops[0]->return_at_ms() == EndOfDayKz(2025, 2, 10) + 10 * kMsPerDay);  // from a's own expiry
  CHECK(late.journal()->engine_time_ms() == Utc(2025, 2, 20, 10, 0));

  // a returns at its own instant, behind nobody: b holds the voucher.
  const Outcome a_back = Ok(world.Tick(EndOfDayKz(2025, 2, 20)));
  CHECK(Kinds(a_back) == "ReturnedToQueue,Notification");
  CHECK(a_back.First<fb::ReturnedToQueue>()->position() == 1);
  // b stays silent: its voucher goes to a, due 2 working days after Tue 25.02: Wed 26, Thu 27.
  const Outcome b_lost = Ok(world.Tick(EndOfDayKz(2025, 2, 24)));
  CHECK(Kinds(b_lost) == "VoucherAnnulled,Notification,StopListed,Notification,VoucherIssued,Notification");
  CHECK(b_lost.First<fb::VoucherIssued>()->application() == ids[0]);
  CHECK(b_lost.First<fb::VoucherIssued>()->deadline_date() == 20250227);
}

TEST_CASE("lifecycle: a tick after the stop-list's return day too: the family is told the return, not a return date gone") {
  World world;
  const uint64_t app = world.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  // Due 10.02; back on 21.02 00:00; the server down until Tue 25.02 10:00 local.
  const Outcome late = Ok(world.Tick(Kz(2025, 2, 25, 10, 0)));
  CHECK(Kinds(late) == "VoucherAnnulled,Notification,StopListed,ReturnedToQueue,Notification,VoucherIssued,Notification");
  REQUIRE(late.First<fb::StopListed>() != nullptr);
  CHECK(late.First<fb::StopListed>()->return_at_ms() == Kz(2025, 2, 21, 0, 0));  // the record keeps the rule's date
  for (const std::string& text : late.NotificationsRu()) {
    CAPTURE(text);
    CHECK(text.find("21.02.2025") == std::string::npos);
    CHECK(text.find("стоп-лист") == std::string::npos);
  }
  CHECK(late.First<fb::VoucherIssued>()->application() == app);
  // A tick in time (before the return day): the stop-list and its return date are told.
  World in_time;
  in_time.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  Ok(in_time.Allocate(kIssuedAt, 2021, 1));
  const Outcome stopped = Ok(in_time.Tick(Kz(2025, 2, 11, 10, 0)));
  CHECK(Kinds(stopped) == "VoucherAnnulled,Notification,StopListed,Notification");
  CHECK(stopped.NotificationsRu().back() == "Заявление перемещено в стоп-лист. Возврат в очередь 21.02.2025");
}

TEST_CASE("lifecycle: deadlines due together are handled in application order") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 4);
  Ok(world.Allocate(kIssuedAt, 2021, 2));  // a and b hold vouchers with the same deadline
  const Outcome expired = Ok(world.Tick(EndOfDayKz(2025, 2, 10)));
  const auto annulled = expired.All<fb::VoucherAnnulled>();
  const auto issued = expired.All<fb::VoucherIssued>();
  REQUIRE(annulled.size() == 2);
  REQUIRE(issued.size() == 2);
  CHECK(annulled[0]->application() == ids[0]);
  CHECK(issued[0]->application() == ids[2]);
  CHECK(issued[0]->voucher() == annulled[0]->voucher());
  CHECK(annulled[1]->application() == ids[1]);
  CHECK(issued[1]->application() == ids[3]);
  CHECK(issued[1]->voucher() == annulled[1]->voucher());
}

TEST_CASE("lifecycle: answer «Да»: the voucher is in use with 5 working days to enroll") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 1);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  const Outcome yes = Ok(world.Answer(Kz(2025, 2, 7, 10, 0), ids[0], true));
  CHECK(Kinds(yes) == "InterestConfirmed,Notification");
  const auto* confirmed = yes.First<fb::InterestConfirmed>();
  REQUIRE(confirmed != nullptr);
  CHECK(confirmed->application() == ids[0]);
  CHECK(confirmed->voucher() == World::Number(1));
  CHECK(confirmed->deadline_date() == 20250214);  // Mon 10 .. Fri 14
  CHECK(confirmed->deadline_ms() == EndOfDayKz(2025, 2, 14));
  CHECK(yes.NotificationsRu() ==
        std::vector<std::string>{
            "Заинтересованность подтверждена. Выберите детский сад и заключите договор до 14.02.2025"});
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::VoucherInUse);
  CHECK(world.engine.state().voucher(VoucherId{World::Number(1)}).state == VoucherState::InUse);
  // The interest deadline no longer applies.
  CHECK(Kinds(Ok(world.Tick(EndOfDayKz(2025, 2, 10)))).empty());
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::VoucherInUse);
}

TEST_CASE("lifecycle: the voucher is extended by 2 working days only on its 5th day, and only once") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 1);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), ids[0], true));  // due Fri 14.02

  SUBCASE("before the 5th day: refused") {
    CHECK(Extend(world, Kz(2025, 2, 13, 23, 59), ids[0]).code == fb::RejectionCode::ExtensionNotOnFifthDay);
    CHECK(Extend(world, Kz(2025, 2, 10, 9, 0), ids[0]).code == fb::RejectionCode::ExtensionNotOnFifthDay);
  }
  SUBCASE("at 00:00 on the 5th day (local)") {
    CHECK(Ok(Extend(world, Kz(2025, 2, 14, 0, 0), ids[0])).First<fb::ExtensionGranted>()->deadline_date() == 20250218);
  }
  SUBCASE("at 23:59 on the 5th day (local)") {
    CHECK(Ok(Extend(world, Kz(2025, 2, 14, 23, 59), ids[0])).First<fb::ExtensionGranted>()->deadline_date() ==
          20250218);
  }
  SUBCASE("on the 5th day: +2 working days (Mon 17, Tue 18), then never again") {
    const Outcome extended = Ok(Extend(world, Kz(2025, 2, 14, 9, 0), ids[0]));
    CHECK(Kinds(extended) == "ExtensionGranted,Notification");
    const auto* granted = extended.First<fb::ExtensionGranted>();
    REQUIRE(granted != nullptr);
    CHECK(granted->deadline_date() == 20250218);
    CHECK(granted->deadline_ms() == EndOfDayKz(2025, 2, 18));
    CHECK(extended.NotificationsRu() == std::vector<std::string>{"Срок действия ваучера продлен до 18.02.2025"});
    CHECK(App(world, ids[0]).extension_used);
    CHECK(Extend(world, Kz(2025, 2, 18, 9, 0), ids[0]).code == fb::RejectionCode::ExtensionAlreadyUsed);
    CHECK(Extend(world, Kz(2025, 2, 14, 10, 0), ids[0]).code == fb::RejectionCode::ExtensionAlreadyUsed);
    // The old deadline no longer applies; the new one does.
    CHECK(Kinds(Ok(world.Tick(EndOfDayKz(2025, 2, 14)))).empty());
    const Outcome expired = Ok(world.Tick(EndOfDayKz(2025, 2, 18)));
    CHECK(expired.First<fb::Archived>()->reason() == fb::ArchiveReason::NotEnrolledInTime);
  }
  SUBCASE("after the 5th day has ended, the voucher has expired") {
    CHECK(Extend(world, Kz(2025, 2, 15, 0, 0), ids[0]).code == fb::RejectionCode::AnswerAfterDeadline);
  }
  SUBCASE("while waiting for the contract, too") {
    Ok(Choose(world, Kz(2025, 2, 14, 8, 0), ids[0], World::kGroupKk));
    Ok(Extend(world, Kz(2025, 2, 14, 9, 0), ids[0]));
    CHECK(App(world, ids[0]).deadline_date == civil::FromYmd({2025, 2, 18}));
  }
  SUBCASE("not once the contract is sent: its own signature deadline runs") {
    Ok(Choose(world, Kz(2025, 2, 10, 8, 0), ids[0], World::kGroupKk));
    Ok(SendContract(world, Kz(2025, 2, 10, 9, 0), ids[0]));
    CHECK(Extend(world, Kz(2025, 2, 14, 9, 0), ids[0]).code == fb::RejectionCode::TransitionNotAllowed);
  }
}

// --- enrollment ------------------------------------------------------------------------------

TEST_CASE("lifecycle: choosing a ДО and group reserves a place; the capacity holds") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 3);
  Ok(world.Allocate(kIssuedAt, 2021, 3));
  for (const uint64_t id : ids) Ok(world.Answer(Kz(2025, 2, 7, 10, 0), id, true));

  const Outcome chosen = Ok(Choose(world, Kz(2025, 2, 10, 10, 0), ids[0], World::kGroupKk));
  CHECK(Kinds(chosen) == "EnrollmentRequested,Notification");
  const auto* request = chosen.First<fb::EnrollmentRequested>();
  REQUIRE(request != nullptr);
  CHECK(request->application() == ids[0]);
  CHECK(request->kindergarten() == World::kKindergarten);
  CHECK(request->group() == World::kGroupKk);
  CHECK(chosen.NotificationsRu() == std::vector<std::string>{"Ожидайте договор от ДО"});
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::AwaitingContract);
  CHECK(Taken(world, World::kGroupKk) == 1);

  Ok(Choose(world, Kz(2025, 2, 10, 11, 0), ids[1], World::kGroupKk));
  CHECK(Taken(world, World::kGroupKk) == 2);
  const Outcome full = Choose(world, Kz(2025, 2, 10, 12, 0), ids[2], World::kGroupKk);
  CHECK(full.code == fb::RejectionCode::NoFreePlace);
  CHECK(StatusOf(world, ids[2]) == fb::ApplicationStatus::VoucherInUse);

  // A withdrawal frees the place and the voucher; the third child takes the place.
  const Outcome withdrawn = Ok(Withdraw(world, Kz(2025, 2, 10, 13, 0), ids[0]));
  CHECK(withdrawn.First<fb::VoucherAnnulled>()->reason() == fb::AnnulReason::Withdrawn);
  CHECK(Taken(world, World::kGroupKk) == 1);
  Ok(Choose(world, Kz(2025, 2, 10, 14, 0), ids[2], World::kGroupKk));
  CHECK(Taken(world, World::kGroupKk) == 2);
}

TEST_CASE("lifecycle: contract sent, signed by the parent and the ДО: enrolled and archived") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 1);
  const uint64_t app = ids[0];
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), app, true));
  Ok(Choose(world, Kz(2025, 2, 10, 10, 0), app, World::kGroupKk));

  const Outcome sent = Ok(SendContract(world, Kz(2025, 2, 11, 10, 0), app, "Д-2025/17"));
  CHECK(Kinds(sent) == "ContractSent,Notification");
  const auto* contract = sent.First<fb::ContractSent>();
  REQUIRE(contract != nullptr);
  CHECK(contract->contract_number()->str() == "Д-2025/17");
  CHECK(contract->deadline_date() == 20250218);  // 12, 13, 14, 17, 18
  CHECK(contract->deadline_ms() == EndOfDayKz(2025, 2, 18));
  CHECK(sent.NotificationsRu() ==
        std::vector<std::string>{"Подпишите договор в течение 5 рабочих дней (до 18.02.2025)"});
  CHECK(StatusOf(world, app) == fb::ApplicationStatus::ContractSent);

  const Outcome signed_by_parent = Ok(ParentSigns(world, Kz(2025, 2, 12, 10, 0), app));
  CHECK(Kinds(signed_by_parent) == "ParentSigned");
  const auto* parent = signed_by_parent.First<fb::ParentSigned>();
  REQUIRE(parent != nullptr);
  CHECK(parent->document_sha256()->str() == kParentDigest);
  CHECK(parent->deadline_date() == 20250219);  // the ДО's 5 working days: 13, 14, 17, 18, 19
  CHECK(StatusOf(world, app) == fb::ApplicationStatus::ParentSigned);

  const Outcome enrolled = Ok(KindergartenSigns(world, Kz(2025, 2, 13, 10, 0), app));
  CHECK(Kinds(enrolled) == "Enrolled,Notification,Archived,Notification");
  const auto* done = enrolled.First<fb::Enrolled>();
  REQUIRE(done != nullptr);
  CHECK(done->application() == app);
  CHECK(done->kindergarten() == World::kKindergarten);
  CHECK(done->group() == World::kGroupKk);
  CHECK(done->voucher() == World::Number(1));
  CHECK(done->document_sha256()->str() == kKindergartenDigest);
  CHECK(enrolled.NotificationsRu() ==
        std::vector<std::string>{"Ребенок зачислен в ДО «Ботакоз»", "Заявление перемещено в архив: ребенок зачислен"});
  CHECK(enrolled.First<fb::Archived>()->reason() == fb::ArchiveReason::Enrolled);
  CHECK(StatusOf(world, app) == fb::ApplicationStatus::Archived);
  CHECK(world.engine.state().voucher(VoucherId{World::Number(1)}).state == VoucherState::Used);
  CHECK(Taken(world, World::kGroupKk) == 1);  // the place stays taken by the enrolled child
  CHECK(App(world, app).parent_document_sha256 == kParentDigest);
  CHECK(App(world, app).kindergarten_document_sha256 == kKindergartenDigest);
  // No deadline of the finished application fires later.
  CHECK(Kinds(Ok(world.Tick(Utc(2025, 3, 31)))).empty());
}

TEST_CASE("lifecycle: not enrolled in time: voucher annulled, archived, the place released, the voucher moves on") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 2);
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), ids[0], true));  // due 14.02

  SUBCASE("no contract by the deadline") {
    Ok(Choose(world, Kz(2025, 2, 10, 10, 0), ids[0], World::kGroupKk));
    CHECK(Taken(world, World::kGroupKk) == 1);
    CHECK(Kinds(Ok(world.Tick(EndOfDayKz(2025, 2, 14) - 1))).empty());
    const Outcome expired = Ok(world.Tick(EndOfDayKz(2025, 2, 14)));
    CHECK(Kinds(expired) == "VoucherAnnulled,Notification,Archived,Notification,VoucherIssued,Notification");
    CHECK(expired.First<fb::VoucherAnnulled>()->reason() == fb::AnnulReason::NotEnrolledInTime);
    CHECK(expired.First<fb::Archived>()->reason() == fb::ArchiveReason::NotEnrolledInTime);
    CHECK(expired.First<fb::VoucherIssued>()->application() == ids[1]);
    CHECK(Taken(world, World::kGroupKk) == 0);
    CHECK(expired.NotificationsRu()[1] ==
          "Заявление перемещено в архив: зачисление не завершено в установленные сроки");
    // Acting on the expired voucher is refused as too late.
    CHECK(Choose(world, EndOfDayKz(2025, 2, 14) + kHourMs, ids[0], World::kGroupKk).code ==
          fb::RejectionCode::AnswerAfterDeadline);
  }
  SUBCASE("the parent does not sign the contract in 5 working days") {
    Ok(Choose(world, Kz(2025, 2, 10, 10, 0), ids[0], World::kGroupKk));
    Ok(SendContract(world, Kz(2025, 2, 11, 10, 0), ids[0]));        // sign by 18.02
    CHECK(Kinds(Ok(world.Tick(EndOfDayKz(2025, 2, 14)))).empty());  // the contract's deadline replaces it
    const Outcome expired = Ok(world.Tick(EndOfDayKz(2025, 2, 18)));
    CHECK(expired.First<fb::Archived>()->reason() == fb::ArchiveReason::NotEnrolledInTime);
    CHECK(Taken(world, World::kGroupKk) == 0);
    CHECK(ParentSigns(world, EndOfDayKz(2025, 2, 18) + kHourMs, ids[0]).code == fb::RejectionCode::AnswerAfterDeadline);
  }
}

TEST_CASE("lifecycle: the ДО not countersigning in 5 working days lapses the request, not the voucher") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 1);
  const uint64_t app = ids[0];
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), app, true));
  Ok(Choose(world, Kz(2025, 2, 10, 10, 0), app, World::kGroupKk));
  Ok(SendContract(world, Kz(2025, 2, 11, 10, 0), app));
  Ok(ParentSigns(world, Kz(2025, 2, 12, 10, 0), app));  // the ДО signs by 19.02
  CHECK(Kinds(Ok(world.Tick(EndOfDayKz(2025, 2, 19) - 1))).empty());

  const Outcome lapsed = Ok(world.Tick(EndOfDayKz(2025, 2, 19)));
  CHECK(Kinds(lapsed) == "EnrollmentRequestLapsed,Notification");
  const auto* lapse = lapsed.First<fb::EnrollmentRequestLapsed>();
  REQUIRE(lapse != nullptr);
  CHECK(lapse->application() == app);
  CHECK(lapse->deadline_date() == 20250227);  // a fresh window from 20.02: 21, 24, 25, 26, 27
  CHECK(lapse->deadline_ms() == EndOfDayKz(2025, 2, 27));
  CHECK(StatusOf(world, app) == fb::ApplicationStatus::VoucherInUse);
  CHECK(Taken(world, World::kGroupKk) == 0);
  CHECK(App(world, app).group.value == 0);
  CHECK(App(world, app).voucher.value == World::Number(1));
  CHECK(world.engine.state().voucher(VoucherId{World::Number(1)}).state == VoucherState::InUse);
  // The late signature is refused; the family chooses again.
  CHECK(KindergartenSigns(world, Kz(2025, 2, 20, 10, 0), app).code == fb::RejectionCode::TransitionNotAllowed);
  Ok(Choose(world, Kz(2025, 2, 20, 11, 0), app, World::kGroupKk));
  CHECK(Taken(world, World::kGroupKk) == 1);
}

// --- archival at school age ------------------------------------------------------------------

TEST_CASE("lifecycle: a child who is 6 by 1 September is archived at 00:00 local on that day") {
  World world;
  SUBCASE("born 31.08.2019: six the day before, archived 01.09.2025") {
    const uint64_t app = world.FileGeneral(kFiledAt, 2019, 8, 31, 1);
    const int64_t at = Kz(2025, 9, 1, 0, 0);
    CHECK(App(world, app).school_age_at.value == at);
    CHECK(Kinds(Ok(world.Tick(at - 1))).empty());
    const Outcome archived = Ok(world.Tick(at));
    CHECK(Kinds(archived) == "Archived,Notification");
    CHECK(archived.First<fb::Archived>()->reason() == fb::ArchiveReason::SchoolAge);
    CHECK(archived.NotificationsRu() ==
          std::vector<std::string>{"Заявление перемещено в архив: ребенок достиг школьного возраста"});
    CHECK(StatusOf(world, app) == fb::ApplicationStatus::Archived);
  }
  SUBCASE("born 01.09.2019: six on the day itself, archived 01.09.2025") {
    const uint64_t app = world.FileGeneral(kFiledAt, 2019, 9, 1, 1);
    CHECK(App(world, app).school_age_at.value == Kz(2025, 9, 1, 0, 0));
  }
  SUBCASE("born 02.09.2019: five on 1 September 2025, archived a year later") {
    const uint64_t app = world.FileGeneral(kFiledAt, 2019, 9, 2, 1);
    CHECK(App(world, app).school_age_at.value == Kz(2026, 9, 1, 0, 0));
    CHECK(Kinds(Ok(world.Tick(Kz(2025, 9, 2, 0, 0)))).empty());
    CHECK(StatusOf(world, app) == fb::ApplicationStatus::InQueue);
  }
  SUBCASE("a voucher held at school age is annulled and goes to the next in line") {
    const uint64_t a = world.FileGeneral(kFiledAt, 2019, 8, 31, 1);
    const uint64_t b = world.FileGeneral(kFiledAt + kHourMs, 2019, 10, 10, 1);
    const Outcome issued = Ok(world.Allocate(Kz(2025, 8, 29, 10, 0), 2019, 1));  // Fri; Mon 01.09 is a rollover
    CHECK(issued.First<fb::VoucherIssued>()->application() == a);
    CHECK(issued.First<fb::VoucherIssued>()->deadline_date() == 20250903);
    const Outcome archived = Ok(world.Tick(Kz(2025, 9, 1, 0, 0)));
    CHECK(Kinds(archived) == "VoucherAnnulled,Notification,Archived,Notification,VoucherIssued,Notification");
    CHECK(archived.First<fb::VoucherAnnulled>()->reason() == fb::AnnulReason::SchoolAge);
    CHECK(archived.First<fb::Archived>()->reason() == fb::ArchiveReason::SchoolAge);
    CHECK(archived.First<fb::VoucherIssued>()->application() == b);
  }
}

TEST_CASE("lifecycle: an enrolled child leaves at school age: its place is freed (PlaceFreed) and taken again") {
  World world;
  // Born 31.08.2020: four on 1 September 2024 (a 2-5 group takes it), six by 1 September 2026.
  const uint64_t leaver = world.FileGeneral(kFiledAt, 2020, 8, 31, 1);
  Ok(world.Allocate(kIssuedAt, 2020, 1));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), leaver, true));
  Ok(Choose(world, Kz(2025, 2, 10, 10, 0), leaver, World::kGroupKk));
  Ok(SendContract(world, Kz(2025, 2, 11, 10, 0), leaver));
  Ok(ParentSigns(world, Kz(2025, 2, 12, 10, 0), leaver));
  Ok(KindergartenSigns(world, Kz(2025, 2, 13, 10, 0), leaver));
  CHECK(Taken(world, World::kGroupKk) == 1);  // one of its two places
  const int64_t school = Kz(2026, 9, 1, 0, 0);
  CHECK(App(world, leaver).school_age_at.value == school);
  CHECK(Kinds(Ok(world.Tick(school - 1))).empty());
  CHECK(Taken(world, World::kGroupKk) == 1);
  const Outcome left = Ok(world.Tick(school));
  CHECK(Kinds(left) == "PlaceFreed");  // archived `Enrolled` long ago: the family is told nothing new
  const auto* freed = left.First<fb::PlaceFreed>();
  REQUIRE(freed != nullptr);
  CHECK(freed->application() == leaver);
  CHECK(freed->kindergarten() == World::kKindergarten);
  CHECK(freed->group() == World::kGroupKk);
  CHECK(Taken(world, World::kGroupKk) == 0);
  CHECK(StatusOf(world, leaver) == fb::ApplicationStatus::Archived);
  CHECK(Kinds(Ok(world.Tick(school + kHourMs))).empty());  // once
  // The next child takes the place.
  const uint64_t next = world.FileGeneral(Kz(2026, 9, 2, 10, 0), 2022, 5, 10, 2);
  Ok(world.Allocate(Kz(2026, 9, 2, 11, 0), 2022, 1));
  Ok(world.Answer(Kz(2026, 9, 2, 12, 0), next, true));
  Ok(Choose(world, Kz(2026, 9, 2, 13, 0), next, World::kGroupKk));
  CHECK(Taken(world, World::kGroupKk) == 1);
}

// --- deadlines and local time ----------------------------------------------------------------

TEST_CASE("lifecycle: a UTC offset posted after deadlines were set: each keeps its date and passes at that date's end in the new offset") {
  World world;
  // A decree posted on 07.02 puts the locality on UTC+6 from 08.02 (the reverse of 2024's).
  const uint64_t app = world.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  Ok(world.Allocate(kIssuedAt, 2021, 1));  // due 10.02: its end at 19:00Z under UTC+5
  const uint64_t leaver = world.FileGeneral(kFiledAt + kHourMs, 2019, 8, 31, 2);  // six by 1 September 2025
  REQUIRE(App(world, app).deadline_at.value == EndOfDayKz(2025, 2, 10));
  REQUIRE(App(world, leaver).school_age_at.value == Kz(2025, 9, 1, 0, 0));
  fb::SetUtcOffsetT decree;
  decree.locality = World::kLocality;
  decree.effective_from_ms = Utc(2025, 2, 7, 18, 0);  // 08.02 00:00 at UTC+6
  decree.offset_minutes = 360;
  const Outcome posted = Ok(world.Do(World::Action(fb::Role::EducationDepartment, decree), Kz(2025, 2, 7, 9, 0)));
  CHECK(Kinds(posted) == "DeadlineMoved");  // the school age moves too, but was never shown
  const auto* moved = posted.First<fb::DeadlineMoved>();
  REQUIRE(moved != nullptr);
  CHECK(moved->application() == app);
  CHECK(moved->deadline_ms() == Utc(2025, 2, 10, 18, 0));  // the end of 10.02 at UTC+6
  CHECK(moved->deadline_date() == 20250210);                // the date told stays
  CHECK(App(world, leaver).school_age_at.value == Utc(2025, 8, 31, 18, 0));
  // The voucher's deadline passes at 18:00Z, not at 19:00Z.
  CHECK(Kinds(Ok(world.Tick(Utc(2025, 2, 10, 17, 59)))).empty());
  const Outcome expired = Ok(world.Tick(Utc(2025, 2, 10, 18, 0)));
  REQUIRE(expired.First<fb::VoucherAnnulled>() != nullptr);
  CHECK(expired.First<fb::VoucherAnnulled>()->application() == app);
  // The school age at 00:00 local at UTC+6; the timer armed before (19:00Z) fires nothing.
  CHECK(Kinds(Ok(world.Tick(Utc(2025, 8, 31, 17, 59)))).find("Archived") == std::string::npos);
  const Outcome archived = Ok(world.Tick(Utc(2025, 8, 31, 18, 0)));
  REQUIRE(archived.First<fb::Archived>() != nullptr);
  CHECK(archived.First<fb::Archived>()->application() == leaver);
  CHECK(Kinds(Ok(world.Tick(Utc(2025, 8, 31, 19, 0)))).empty());
  // An offset posted again with the same instants moves nothing.
  CHECK(Kinds(Ok(world.Do(World::Action(fb::Role::EducationDepartment, decree), Kz(2025, 9, 2, 9, 0)))).empty());
}

TEST_CASE("lifecycle: a UTC offset that would move a deadline to an instant already passed leaves it where it was") {
  World world;
  const uint64_t app = world.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  Ok(world.Allocate(kIssuedAt, 2021, 1));  // due 10.02: 19:00Z under UTC+5
  // At 23:30 local (18:30Z) on the last day, UTC+6 is posted as in force since 01.02: the end of
  // 10.02 would be 18:00Z, already gone. The family keeps its hour; nothing is moved.
  fb::SetUtcOffsetT back;
  back.locality = World::kLocality;
  back.effective_from_ms = Utc(2025, 1, 31, 18, 0);
  back.offset_minutes = 360;
  const Outcome posted = Ok(world.Do(World::Action(fb::Role::EducationDepartment, back), Utc(2025, 2, 10, 18, 30)));
  CHECK(Kinds(posted).empty());
  CHECK(App(world, app).deadline_at.value == EndOfDayKz(2025, 2, 10));
  // A second entry a second later puts UTC+5 back from 2024: the timeline is as before, nothing moves.
  fb::SetUtcOffsetT forth = back;
  forth.effective_from_ms = Utc(2025, 2, 1, 0, 0);
  forth.offset_minutes = 300;
  CHECK(Kinds(Ok(world.Do(World::Action(fb::Role::EducationDepartment, forth), Utc(2025, 2, 10, 18, 30) + 1000))).empty());
  CHECK(Kinds(Ok(world.Tick(EndOfDayKz(2025, 2, 10) - 1))).empty());
  CHECK(Ok(world.Tick(EndOfDayKz(2025, 2, 10))).First<fb::VoucherAnnulled>() != nullptr);
}

TEST_CASE("lifecycle: a deadline across Nauryz: issued Thu 20.03.2025, due Thu 27.03.2025") {
  World world;
  world.FileGeneral(Kz(2025, 3, 19, 10, 0), 2021, 5, 10, 1);
  const Outcome issued = Ok(world.Allocate(Kz(2025, 3, 20, 15, 0), 2021, 1));
  const auto* voucher = issued.First<fb::VoucherIssued>();
  REQUIRE(voucher != nullptr);
  CHECK(voucher->deadline_date() == 20250327);
  CHECK(voucher->deadline_ms() == EndOfDayKz(2025, 3, 27));
  CHECK(issued.NotificationsRu() ==
        std::vector<std::string>{"Ребенку Тест Тест 1 выдан ваучер. Подтвердите заинтересованность до 27.03.2025"});
}

TEST_CASE("lifecycle: a voucher issued around local midnight at the 1 March 2024 zone change") {
  struct Case {
    const char* when;
    int64_t issued_at;
    int32_t due;
    int64_t due_ms;
    const char* text_date;
  };
  const Case cases[] = {
      // Wed 28.02 23:59 at UTC+6: two working days are Thu 29.02 and Fri 01.03.
      {"Wed 28.02 23:59 (UTC+6)", Utc(2024, 2, 28, 17, 59), 20240301, Utc(2024, 3, 1, 19, 0), "01.03.2024"},
      // Thu 29.02 00:00 at UTC+6: Fri 01.03 and Mon 04.03; the end of 04.03 is at UTC+5.
      {"Thu 29.02 00:00 (UTC+6)", Utc(2024, 2, 28, 18, 0), 20240304, Utc(2024, 3, 4, 19, 0), "04.03.2024"},
      // Thu 29.02 23:59 at UTC+6 = 17:59Z, still 29.02.
      {"Thu 29.02 23:59 (UTC+6)", Utc(2024, 2, 29, 17, 59), 20240304, Utc(2024, 3, 4, 19, 0), "04.03.2024"},
      // 18:30Z: the clocks went back, it is 23:30 on 29.02 again at UTC+5.
      {"Thu 29.02 23:30 (UTC+5)", Utc(2024, 2, 29, 18, 30), 20240304, Utc(2024, 3, 4, 19, 0), "04.03.2024"},
      // 19:00Z: 00:00 on Fri 01.03 at UTC+5: Mon 04.03 and Tue 05.03.
      {"Fri 01.03 00:00 (UTC+5)", Utc(2024, 2, 29, 19, 0), 20240305, Utc(2024, 3, 5, 19, 0), "05.03.2024"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.when);
    World world;
    world.FileGeneral(Utc(2024, 2, 20, 5, 0), 2021, 5, 10, 1);
    const Outcome issued = Ok(world.Allocate(c.issued_at, 2021, 1));
    const auto* voucher = issued.First<fb::VoucherIssued>();
    REQUIRE(voucher != nullptr);
    CHECK(voucher->deadline_date() == c.due);
    CHECK(voucher->deadline_ms() == c.due_ms);
    CHECK(issued.NotificationsRu().at(0) ==
          std::string("Ребенку Тест Тест 1 выдан ваучер. Подтвердите заинтересованность до ") + c.text_date);
    // And it expires exactly then.
    CHECK(Kinds(Ok(world.Tick(c.due_ms - 1))).empty());
    CHECK(Ok(world.Tick(c.due_ms)).All<fb::StopListed>().size() == 1);
  }
}

// --- actions stamped before the engine's time --------------------------------------------------
// An action older than engine time keeps its own instant (docs/domain.md), but a deadline already
// behind engine time must not stay open: docs/domain.md says "a deadline that already expired stays
// expired: a late answer is late", and tests/invariants_test.cc checks that no running deadline or
// school age lies at or before engine time after any action.

// Regression (was a bug): engine/engine.cc Engine::Apply ran rules::ExpireDue only before Dispatch, and only when the
// action's instant is after engine time. A handler acting at an older instant (here IssueVouchers
// via AllocateVouchers stamped Thu 06.02 arriving when engine time is Wed 12.02) arms a timer that
// is already due (deadline 10.02 19:00Z) and nothing fires it until time next advances. Got: the
// application stays VoucherIssued with deadline_at < now, the notification gives a date already
// past, an answer stamped exactly at engine time is accepted (InterestConfirmed) while the same
// answer 1 ms later is refused (AnswerAfterDeadline). Expected: no deadline open at or before engine
// time after an action (fire due timers after Dispatch too, or count such deadlines from engine
// time), and the same outcome for both answers.
TEST_CASE("lifecycle: a voucher deadline already behind engine time does not stay open") {
  std::vector<fb::RejectionCode> answers;
  for (const int64_t late_by : {int64_t{0}, int64_t{1}}) {
    CAPTURE(late_by);
    World world;
    const auto ids = FileMany(world, kFiledAt, 1);
    const int64_t now = Kz(2025, 2, 12, 10, 0);
    Ok(world.Tick(now));
    Ok(world.Allocate(kIssuedAt, 2021, 1));  // stamped 06.02, arrives on 12.02
    const Application& app = App(world, ids[0]);
    const bool open_past_deadline =
        app.status == fb::ApplicationStatus::VoucherIssued && app.deadline_at.value <= world.engine.state().now.value;
    CHECK_FALSE(open_past_deadline);
    answers.push_back(world.Answer(now + late_by, ids[0], true).code);
  }
  CHECK(answers[0] == answers[1]);
}

// Regression (was a bug): engine/applications.cc FileApplication compared the child's school-age instant with the
// action's instant only (`school_age_at <= at`), and the school-age timer it arms is already due
// when engine time is past it. Input: engine time 01.09.2025 00:00 local (a tick), then a filing
// stamped 31.08.2025 23:00 local for a child born 31.08.2019. Got: accepted, InQueue, with
// school_age_at before engine time (until time next advances). Expected: refused
// (ChildOfSchoolAge) or archived (SchoolAge) in the same record.
TEST_CASE("lifecycle: a child already of school age at engine time is not left waiting") {
  World world;
  Ok(world.Tick(Kz(2025, 9, 1, 0, 0)));
  const Outcome filed = File(world, Kz(2025, 8, 31, 23, 0), General(2019, 8, 31, 1));
  if (filed.code == fb::RejectionCode::None) {
    CHECK(StatusOf(world, FiledId(filed)) == fb::ApplicationStatus::Archived);
  } else {
    CHECK(filed.code == fb::RejectionCode::ChildOfSchoolAge);
  }
}

// Regression (was a bug): engine/vouchers.cc ExpireInterest put the return from the stop-list at the expiry
// instant + 10 x 24 h, while limits::kStopListDays says 10 calendar days. Across the 1 March 2024
// change (UTC+6 -> UTC+5) 240 h fall an hour short of 10 local days. Input: a voucher issued Wed
// 21.02.2024, unanswered; it expires at 00:00 local on Sat 24.02 (2024-02-23T18:00Z). Got: return at
// 2024-03-04T18:00Z (23:00 local on 04.03) and the notification «Возврат в очередь 04.03.2024».
// Expected: 00:00 local on 05.03 (2024-03-04T19:00Z) and «... 05.03.2024».
TEST_CASE("lifecycle: the stop-list lasts 10 local calendar days across the zone change") {
  World world;
  world.FileGeneral(Utc(2024, 2, 19, 5, 0), 2021, 5, 10, 1);
  const Outcome issued = Ok(world.Allocate(Utc(2024, 2, 21, 5, 0), 2021, 1));
  REQUIRE(issued.First<fb::VoucherIssued>()->deadline_ms() == Utc(2024, 2, 23, 18, 0));
  const Outcome expired = Ok(world.Tick(Utc(2024, 2, 23, 18, 0)));
  const auto* stop = expired.First<fb::StopListed>();
  REQUIRE(stop != nullptr);
  CHECK(stop->return_at_ms() == Utc(2024, 3, 4, 19, 0));
  CHECK(expired.NotificationsRu().at(1) == "Заявление перемещено в стоп-лист. Возврат в очередь 05.03.2024");
}

// --- determinism -----------------------------------------------------------------------------

namespace {

// A history touching most rules: filings in both queues, documents, a policy change, vouchers,
// answers, expiries, the stop-list, enrollment, a lapse, rejections, a duplicate, bad input.
std::vector<std::vector<uint8_t>> PlayHistory(World& w) {
  std::vector<std::vector<uint8_t>> records;
  auto keep = [&records](const Outcome& outcome) {
    for (const auto* record : outcome.Records()) records.push_back(*record);
  };
  const int64_t t0 = kFiledAt;
  for (unsigned i = 0; i < 6; ++i) {
    keep(File(w, t0 + i * kHourMs, General(2021, 5, 10, 1 + 10 * i, i % 3 == 0 ? "orphans" : "general")));
  }
  keep(File(w, t0 + 6 * kHourMs, General(2021, 6, 1, 1, "general", fb::Language::Ru)));
  keep(File(w, t0 + 7 * kHourMs, Special(2021, 5, 10, 1)));
  keep(File(w, t0 + 8 * kHourMs, Special(2021, 7, 1, 1)));
  keep(Confirm(w, t0 + 9 * kHourMs, World::Number(8)));
  keep(RejectDocs(w, t0 + 10 * kHourMs, World::Number(9), "Ахметова А. С.", "нет подписи"));
  keep(File(w, t0 + 11 * kHourMs, General(2021, 5, 10, 1)));  // a duplicate application: rejected
  keep(w.Do(World::Action(fb::Role::EducationDepartment, Policy(World::kLocality, 1, 3)), t0 + 12 * kHourMs));
  keep(w.Allocate(kIssuedAt, 2021, 3));
  keep(w.Allocate(kIssuedAt + 1, 2021, 1, fb::Language::Ru));
  keep(w.Answer(Kz(2025, 2, 7, 9, 0), World::Number(1), true));
  keep(w.Answer(Kz(2025, 2, 7, 9, 5), World::Number(2), false));
  fb::ActionT repeat = World::Action(fb::Role::Portal, fb::AnswerInterestT{{}, World::Number(1), true}, World::kParent);
  repeat.idempotency_key = "retry-1";
  keep(w.Do(fb::ActionT(repeat), Kz(2025, 2, 7, 9, 10)));
  keep(w.Do(fb::ActionT(repeat), Kz(2025, 2, 7, 9, 11)));  // the portal's retry: a duplicate
  keep(w.Json("{\"schema_version\": 1, oops"));
  keep(Choose(w, Kz(2025, 2, 10, 10, 0), World::Number(1), World::kGroupKk));
  keep(SendContract(w, Kz(2025, 2, 11, 10, 0), World::Number(1)));
  keep(ParentSigns(w, Kz(2025, 2, 12, 10, 0), World::Number(1)));
  keep(w.Tick(Utc(2025, 2, 20, 10, 0)));  // expiries, a lapse, a cascade
  keep(w.Tick(Utc(2025, 3, 10, 10, 0)));  // returns from the stop-list
  keep(Withdraw(w, Kz(2025, 3, 11, 10, 0), World::Number(3)));
  keep(w.Allocate(Kz(2025, 3, 20, 15, 0), 2021, 2));
  keep(w.Tick(Utc(2025, 9, 1, 0, 0)));
  return records;
}

TEST_CASE("catalogue: a message renders its arguments as given, into reused buffers, and as a Text alike") {
  // A name is copied, never read as a pattern; numbers and dates are written out in place.
  std::string ru = "left over from the last text", kk(600, 'x');
  messages::VoucherIssued("{} «Ә» {}", civil::FromYmd({2025, 2, 10})).Render(&ru, &kk);
  CHECK(ru == "Ребенку {} «Ә» {} выдан ваучер. Подтвердите заинтересованность до 10.02.2025");
  CHECK(kk == "{} «Ә» {} атты балаға ваучер берілді. 10.02.2025 дейін келісіміңізді растаңыз");
  messages::ApplicationAccepted(18'446'744'073'709'551'615ULL).Render(&ru, &kk);
  CHECK(ru == "Ваша заявка принята. Место в очереди 18446744073709551615");
  CHECK(kk == "Өтінішіңіз қабылданды. Кезектегі орныңыз: 18446744073709551615");
  // Each language its own argument (a ДО's name in each), and a Text equal to the rendering.
  const messages::Text enrolled = messages::Enrolled("Солнышко", "Күншуақ");
  CHECK(enrolled.ru == "Ребенок зачислен в ДО «Солнышко»");
  CHECK(enrolled.kk == "Бала «Күншуақ» МДҰ-ға қабылданды");
  const messages::Text constant = messages::AwaitingContract();
  messages::AwaitingContract().Render(&ru, &kk);
  CHECK(constant.ru == ru);
  CHECK(constant.kk == kk);
  CHECK(ru == "Ожидайте договор от ДО");
}

}  // namespace

TEST_CASE("lifecycle: the same actions give byte-identical journal records and state hashes") {
  World first;
  World second;
  // The set-up's records are chained into the head the state hash covers: equal hashes, equal set-ups.
  CHECK(first.engine.StateHash() == second.engine.StateHash());
  const auto a = PlayHistory(first);
  const auto b = PlayHistory(second);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    CHECK(a[i] == b[i]);
  }
  CHECK(first.engine.StateHash() == second.engine.StateHash());
  CHECK(first.engine.state().next_sequence == second.engine.state().next_sequence);

  // The history did something: vouchers were issued, used, lost and returned.
  size_t decisions = 0;
  for (const auto& record : a) {
    const auto* journal = fb::GetJournalRecord(record.data());
    if (journal->decisions()) decisions += journal->decisions()->size();
  }
  CHECK(decisions > 40);

  // Each record names its predecessor's position; a different history gives another hash.
  for (size_t i = 1; i < a.size(); ++i) {
    CHECK(fb::GetJournalRecord(a[i].data())->sequence() == fb::GetJournalRecord(a[i - 1].data())->sequence() + 1);
  }
  World third;
  PlayHistory(third);
  third.Tick(Utc(2025, 9, 2, 0, 0));
  CHECK(third.engine.StateHash() != first.engine.StateHash());
}

}  // namespace kezek::test
