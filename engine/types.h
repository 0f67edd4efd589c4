// Strong types for identifiers and instants: two parameters of the same raw type cannot be
// swapped by accident, and every unit is in the name.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace kezek {

template <typename T, typename Tag>
struct Named {
  T value{};
  constexpr Named() = default;
  constexpr explicit Named(T v) : value(v) {}
  constexpr auto operator<=>(const Named&) const = default;
};

using InstantMs = Named<int64_t, struct InstantMsTag>;          // UTC, ms since the Unix epoch
using LocalDate = Named<int32_t, struct LocalDateTag>;          // days since 1970-01-01, local
using ApplicationId = Named<uint64_t, struct ApplicationIdTag>; // country-wide number (engine/numbers.h); 0: none
using VoucherId = Named<uint64_t, struct VoucherIdTag>;         // country-wide number (engine/numbers.h); 0: none
using LocalityId = Named<uint32_t, struct LocalityIdTag>;
using KindergartenId = Named<uint32_t, struct KindergartenIdTag>;
using GroupId = Named<uint32_t, struct GroupIdTag>;
using Iin = Named<uint64_t, struct IinTag>;                     // the 12 digits as a number

inline constexpr int64_t kMsPerMinute = 60'000;
inline constexpr int64_t kMsPerDay = 86'400'000;

}  // namespace kezek

template <typename T, typename Tag>
struct std::hash<kezek::Named<T, Tag>> {
  size_t operator()(const kezek::Named<T, Tag>& n) const noexcept { return std::hash<T>{}(n.value); }
};
