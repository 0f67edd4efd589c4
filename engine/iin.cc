#include "engine/iin.h"

#include <array>

#include <fmt/format.h>

#include "engine/assert.h"
#include "engine/civil_time.h"

namespace kezek {
namespace {

constexpr std::array<int, 11> kWeightsFirst = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
constexpr std::array<int, 11> kWeightsSecond = {3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2};

int WeightedRemainder(const std::array<int, 12>& digits, const std::array<int, 11>& weights) {
  int sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) sum += digits[i] * weights[i];
  return sum % 11;
}

}  // namespace

std::variant<IinInfo, IinError> ParseIin(std::string_view text) {
  if (text.size() != 12) {
    return IinError{fb::RejectionCode::IinWrongLength, "an IIN has exactly 12 characters"};
  }
  std::array<int, 12> digits{};
  uint64_t value = 0;
  for (size_t i = 0; i < 12; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return IinError{fb::RejectionCode::IinNotDigits, "an IIN has only the digits 0-9"};
    }
    digits[i] = c - '0';
    value = value * 10 + static_cast<uint64_t>(digits[i]);
  }
  const int century_digit = digits[6];
  if (century_digit < 1 || century_digit > 6) {
    return IinError{fb::RejectionCode::IinBadCenturyDigit,
                    "the 7th digit of an IIN (century and sex) must be 1 to 6"};
  }
  const int century = 1800 + 100 * ((century_digit - 1) / 2);
  const int year = century + digits[0] * 10 + digits[1];
  const int month = digits[2] * 10 + digits[3];
  const int day = digits[4] * 10 + digits[5];
  const auto birth = civil::FromYyyymmdd(year * 10000 + month * 100 + day);
  if (!birth) {
    return IinError{fb::RejectionCode::IinBadBirthDate,
                    "the first 6 digits of an IIN (YYMMDD) are not a real date"};
  }
  int check = WeightedRemainder(digits, kWeightsFirst);
  if (check == 10) {
    check = WeightedRemainder(digits, kWeightsSecond);
    if (check == 10) {
      return IinError{fb::RejectionCode::IinCheckDigitUndefined,
                      "no IIN has these first 11 digits: both check sums give 10"};
    }
  }
  if (check != digits[11]) {
    return IinError{fb::RejectionCode::IinBadCheckDigit, "the IIN's check digit does not match"};
  }
  return IinInfo{Iin{value}, *birth, century_digit % 2 == 1 ? Sex::Male : Sex::Female};
}

void WriteIin(Iin iin, char* out) {
  KEZEK_ASSERT(iin.value < kIinEnd);
  // Two digits a step from a table of "00".."99": six divisions instead of twelve.
  static constexpr auto kPairs = [] {
    std::array<char, 200> pairs{};
    for (int i = 0; i < 100; ++i) {
      pairs[static_cast<size_t>(2 * i)] = static_cast<char>('0' + i / 10);
      pairs[static_cast<size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
    }
    return pairs;
  }();
  uint64_t value = iin.value;
  for (int i = 10; i >= 0; i -= 2, value /= 100) {
    const size_t pair = 2 * static_cast<size_t>(value % 100);
    out[i] = kPairs[pair];
    out[i + 1] = kPairs[pair + 1];
  }
}

// WriteIin, not fmt, for every IIN an application can hold (the decisions write theirs straight
// into the record's builder: DecisionWriter's CreateIin).
std::string FormatIin(Iin iin) {
  if (iin.value >= kIinEnd) return fmt::format("{:012}", iin.value);
  std::string out(12, '0');
  WriteIin(iin, out.data());
  return out;
}

}  // namespace kezek
