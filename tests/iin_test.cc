// The IIN (ИИН) as engine/iin.h reads it: 12 digits YYMMDD C SSSS K, where C is the century and
// sex digit and K the check digit (weights 1..11 mod 11; on 10, weights 3..11,1,2; a second 10
// means no IIN has those first eleven digits). Every way an IIN can be wrong has its own code.
//
// The literal IINs below were computed outside the engine (by hand from DESIGN §2's rule), so the
// tests do not check the parser against itself.
#include "engine/iin.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>
#include <variant>

#include "engine/civil_time.h"
#include "engine/schemas_fwd.h"

namespace kezek::test {
namespace {

// The test's own reading of DESIGN §2's check-digit rule; nullopt when both sums give 10.
std::optional<int> ReferenceCheckDigit(const std::string& first11) {
  if (first11.size() != 11) return std::nullopt;
  constexpr std::array<int, 11> kFirst = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  constexpr std::array<int, 11> kSecond = {3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2};
  int sum = 0;
  for (size_t i = 0; i < 11; ++i) sum += (first11[i] - '0') * kFirst[i];
  if (sum % 11 != 10) return sum % 11;
  sum = 0;
  for (size_t i = 0; i < 11; ++i) sum += (first11[i] - '0') * kSecond[i];
  if (sum % 11 != 10) return sum % 11;
  return std::nullopt;
}

IinInfo Valid(const std::string& text) {
  auto parsed = ParseIin(text);
  const auto* error = std::get_if<IinError>(&parsed);
  INFO("IIN ", text, " rejected: ", error ? error->reason : "");
  REQUIRE(error == nullptr);
  return std::get<IinInfo>(parsed);
}

fb::RejectionCode ErrorOf(const std::string& text) {
  auto parsed = ParseIin(text);
  const auto* error = std::get_if<IinError>(&parsed);
  INFO("IIN '", text, "' was accepted");
  REQUIRE(error != nullptr);
  CHECK(error->reason != nullptr);
  CHECK(std::string(error->reason).size() > 0);
  return error->code;
}

LocalDate Date(int y, unsigned m, unsigned d) { return civil::FromYmd({y, m, d}); }

}  // namespace

TEST_CASE("iin: a valid IIN gives its number, birth date and sex") {
  const IinInfo info = Valid("900427300179");
  CHECK(info.iin.value == 900427300179ull);
  CHECK(info.birth_date == Date(1990, 4, 27));
  CHECK(info.sex == Sex::Male);
  CHECK(FormatIin(info.iin) == "900427300179");
}

TEST_CASE("iin: the 7th digit gives the century and the sex, odd male, even female") {
  struct Case {
    const char* iin;
    int year;
    unsigned month;
    unsigned day;
    Sex sex;
  };
  const Case cases[] = {
      {"991231100050", 1899, 12, 31, Sex::Male},    // 1: 1800s, male
      {"991231200077", 1899, 12, 31, Sex::Female},  // 2: 1800s, female
      {"900427300179", 1990, 4, 27, Sex::Male},     // 3: 1900s, male
      {"500615401230", 1950, 6, 15, Sex::Female},   // 4: 1900s, female
      {"050115500423", 2005, 1, 15, Sex::Male},     // 5: 2000s, male
      {"050115600423", 2005, 1, 15, Sex::Female},   // 6: 2000s, female
  };
  for (const Case& c : cases) {
    CAPTURE(c.iin);
    const IinInfo info = Valid(c.iin);
    CHECK(info.birth_date == Date(c.year, c.month, c.day));
    CHECK(info.sex == c.sex);
  }
}

TEST_CASE("iin: years with leading zeros (2000, 2005) keep them in the number's text") {
  const IinInfo y2005 = Valid("050115500423");
  CHECK(y2005.iin.value == 50115500423ull);  // 11 significant digits
  CHECK(FormatIin(y2005.iin) == "050115500423");
  CHECK(civil::ToYmd(y2005.birth_date).year == 2005);

  const IinInfo y2000 = Valid("000229500018");  // 29 Feb 2000: 2000 is a leap year
  CHECK(y2000.iin.value == 229500018ull);
  CHECK(FormatIin(y2000.iin) == "000229500018");
  CHECK(y2000.birth_date == Date(2000, 2, 29));
  CHECK(y2000.sex == Sex::Male);
}

TEST_CASE("iin: the check digit uses the second weights when the first sum gives 10") {
  REQUIRE(ReferenceCheckDigit("90042730000") == 5);
  const IinInfo info = Valid("900427300005");
  CHECK(info.birth_date == Date(1990, 4, 27));
  for (char wrong = '0'; wrong <= '9'; ++wrong) {
    if (wrong == '5') continue;
    CHECK(ErrorOf(std::string("90042730000") + wrong) == fb::RejectionCode::IinBadCheckDigit);
  }
}

TEST_CASE("iin: exactly one check digit fits eleven digits, as the reference rule says") {
  // Every serial of one birth date and century digit: the parser agrees with the reference rule.
  int undefined = 0;
  int disagreements = 0;
  std::string first_disagreement;
  for (int serial = 0; serial < 10000; ++serial) {
    const std::string first11 = fmt::format("1503125{:04}", serial);
    const std::optional<int> check = ReferenceCheckDigit(first11);
    if (!check) ++undefined;
    for (int digit = 0; digit <= 9; ++digit) {
      const std::string iin = first11 + static_cast<char>('0' + digit);
      const auto parsed = ParseIin(iin);
      const fb::RejectionCode expected = !check            ? fb::RejectionCode::IinCheckDigitUndefined
                                         : digit != *check ? fb::RejectionCode::IinBadCheckDigit
                                                           : fb::RejectionCode::None;
      const fb::RejectionCode got =
          std::holds_alternative<IinError>(parsed) ? std::get<IinError>(parsed).code : fb::RejectionCode::None;
      if (got != expected && disagreements++ == 0) first_disagreement = iin;
    }
  }
  CHECK_MESSAGE(disagreements == 0, "first disagreement: ", first_disagreement);
  CHECK(undefined > 0);
  CHECK(undefined < 10000 / 11);
}

TEST_CASE("iin: IinWrongLength: anything but 12 characters") {
  CHECK(ErrorOf("") == fb::RejectionCode::IinWrongLength);
  CHECK(ErrorOf("90042730017") == fb::RejectionCode::IinWrongLength);    // 11
  CHECK(ErrorOf("9004273001790") == fb::RejectionCode::IinWrongLength);  // 13
  CHECK(ErrorOf(" 900427300179") == fb::RejectionCode::IinWrongLength);  // padded
  CHECK(ErrorOf("900427-300179") == fb::RejectionCode::IinWrongLength);
  CHECK(ErrorOf("abc") == fb::RejectionCode::IinWrongLength);  // length is checked first
}

TEST_CASE("iin: IinNotDigits: 12 characters that are not all digits 0-9") {
  CHECK(ErrorOf("90042730017a") == fb::RejectionCode::IinNotDigits);
  CHECK(ErrorOf("9004273001 9") == fb::RejectionCode::IinNotDigits);
  CHECK(ErrorOf("+90042730017") == fb::RejectionCode::IinNotDigits);
  CHECK(ErrorOf("-90042730017") == fb::RejectionCode::IinNotDigits);
  CHECK(ErrorOf(std::string("90042730017\0", 12)) == fb::RejectionCode::IinNotDigits);
  CHECK(ErrorOf("ИИНИИН") == fb::RejectionCode::IinNotDigits);          // 6 Cyrillic letters = 12 bytes
  CHECK(ErrorOf("９００４２７") == fb::RejectionCode::IinWrongLength);  // full-width digits: 18 bytes
}

TEST_CASE("iin: IinBadCenturyDigit: the 7th digit 0, 7, 8 or 9") {
  for (const char digit : {'0', '7', '8', '9'}) {
    CAPTURE(digit);
    // A check digit that would fit is irrelevant: the century digit is checked first.
    for (char last = '0'; last <= '9'; ++last) {
      const std::string iin = std::string("900427") + digit + "0017" + last;
      CHECK(ErrorOf(iin) == fb::RejectionCode::IinBadCenturyDigit);
    }
  }
}

TEST_CASE("iin: IinBadBirthDate: YYMMDD that is no real day in the century") {
  // Each with its correct check digit, so only the date is wrong.
  const auto with_check = [](const std::string& first11) {
    const std::optional<int> check = ReferenceCheckDigit(first11);
    return first11 + static_cast<char>('0' + check.value_or(0));
  };
  CHECK(ErrorOf(with_check("90132730017")) == fb::RejectionCode::IinBadBirthDate);  // month 13
  CHECK(ErrorOf(with_check("90002730017")) == fb::RejectionCode::IinBadBirthDate);  // month 00
  CHECK(ErrorOf(with_check("90040030017")) == fb::RejectionCode::IinBadBirthDate);  // day 00
  CHECK(ErrorOf(with_check("90043130017")) == fb::RejectionCode::IinBadBirthDate);  // 31 April
  CHECK(ErrorOf(with_check("24023050001")) == fb::RejectionCode::IinBadBirthDate);  // 30 Feb 2024
  CHECK(ErrorOf(with_check("23022950001")) == fb::RejectionCode::IinBadBirthDate);  // 29 Feb 2023
  CHECK(ErrorOf(with_check("00022930001")) == fb::RejectionCode::IinBadBirthDate);  // 29 Feb 1900
  CHECK(ErrorOf(with_check("99123230001")) == fb::RejectionCode::IinBadBirthDate);  // 32 Dec
  // The same day in a leap year of another century is fine.
  CHECK(Valid(with_check("00022950001")).birth_date == Date(2000, 2, 29));
  CHECK(Valid(with_check("24022950001")).birth_date == Date(2024, 2, 29));
  CHECK(Valid(with_check("96022930001")).birth_date == Date(1996, 2, 29));
}

TEST_CASE("iin: IinBadCheckDigit: every other last digit of a valid IIN") {
  const std::string valid = "900427300179";
  for (char digit = '0'; digit <= '9'; ++digit) {
    if (digit == valid.back()) continue;
    CHECK(ErrorOf(valid.substr(0, 11) + digit) == fb::RejectionCode::IinBadCheckDigit);
  }
  // A changed serial digit is caught too (the 10th digit here: with weight 11, a change of the
  // 11th digit alone leaves the first weighted sum as it was).
  CHECK(ErrorOf("900427300279") == fb::RejectionCode::IinBadCheckDigit);
  CHECK(Valid("900427300278").birth_date == Date(1990, 4, 27));
}

TEST_CASE("iin: IinCheckDigitUndefined: eleven digits whose both weighted sums give 10") {
  // Search the serials of one valid birth date for the first eleven digits with no check digit.
  std::string found;
  for (int serial = 0; serial < 10000 && found.empty(); ++serial) {
    const std::string first11 = fmt::format("2501015{:04}", serial);
    if (!ReferenceCheckDigit(first11)) found = first11;
  }
  REQUIRE_MESSAGE(!found.empty(), "no eleven digits without a check digit among 10000 serials");
  CHECK(found == "25010150035");
  for (char digit = '0'; digit <= '9'; ++digit) {
    CAPTURE(digit);
    CHECK(ErrorOf(found + digit) == fb::RejectionCode::IinCheckDigitUndefined);
  }
}

TEST_CASE("iin: the checks run in order: length, digits, century, birth date, check digit") {
  CHECK(ErrorOf("99999999999") == fb::RejectionCode::IinWrongLength);
  CHECK(ErrorOf("x99999999999") == fb::RejectionCode::IinNotDigits);
  CHECK(ErrorOf("999999999999") == fb::RejectionCode::IinBadCenturyDigit);  // month 99 too
  CHECK(ErrorOf("991399599999") == fb::RejectionCode::IinBadBirthDate);     // check digit wrong too
}

TEST_CASE("iin: FormatIin writes 12 digits with leading zeros") {
  CHECK(FormatIin(Iin{0}) == "000000000000");
  CHECK(FormatIin(Iin{229500018}) == "000229500018");
  CHECK(FormatIin(Iin{999999999999ull}) == "999999999999");
  CHECK(FormatIin(Iin{1'000'000'000'000ull}) == "1000000000000");  // no IIN has it; written in full
  // WriteIin (two digits a step) agrees with a digit-by-digit reference on every digit position.
  uint64_t value = 1;
  for (int step = 0; step < 40; ++step, value = (value * 7919 + 104729) % kIinEnd) {
    std::string reference(12, '0');
    for (uint64_t v = value, i = 12; i-- > 0; v /= 10) reference[i] = static_cast<char>('0' + v % 10);
    char written[12];
    WriteIin(Iin{value}, written);
    CHECK(std::string(written, sizeof written) == reference);
  }
}

}  // namespace kezek::test
