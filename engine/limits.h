// Every limit of the engine, named in one place. Inputs beyond a limit are rejected with
// RejectionCode::LimitExceeded; a limit reached by the engine itself is an assertion.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kezek::limits {

inline constexpr uint32_t kVouchersPerAllocationMax = 100'000;
// Application and voucher numbers are country-wide: locality × this + a serial 1, 2, … of the
// locality's own (engine/numbers.h, docs/domain.md "Country-wide numbers"). A filing that would
// need serial kSerialsPerLocality, or an allocation that would pass it, is rejected.
inline constexpr uint64_t kSerialsPerLocality = 1'000'000;
inline constexpr uint32_t kGroupCapacityMax = 1'000;
inline constexpr size_t kCalendarDaysPerUpdateMax = 1'000;
inline constexpr size_t kPriorityTiersMax = 32;
inline constexpr size_t kCategoriesPerTierMax = 64;
inline constexpr uint16_t kRatioPartMax = 100;
inline constexpr size_t kTextFieldBytesMax = 512;           // names, reasons, document ids
inline constexpr size_t kIdempotencyKeyBytesMax = 128;
inline constexpr size_t kActionBytesMax = 64 * 1024;        // one encoded action
inline constexpr size_t kJsonLineBytesMax = 256 * 1024;     // one JSON line of input
inline constexpr int kWorkingDaySearchMax = 400;            // calendar days scanned for N working days
inline constexpr int kStopListDays = 10;                    // calendar days before returning to the queue
inline constexpr int kInterestWorkingDays = 2;
inline constexpr int kEnrollmentWorkingDays = 5;
inline constexpr int kExtensionWorkingDays = 2;
inline constexpr int kSignatureWorkingDays = 5;
inline constexpr int kSchoolAgeYears = 6;                   // first grade at 6 by 1 September
inline constexpr int kMaxAgeAtFilingYears = 7;
inline constexpr int16_t kUtcOffsetMinutesMin = -12 * 60;
inline constexpr int16_t kUtcOffsetMinutesMax = 14 * 60;
inline constexpr int64_t kInstantMsMin = 946'684'800'000;   // 2000-01-01T00:00Z
inline constexpr int64_t kInstantMsMax = 4'102'444'800'000; // 2100-01-01T00:00Z

// Time's authority and speed limit (DESIGN §4; engine/engine_time.cc, docs/domain.md "Time").
// An action other than the System clock's tick may be stamped at most this far ahead of engine
// time; it moves engine time to its stamp. Further ahead is InstantInFuture and moves nothing.
inline constexpr int64_t kActionSkewAheadMs = 5 * 60'000;
// A filing ranks by its stamp only within this far behind engine time: an older stamp is
// clamped to engine time minus this (a portal's ordinary delay, never a week's backdating).
inline constexpr int64_t kFilingSkewBehindMs = 5 * 60'000;
// One System clock tick moves engine time at most this far: a real outage (weeks), never years.
// The first tick of a journal (engine time not yet set) starts time and has no bound.
inline constexpr int64_t kTickAdvanceMaxMs = 35 * 86'400'000LL;

// A journal record has a bound (DESIGN §5; docs/domain.md "One input, several records"): it must
// fit a Kafka message, whose default limit (message.max.bytes, max.request.size) is 1 MiB. The
// decisions of one input go into consecutive records (parts) in order; a part takes no more
// decisions once it holds kDecisionsPerRecordMax of them or its decisions take
// kRecordDecisionBytesMax bytes. As one decision is at most kDecisionBytesMax (its texts are
// bounded by kTextFieldBytesMax and the message templates), a part's decisions take less than
// 256 + 16 KiB; with the action it repeats (at most kActionBytesMax, 64 KiB), the rejection (a
// reason of a few hundred bytes) and the envelope (under 1 KiB), a record stays under 340 KiB,
// a third of Kafka's default. A record without decisions may keep up to kJsonLineBytesMax
// (256 KiB) of a refused input line. The count bounds a reader's work per record (4,096 is also
// what one 256 KiB part holds of the smallest decisions, ~60 bytes each).
inline constexpr size_t kDecisionsPerRecordMax = 4'096;
inline constexpr size_t kRecordDecisionBytesMax = 256 * 1024;
inline constexpr size_t kDecisionBytesMax = 16 * 1024;     // one decision, encoded (asserted)
inline constexpr size_t kRecordBytesMax = 512 * 1024;      // one journal record, whole (asserted)
// Engine::Expect provides for at most this many inputs at once (an idempotency table of up to
// 1.4 GB): more than the births-sized country history's 12.4 million.
inline constexpr uint64_t kExpectedInputsMax = 16'000'000;

}  // namespace kezek::limits
