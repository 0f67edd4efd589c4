// The IIN (ИИН): 12 digits YYMMDD C SSSS K. C is the century and sex digit (1/2: 1800s,
// 3/4: 1900s, 5/6: 2000s; odd male, even female), K the check digit: the weighted sum with
// weights 1..11 modulo 11; if that is 10, weights 3,4,5,6,7,8,9,10,11,1,2; a second 10 means
// no valid IIN has these first eleven digits.
#pragma once

#include <string_view>
#include <variant>

#include "engine/types.h"
#include "engine/schemas_fwd.h"

namespace kezek {

enum class Sex : uint8_t { Male, Female };

struct IinInfo {
  Iin iin;
  LocalDate birth_date;
  Sex sex;
};

struct IinError {
  fb::RejectionCode code;
  const char* reason;  // static English text
};

// Parses and validates an IIN. Every way it can be invalid has its own code:
// IinWrongLength, IinNotDigits, IinBadCenturyDigit, IinBadBirthDate, IinCheckDigitUndefined,
// IinBadCheckDigit.
std::variant<IinInfo, IinError> ParseIin(std::string_view text);

// The 12-digit text of an IIN, with leading zeros (a value of more digits, which no parsed IIN
// has, in full).
std::string FormatIin(Iin iin);
// Every IIN ParseIin accepts is below this.
inline constexpr uint64_t kIinEnd = 1'000'000'000'000ULL;
// Writes the 12 digits of `iin` to out[0..12). REQUIRES: iin.value < kIinEnd.
void WriteIin(Iin iin, char* out);

}  // namespace kezek
