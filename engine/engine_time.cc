// Time's authority and speed limit (DESIGN §4). Engine time moves only by the System clock's
// ticks, and by other actions only within a small skew ahead of the clock's last tick: one wrong
// stamp (a portal's clock set to 2099) is refused and moves nothing, so it can never fire every
// school-age timer of a queue. A filing's stamp ranks it only within a small skew behind engine time, so nobody
// jumps the queue by stamping a filing a week back. Order in the log is the truth.
#include "engine/limits.h"
#include "engine/rules.h"

namespace kezek::rules {

Verdict AdmitInstant(InstantMs now, InstantMs clock, const fb::Action& action) {
  const int64_t instant = action.instant_ms();
  const bool started = now.value != 0;
  if (action.body_type() == fb::ActionBody::ClockTick) {
    if (started && instant - now.value > limits::kTickAdvanceMaxMs) {
      return Reject(fb::RejectionCode::InstantInFuture,
                    "a clock tick may move engine time at most {} days, and {} ms is {} ms past engine time {} ms",
                    limits::kTickAdvanceMaxMs / 86'400'000, instant, instant - now.value, now.value);
    }
    return std::nullopt;
  }
  if (!started) {
    return Reject(fb::RejectionCode::InstantInFuture,
                  "engine time has not started: the System clock's first ClockTick starts it");
  }
  // Measured from the clock's last tick, not from engine time: actions each stamped a little after
  // the one before would otherwise carry time forward among themselves, past every deadline
  // (a helper's finding: 150 refused withdrawals 5 minutes apart annulled a voucher a day early).
  if (instant - clock.value > limits::kActionSkewAheadMs) {
    return Reject(fb::RejectionCode::InstantInFuture,
                  "instant_ms {} is {} ms ahead of the System clock's last tick at {} ms; at most {} ms ahead is accepted",
                  instant, instant - clock.value, clock.value, limits::kActionSkewAheadMs);
  }
  return std::nullopt;
}

InstantMs RankingInstant(InstantMs now, InstantMs stamped) {
  const InstantMs earliest{now.value - limits::kFilingSkewBehindMs};
  return stamped < earliest ? earliest : stamped;
}

}  // namespace kezek::rules
