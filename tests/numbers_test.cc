// Country-wide application and voucher numbers (engine/numbers.h, docs/domain.md "Country-wide
// numbers"): locality × 1,000,000 + a serial of the locality's own, stable whatever else happens.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/bytes.h"
#include "engine/limits.h"
#include "engine/numbers.h"
#include "engine/state_codec.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

constexpr uint32_t kAstana = 2;
const int64_t kFiledAt = Kz(2025, 1, 15, 10, 0);

void AddLocality(World& w, uint32_t locality) {
  const auto admin = [&](auto body) { Ok(w.Do(World::Action(fb::Role::EducationDepartment, std::move(body)), kFiledAt)); };
  admin(fb::UpsertLocalityT{{}, locality, "г. Астана", "Астана қаласы", "AST"});
  fb::SetUtcOffsetT offset;
  offset.locality = locality;
  offset.effective_from_ms = Utc(2000, 1, 1);
  offset.offset_minutes = 300;
  admin(offset);
}

uint64_t File(World& w, uint32_t locality, unsigned serial) {
  fb::FileApplicationT file;
  file.child_iin = MakeIin(2021, 5, 10, true, serial);
  file.child_name = fmt::format("Тест Тест {}", serial);
  file.locality = locality;
  file.queue_type = fb::QueueType::General;
  file.language = fb::Language::Kk;
  file.priority_category = "general";
  const Outcome outcome = Ok(w.Do(World::Action(fb::Role::Portal, std::move(file), World::kParent), kFiledAt + serial));
  return outcome.First<fb::ApplicationAccepted>()->application();
}

uint64_t Allocate(World& w, uint32_t locality, uint32_t count) {
  fb::AllocateVouchersT allocation;
  allocation.locality = locality;
  allocation.queue_type = fb::QueueType::General;
  allocation.birth_year = 2020;  // no one waits: the vouchers stay free
  allocation.language = fb::Language::Kk;
  allocation.count = count;
  const Outcome outcome = Ok(w.Do(World::Action(fb::Role::EducationDepartment, allocation), kFiledAt + kHourMs));
  return outcome.First<fb::VouchersAllocated>()->first_voucher();
}

}  // namespace

TEST_CASE("numbers: a number is locality × 1 000 000 + serial, and names its locality") {
  static_assert(NumberOf(LocalityId{1}, 1) == 1'000'001);
  static_assert(NumberOf(LocalityId{750'000}, 3) == 750'000'000'003);
  CHECK(LocalityOfNumber(1'000'001) == LocalityId{1});
  CHECK(LocalityOfNumber(1'999'999) == LocalityId{1});
  CHECK(LocalityOfNumber(999'999) == LocalityId{0});  // locality 0 is a number like another
  CHECK(SerialOfNumber(750'000'000'003) == 3);
  const uint64_t largest = NumberOf(LocalityId{UINT32_MAX}, limits::kSerialsPerLocality - 1);
  CHECK(LocalityOfNumber(largest) == LocalityId{UINT32_MAX});
  CHECK(largest < (uint64_t{1} << 53));  // exact as a JSON number in JavaScript
  SUBCASE("a number no application or voucher can have names no locality") {
    CHECK_FALSE(LocalityOfNumber(0).has_value());
    CHECK_FALSE(LocalityOfNumber(1'000'000).has_value());   // serial 0
    CHECK_FALSE(LocalityOfNumber(largest + 1).has_value());  // serial 0 of the locality past uint32
    CHECK_FALSE(LocalityOfNumber(largest + 2).has_value());  // beyond uint32
    CHECK_FALSE(LocalityOfNumber(UINT64_MAX).has_value());
  }
}

TEST_CASE("numbers: each locality numbers its own applications and vouchers, whatever the others do") {
  World world;
  AddLocality(world, kAstana);
  CHECK(File(world, World::kLocality, 1) == 1'000'001);
  CHECK(File(world, kAstana, 2) == 2'000'001);
  CHECK(File(world, kAstana, 3) == 2'000'002);
  CHECK(File(world, World::kLocality, 4) == 1'000'002);
  CHECK(Allocate(world, kAstana, 3) == 2'000'001);  // 2000001..2000003
  CHECK(Allocate(world, World::kLocality, 2) == 1'000'001);
  CHECK(Allocate(world, kAstana, 1) == 2'000'004);
  const State& s = world.engine.state();
  CHECK(s.ApplicationsNumbered(LocalityId{kAstana}) == 2);
  CHECK(s.VouchersNumbered(LocalityId{kAstana}) == 4);
  CHECK(s.app(ApplicationId{2'000'002}).child == Iin{std::stoull(MakeIin(2021, 5, 10, true, 3))});
  const std::vector<ApplicationId> in_order{ApplicationId{1'000'001}, ApplicationId{1'000'002},
                                            ApplicationId{2'000'001}, ApplicationId{2'000'002}};
  CHECK(s.ApplicationNumbers() == in_order);
  CHECK(s.VoucherNumbers().size() == 6);
  CHECK(s.VoucherNumbers().front() == VoucherId{1'000'001});
  CHECK(s.VoucherNumbers().back() == VoucherId{2'000'004});
  CHECK_FALSE(s.has_app(ApplicationId{2'000'003}));
  CHECK_FALSE(s.has_voucher(VoucherId{1'000'003}));

  SUBCASE("the same locality's history alone gives the same numbers (as in another partition)") {
    World alone;
    AddLocality(alone, kAstana);
    CHECK(File(alone, kAstana, 2) == 2'000'001);
    CHECK(File(alone, kAstana, 3) == 2'000'002);
    CHECK(Allocate(alone, kAstana, 3) == 2'000'001);
  }
  SUBCASE("the counters are state: stored, restored, hashed") {
    std::vector<state_codec::Put> entries;
    state_codec::AllEntries(s, [&](const state_codec::Put& put) { entries.push_back(put); });
    std::vector<state_codec::Put> numbers;
    for (const auto& put : entries) {
      if (put.family == state_codec::Family::kNumbers) numbers.push_back(put);
    }
    REQUIRE(numbers.size() == 2);
    CHECK(numbers[0].key == bytes::Be(World::kLocality, 4));
    CHECK(numbers[0].value == bytes::Out().U32(2).U32(2).Take());
    CHECK(numbers[1].value == bytes::Out().U32(2).U32(4).Take());
    const auto restore = [&](Engine& engine, const std::string& astana_counters) {
      return engine.Restore([&](State* state) {
        for (const auto& put : entries) {
          const bool astana = put.family == state_codec::Family::kNumbers && put.key == bytes::Be(kAstana, 4);
          if (!state_codec::LoadEntry(put.family, put.key, astana ? astana_counters : put.value, state)) return false;
        }
        return true;
      });
    };
    Engine reloaded;
    REQUIRE(restore(reloaded, numbers[1].value));
    CHECK(reloaded.StateHash() == world.engine.StateHash());
    CHECK(reloaded.state().app(ApplicationId{2'000'002}).child == s.app(ApplicationId{2'000'002}).child);
    Engine raised;
    REQUIRE(restore(raised, bytes::Out().U32(7).U32(4).Take()));
    CHECK(raised.StateHash() != world.engine.StateHash());  // the counter is in the hash
    Engine short_counter;  // a counter below a stored number: the entries disagree
    CHECK_FALSE(restore(short_counter, bytes::Out().U32(1).U32(4).Take()));
    CHECK_FALSE(restore(short_counter, bytes::Out().U32(2).U32(3).Take()));
  }
  SUBCASE("a stored application under a number of another locality is corruption") {
    State state;
    std::string value;
    state_codec::AllEntries(s, [&](const state_codec::Put& put) {
      if (put.family == state_codec::Family::kApplications && put.key == bytes::Be(2'000'001, 8)) value = put.value;
    });
    REQUIRE_FALSE(value.empty());
    CHECK_FALSE(state_codec::LoadEntry(state_codec::Family::kApplications, bytes::Be(1'000'003, 8), value, &state));
    CHECK_FALSE(state_codec::LoadEntry(state_codec::Family::kApplications, bytes::Be(0, 8), value, &state));
    CHECK(state_codec::LoadEntry(state_codec::Family::kApplications, bytes::Be(2'000'001, 8), value, &state));
    CHECK_FALSE(state_codec::LoadEntry(state_codec::Family::kApplications, bytes::Be(2'000'001, 8), value, &state));
  }
}

}  // namespace kezek::test
