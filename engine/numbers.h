// Country-wide application and voucher numbers (DESIGN §5, docs/domain.md "Country-wide numbers").
// A number is locality × limits::kSerialsPerLocality + serial, the serial counting 1, 2, … the
// applications (or the vouchers) of that locality in journal order. It depends on nothing but the
// locality's own history, so it is the same whichever partition the locality lives in, and the
// locality is read back from it: the Kafka router sends an action naming an application or a
// voucher to the partition of its locality. Locality ids are uint32, so every number is below
// 2^32 × 10^6 < 2^53: exact as a JSON number in JavaScript.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "engine/limits.h"
#include "engine/types.h"

namespace kezek {

static_assert(uint64_t{std::numeric_limits<uint32_t>::max()} * limits::kSerialsPerLocality < (uint64_t{1} << 53));

// The number of the `serial`th application or voucher of `locality`.
// REQUIRES: 1 <= serial < limits::kSerialsPerLocality.
constexpr uint64_t NumberOf(LocalityId locality, uint64_t serial) {
  return uint64_t{locality.value} * limits::kSerialsPerLocality + serial;
}

// The serial part of a number (0 for a number no application or voucher has).
constexpr uint32_t SerialOfNumber(uint64_t number) {
  return static_cast<uint32_t>(number % limits::kSerialsPerLocality);
}

// The locality a number belongs to; nullopt for a number no application or voucher can have
// (serial 0, e.g. the number 0, or a locality beyond uint32). Such a number is unknown
// everywhere: any partition rejects an action naming it.
constexpr std::optional<LocalityId> LocalityOfNumber(uint64_t number) {
  const uint64_t locality = number / limits::kSerialsPerLocality;
  if (SerialOfNumber(number) == 0 || locality > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return LocalityId{static_cast<uint32_t>(locality)};
}

}  // namespace kezek
