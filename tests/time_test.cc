// Time you can trust (DESIGN §4): time has an authority and a speed limit, nobody is told a
// deadline that has already passed, and nobody jumps the queue with a stamped instant.
//
// The scenarios run in February 2025 (UTC+5). Most turn the harness's ticker off, so that every
// tick is one the test posts itself: a ticker coming back after an outage posts one tick.
#include <optional>
#include <string>
#include <vector>

#include "engine/limits.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

const int64_t kFiledAt = Kz(2025, 2, 3, 10, 0);     // Mon 03.02.2025 10:00 local
const int64_t kIssuedAt = Kz(2025, 2, 6, 16, 46);   // Thu 06.02.2025 16:46 local, due 10.02
constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 86'400'000;

std::vector<uint64_t> FileMany(World& w, int64_t at, unsigned count) {
  std::vector<uint64_t> ids;
  for (unsigned i = 0; i < count; ++i) ids.push_back(w.FileGeneral(at + i * kMinuteMs, 2021, 5, 10, 1 + i));
  return ids;
}

std::optional<uint64_t> Position(const World& w, uint64_t app) { return w.engine.PositionOf(ApplicationId{app}); }
fb::ApplicationStatus StatusOf(const World& w, uint64_t app) { return w.engine.state().app(ApplicationId{app}).status; }

// Every deadline a record sets lies after the record's engine time, and no application is issued a
// voucher and has it annulled in the same record.
void CheckNoReturnDateGone(const Outcome& outcome);

void CheckNoDeadlineGone(const Outcome& outcome) {
  const int64_t now = outcome.journal()->engine_time_ms();
  for (const auto* issued : outcome.All<fb::VoucherIssued>()) {
    CHECK(issued->deadline_ms() > now);
    for (const auto* annulled : outcome.All<fb::VoucherAnnulled>()) {
      CHECK_MESSAGE(annulled->application() != issued->application(),
                    "application ", issued->application(), " was issued and annulled in one record");
    }
  }
  for (const auto* confirmed : outcome.All<fb::EnrollmentRequestLapsed>()) CHECK(confirmed->deadline_ms() > now);
  CheckNoReturnDateGone(outcome);
}

// A stop-list is told with its return date only while that date is ahead (an outage past the
// return day too: the family is told the return alone).
void CheckNoReturnDateGone(const Outcome& outcome) {
  const int64_t now = outcome.journal()->engine_time_ms();
  size_t ahead = 0, told = 0;
  for (const auto* stop : outcome.All<fb::StopListed>()) ahead += stop->return_at_ms() > now ? 1 : 0;
  for (const auto* note : outcome.All<fb::Notification>()) told += note->kind() == fb::NotificationKind::StopListed ? 1 : 0;
  CHECK_MESSAGE(told == ahead, told, " stop-list notifications for ", ahead, " returns still ahead");
}

fb::FileApplicationT General(unsigned serial) {
  fb::FileApplicationT file;
  file.child_iin = MakeIin(2021, 5, 10, true, serial);
  file.child_name = "Тест Тест " + std::to_string(serial);
  file.locality = World::kLocality;
  file.priority_category = "general";
  return file;
}

}  // namespace

TEST_CASE("time: one wrong timestamp: a withdrawal stamped 2099 is refused and nothing moves") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 5);
  world.ticker = false;
  const int64_t now = world.engine.state().now.value;
  const uint64_t sequence = world.engine.state().next_sequence;
  // The portal withdraws an application that does not exist, with its clock set to 2099.
  fb::ActionT withdraw = World::Action(fb::Role::Portal, fb::WithdrawT{{}, 999}, World::kParent);
  withdraw.idempotency_key = "wrong-clock";
  const Outcome refused = world.Do(fb::ActionT(withdraw), 4'070'908'800'000);
  CHECK(refused.code == fb::RejectionCode::InstantInFuture);
  CHECK(refused.journal()->sequence() == sequence);  // journaled like any rejection
  CHECK(refused.journal()->engine_time_ms() == now);
  CHECK(Kinds(refused).empty());
  CHECK(world.engine.state().now.value == now);
  for (size_t i = 0; i < ids.size(); ++i) {
    CHECK(StatusOf(world, ids[i]) == fb::ApplicationStatus::InQueue);  // nobody archived for school age
    CHECK(Position(world, ids[i]) == i + 1);
  }
  // The key was not taken: the portal, its clock fixed, posts the same action again and gets the
  // action's own answer.
  const Outcome again = world.Do(fb::ActionT(withdraw), now + kMinuteMs);
  CHECK(again.code == fb::RejectionCode::UnknownApplication);
}

TEST_CASE("time: the first System clock tick starts time; every other action before it is refused") {
  World world(false);
  world.ticker = false;
  fb::ActionT locality =
      World::Action(fb::Role::EducationDepartment, fb::UpsertLocalityT{{}, 1, "г. Алматы", "Алматы қаласы", "ALA"});
  const Outcome early = world.Do(fb::ActionT(locality), kFiledAt);
  CHECK(early.code == fb::RejectionCode::InstantInFuture);
  CHECK(early.reason().find("first ClockTick") != std::string::npos);
  CHECK(world.engine.state().now.value == 0);
  // The first tick has no bound: there is no time yet to bound it from.
  Ok(world.Tick(kFiledAt));
  CHECK(world.engine.state().now.value == kFiledAt);
  Ok(world.Do(fb::ActionT(locality), kFiledAt + kMinuteMs));
}

TEST_CASE("time: actions move engine time only within the skew; ticks only by the bound") {
  World world;
  Ok(world.Tick(kFiledAt));  // the ticker leads up to it from the set-up in 2020
  world.ticker = false;
  SUBCASE("an action within 5 minutes ahead moves time to its instant") {
    Ok(world.Do(World::Action(fb::Role::Portal, General(1), World::kParent), kFiledAt + limits::kActionSkewAheadMs));
    CHECK(world.engine.state().now.value == kFiledAt + limits::kActionSkewAheadMs);
  }
  SUBCASE("one millisecond further is refused, and moves nothing") {
    const Outcome refused =
        world.Do(World::Action(fb::Role::Portal, General(1), World::kParent), kFiledAt + limits::kActionSkewAheadMs + 1);
    CHECK(refused.code == fb::RejectionCode::InstantInFuture);
    CHECK(world.engine.state().now.value == kFiledAt);
    CHECK(world.engine.state().applications.size() == 1);  // the empty slot 0 only
  }
  SUBCASE("actions cannot carry time forward among themselves: the skew counts from the clock's last tick") {
    // Each stamped within 5 minutes of the one before (a helper's repro: 150 refused withdrawals
    // 5 minutes apart moved time past a voucher's deadline): the second is already 10 minutes
    // past the clock, and refused, whatever its own fate would have been.
    Ok(world.Do(World::Action(fb::Role::Portal, General(1), World::kParent), kFiledAt + limits::kActionSkewAheadMs));
    const Outcome second = world.Do(World::Action(fb::Role::Portal, fb::WithdrawT{{}, 999}, World::kParent),
                                    kFiledAt + 2 * limits::kActionSkewAheadMs);
    CHECK(second.code == fb::RejectionCode::InstantInFuture);
    CHECK(world.engine.state().now.value == kFiledAt + limits::kActionSkewAheadMs);
    CHECK(world.engine.state().clock.value == kFiledAt);
    // The clock's next tick lets time go on.
    Ok(world.Tick(kFiledAt + 2 * limits::kActionSkewAheadMs));
    CHECK(world.engine.state().clock.value == kFiledAt + 2 * limits::kActionSkewAheadMs);
    const Outcome third = world.Do(World::Action(fb::Role::Portal, fb::WithdrawT{{}, 999}, World::kParent),
                                   kFiledAt + 3 * limits::kActionSkewAheadMs);
    CHECK(third.code == fb::RejectionCode::UnknownApplication);  // admitted in time, refused for itself
    CHECK(world.engine.state().now.value == kFiledAt + 3 * limits::kActionSkewAheadMs);
    // A tick stamped before the clock (a ticker's retry) moves neither clock nor time back.
    Ok(world.Tick(kFiledAt + limits::kActionSkewAheadMs));
    CHECK(world.engine.state().clock.value == kFiledAt + 2 * limits::kActionSkewAheadMs);
  }
  SUBCASE("a tick after a five-week outage is taken; one over it is refused") {
    CHECK(world.Tick(kFiledAt + limits::kTickAdvanceMaxMs + 1).code == fb::RejectionCode::InstantInFuture);
    CHECK(world.engine.state().now.value == kFiledAt);
    Ok(world.Tick(kFiledAt + limits::kTickAdvanceMaxMs));
    CHECK(world.engine.state().now.value == kFiledAt + limits::kTickAdvanceMaxMs);
  }
  SUBCASE("an action stamped behind engine time acts at engine time; time never goes back") {
    Ok(world.Tick(kFiledAt + kDayMs));
    Ok(world.Tick(kFiledAt));
    CHECK(world.engine.state().now.value == kFiledAt + kDayMs);
  }
}

TEST_CASE("time: the seed's example: B, handed A's voucher by a late tick, is told a date still ahead and can answer Да") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 3);  // A, B, C
  const Outcome issued = Ok(world.Allocate(kIssuedAt, 2021, 1));
  REQUIRE(issued.First<fb::VoucherIssued>()->application() == ids[0]);
  CHECK(issued.First<fb::VoucherIssued>()->deadline_date() == 20250210);
  world.ticker = false;
  // A's deadline passes at the end of Mon 10.02; the ticker is back on Fri 14.02 at 09:00.
  const int64_t tick_at = Kz(2025, 2, 14, 9, 0);
  const Outcome late = Ok(world.Tick(tick_at));
  CHECK(Kinds(late) == "VoucherAnnulled,Notification,StopListed,Notification,VoucherIssued,Notification");
  // A's expiry is exact: stop-listed from its own day (return at 00:00 on the 10th day after 11.02).
  CHECK(late.First<fb::VoucherAnnulled>()->application() == ids[0]);
  CHECK(late.First<fb::StopListed>()->return_at_ms() == EndOfDayKz(2025, 2, 10) + 10 * kDayMs);
  // B is told on 14.02 and gets 2 working days from then: Mon 17, Tue 18.
  const auto* b = late.First<fb::VoucherIssued>();
  REQUIRE(b != nullptr);
  CHECK(b->application() == ids[1]);
  CHECK(b->deadline_date() == 20250218);
  CHECK(b->deadline_ms() == EndOfDayKz(2025, 2, 18));
  const auto texts = late.NotificationsRu();
  REQUIRE(texts.size() == 3);
  CHECK(texts[2] == "Ребенку Тест Тест 2 выдан ваучер. Подтвердите заинтересованность до 18.02.2025");
  CheckNoDeadlineGone(late);
  CHECK(Position(world, ids[2]) == 1);
  // B answers Да on Monday: in time.
  world.ticker = true;
  const Outcome yes = Ok(world.Answer(Kz(2025, 2, 17, 10, 0) - 4 * kMinuteMs, ids[1], true));
  CHECK(Kinds(yes) == "InterestConfirmed,Notification");
  CHECK(StatusOf(world, ids[1]) == fb::ApplicationStatus::VoucherInUse);
}

TEST_CASE("time: one tick after a three-week outage expires everything at its own instant") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 4);  // A..D
  Ok(world.Allocate(kIssuedAt, 2021, 1));           // A: due end of 10.02
  // B holds a voucher from Fri 07.02 (due end of 11.02), and C files a week later.
  Ok(world.Allocate(Kz(2025, 2, 7, 9, 0), 2021, 1));
  REQUIRE(StatusOf(world, ids[1]) == fb::ApplicationStatus::VoucherIssued);
  world.ticker = false;
  const int64_t tick_at = Kz(2025, 3, 3, 9, 0);  // three weeks after the last action
  const Outcome late = Ok(world.Tick(tick_at));
  CHECK(late.journal()->engine_time_ms() == tick_at);
  // A and B: annulled at their own deadlines, in order; their stop-lists count from those days, so
  // both are back in the queue (21.02 and 22.02) before the tick.
  const auto annulled = late.All<fb::VoucherAnnulled>();
  REQUIRE(annulled.size() == 2);
  CHECK(annulled[0]->application() == ids[0]);
  CHECK(annulled[1]->application() == ids[1]);
  const auto stops = late.All<fb::StopListed>();
  REQUIRE(stops.size() == 2);
  CHECK(stops[0]->return_at_ms() == EndOfDayKz(2025, 2, 20));
  CHECK(stops[1]->return_at_ms() == EndOfDayKz(2025, 2, 21));
  const auto returned = late.All<fb::ReturnedToQueue>();
  REQUIRE(returned.size() == 2);
  CHECK(returned[0]->application() == ids[0]);
  CHECK(returned[1]->application() == ids[1]);
  // The two returned vouchers go to the head of the queue as it stands at the tick: A and B
  // again (their original filing times), each with 2 working days from Mon 03.03: 04 and 05.03.
  const auto issued = late.All<fb::VoucherIssued>();
  REQUIRE(issued.size() == 2);
  CHECK(issued[0]->application() == ids[0]);
  CHECK(issued[1]->application() == ids[1]);
  CHECK(issued[0]->deadline_date() == 20250305);
  CHECK(issued[1]->deadline_date() == 20250305);
  CHECK(Kinds(late) ==
        "VoucherAnnulled,Notification,StopListed,VoucherAnnulled,Notification,StopListed,"
        "ReturnedToQueue,Notification,ReturnedToQueue,Notification,"
        "VoucherIssued,Notification,VoucherIssued,Notification");
  CheckNoReturnDateGone(late);
  CHECK(Position(world, ids[2]) == 1);
  CHECK(Position(world, ids[3]) == 2);
}

TEST_CASE("time: a late tick hands several returned vouchers on in turn, each from the tick") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 5);  // A..E
  Ok(world.Allocate(kIssuedAt, 2021, 2));           // A and B, both due end of 10.02
  world.ticker = false;
  // Thu 13.02 12:00: both deadlines have passed; the first build handed A's voucher to C at the
  // expiry, due 12.02, and annulled it again in the same record, then to D, due 14.02...
  const int64_t tick_at = Kz(2025, 2, 13, 12, 0);
  const Outcome late = Ok(world.Tick(tick_at));
  const auto annulled = late.All<fb::VoucherAnnulled>();
  REQUIRE(annulled.size() == 2);
  CHECK(annulled[0]->application() == ids[0]);
  CHECK(annulled[1]->application() == ids[1]);
  const auto issued = late.All<fb::VoucherIssued>();
  REQUIRE(issued.size() == 2);
  CHECK(issued[0]->application() == ids[2]);
  CHECK(issued[1]->application() == ids[3]);
  CHECK(issued[0]->voucher() == annulled[0]->voucher());
  CHECK(issued[1]->voucher() == annulled[1]->voucher());
  for (const auto* v : issued) CHECK(v->deadline_date() == 20250217);  // Fri 14, Mon 17
  CheckNoDeadlineGone(late);
  CHECK(Position(world, ids[4]) == 1);
  // C and D stay silent too: the next tick after their deadline hands both vouchers on to E, then
  // (A and B being stop-listed until 21.02) to nobody else: one stays free in the pool.
  const Outcome next = Ok(world.Tick(Kz(2025, 2, 18, 9, 0)));
  CHECK(next.All<fb::VoucherAnnulled>().size() == 2);
  REQUIRE(next.All<fb::VoucherIssued>().size() == 1);
  CHECK(next.First<fb::VoucherIssued>()->application() == ids[4]);
  CHECK(next.First<fb::VoucherIssued>()->deadline_date() == 20250220);
  CheckNoDeadlineGone(next);
}

TEST_CASE("time: a stop-list return during a late tick: back at its own instant, a voucher from the tick") {
  World world;
  const auto ids = FileMany(world, kFiledAt, 1);  // A alone
  Ok(world.Allocate(kIssuedAt, 2021, 1));
  world.ticker = false;
  // A's deadline passes at the end of 10.02; its stop-list ends at 00:00 on 21.02; the tick comes
  // on Tue 25.02. A returns at its own instant, meets its old voucher, free in the pool, and is
  // told on 25.02: due 27.02.
  const int64_t tick_at = Kz(2025, 2, 25, 11, 0);
  const Outcome late = Ok(world.Tick(tick_at));
  CHECK(Kinds(late) == "VoucherAnnulled,Notification,StopListed,ReturnedToQueue,Notification,VoucherIssued,Notification");
  CheckNoReturnDateGone(late);
  CHECK(late.First<fb::ReturnedToQueue>()->position() == 1);
  const auto* issued = late.First<fb::VoucherIssued>();
  REQUIRE(issued != nullptr);
  CHECK(issued->application() == ids[0]);
  CHECK(issued->deadline_date() == 20250227);
  CHECK(issued->deadline_ms() > tick_at);
  CHECK(late.NotificationsRu().back() ==
        "Ребенку Тест Тест 1 выдан ваучер. Подтвердите заинтересованность до 27.02.2025");
  CHECK(StatusOf(world, ids[0]) == fb::ApplicationStatus::VoucherIssued);
}

TEST_CASE("time: a child who reaches school age during an outage is not handed a voucher on the way out") {
  World world;
  // A (born 2021) holds the voucher; B, born 2018-08-01, is 6 on 1 September 2024... so the scene
  // is August 2024: B's school age is 00:00 on 01.09.2024 local (UTC+5).
  const int64_t filed = Kz(2024, 8, 1, 10, 0);
  const uint64_t a = world.FileGeneral(filed, 2018, 3, 10, 1);
  const uint64_t b = world.FileGeneral(filed + kMinuteMs, 2018, 8, 1, 2);
  const Outcome issued = Ok(world.Allocate(Kz(2024, 8, 29, 10, 0), 2018, 1));  // Thu: due Mon 02.09? Fri 30, Mon 02
  REQUIRE(issued.First<fb::VoucherIssued>()->application() == a);
  world.ticker = false;
  // Both A and B reach school age on 01.09.2024; A's deadline would pass later. A tick on 03.09.
  const Outcome late = Ok(world.Tick(Kz(2024, 9, 3, 9, 0)));
  CHECK(StatusOf(world, a) == fb::ApplicationStatus::Archived);
  CHECK(StatusOf(world, b) == fb::ApplicationStatus::Archived);
  CHECK(late.All<fb::VoucherIssued>().empty());  // the returned voucher waits in the pool
  CheckNoDeadlineGone(late);
}

TEST_CASE("time: a filing ranks by its stamp only within the skew behind engine time") {
  World world;
  Ok(world.Tick(kFiledAt));  // the ticker leads up to it from the set-up in 2020
  world.ticker = false;
  const uint64_t first = world.FileGeneral(kFiledAt, 2021, 5, 10, 1);
  Ok(world.Tick(kFiledAt + kHourMs));
  const int64_t now = kFiledAt + kHourMs;
  SUBCASE("a stamp within the skew keeps its instant") {
    const Outcome second = Ok(world.Do(World::Action(fb::Role::Portal, General(2), World::kParent), now - 3 * kMinuteMs));
    const auto* accepted = second.First<fb::ApplicationAccepted>();
    REQUIRE(accepted != nullptr);
    CHECK(accepted->stamped_ms() == now - 3 * kMinuteMs);
    CHECK(accepted->filed_at_ms() == now - 3 * kMinuteMs);
    CHECK(world.engine.state().app(ApplicationId{accepted->application()}).filed_at.value == now - 3 * kMinuteMs);
  }
  SUBCASE("a stamp a week back is clamped to engine time minus the skew, behind everyone filed before") {
    const Outcome backdated =
        Ok(world.Do(World::Action(fb::Role::Portal, General(2), World::kParent), now - 7 * kDayMs));
    const auto* accepted = backdated.First<fb::ApplicationAccepted>();
    REQUIRE(accepted != nullptr);
    CHECK(accepted->stamped_ms() == now - 7 * kDayMs);
    CHECK(accepted->filed_at_ms() == now - limits::kFilingSkewBehindMs);
    CHECK(Position(world, first) == 1);
    CHECK(Position(world, accepted->application()) == 2);
    CHECK(backdated.First<fb::EnteredQueue>()->position() == 2);
  }
}

}  // namespace kezek::test
