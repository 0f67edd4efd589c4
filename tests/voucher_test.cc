#include "tests/harness.h"

namespace kezek::test {

TEST_CASE("voucher: the seed's worked example: issued Thu 06.02.2025 16:46 is due 10.02.2025") {
  World world;
  const uint64_t app = world.FileGeneral(Utc(2025, 2, 6, 11, 16), 2021, 5, 10);
  const Outcome issued = world.Allocate(Utc(2025, 2, 6, 11, 46), 2021, 1);
  REQUIRE(issued.code == fb::RejectionCode::None);
  const auto* voucher = issued.First<fb::VoucherIssued>();
  REQUIRE(voucher != nullptr);
  CHECK(voucher->application() == app);
  CHECK(voucher->deadline_date() == 20250210);
  CHECK(voucher->deadline_ms() == Utc(2025, 2, 10, 19, 0));  // end of 10.02 at UTC+5
  const auto texts = issued.NotificationsRu();
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == "Ребенку Тест Тест 1 выдан ваучер. Подтвердите заинтересованность до 10.02.2025");
}

}  // namespace kezek::test
