// A small world for tests: an engine, the codec, the real calendar from shared/data, and builders
// for actions. Every action goes through the canonical encoding, as in production.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "engine/civil_time.h"
#include "engine/engine.h"
#include "engine/messages.h"
#include "events/codec.h"
#include "workload/reference_data.h"
#include "workload/simulation.h"

namespace kezek::test {

// 2025-02-06T11:46Z = 16:46 at UTC+5, the seed's voucher instant.
inline int64_t Utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return int64_t{civil::FromYmd({y, m, d}).value} * kMsPerDay + (int64_t{hh} * 60 + mm) * kMsPerMinute;
}

inline constexpr int64_t kHourMs = 3'600'000;
// Local time in Almaty since 1 March 2024 (UTC+5), as UTC milliseconds.
inline int64_t Kz(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) { return Utc(y, m, d, hh, mm) - 5 * kHourMs; }
// The end of a local day at UTC+5: 00:00 of the next day.
inline int64_t EndOfDayKz(int y, unsigned m, unsigned d) { return Utc(y, m, d, 19, 0); }

// A valid IIN for a birth date, century/sex digit and serial (skipping serials with no check digit).
std::string MakeIin(int year, unsigned month, unsigned day, bool male = true, unsigned serial = 1);

// The canonical actions of a generated history (workload::Simulate), in log order; REQUIREs success.
std::vector<std::vector<uint8_t>> SimulatedLog(const workload::SimulationOptions& options,
                                               workload::SimulationSummary* summary = nullptr);

// A whole file's bytes, and writing them back (replacing the file): for damaging logs on purpose.
std::vector<uint8_t> ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes);

// A fresh directory under the system's temporary directory, unique to this process.
std::string TempDir(const std::string& name);

struct Outcome {
  fb::Outcome outcome = fb::Outcome::Applied;
  fb::RejectionCode code = fb::RejectionCode::None;
  std::vector<uint8_t> record;  // the action's (first) record
  // The action's later records, when its decisions were split into parts (DESIGN §5).
  std::vector<std::vector<uint8_t>> parts;
  // The records of the ticker's ticks that World::Do posted just before the action, if it did.
  std::vector<std::vector<uint8_t>> tick_records;
  // The world's message templates, for notifications made from them (else their own texts).
  const messages::TemplateBook* templates = nullptr;
  const fb::JournalRecord* journal() const { return fb::GetJournalRecord(record.data()); }
  // The decisions of the tick before the action (expiries as time reached it), then the action's.
  template <typename T>
  std::vector<const T*> All() const {
    std::vector<const T*> found;
    for (const std::vector<uint8_t>* bytes : Records()) {
      const auto* decisions = fb::GetJournalRecord(bytes->data())->decisions();
      if (decisions == nullptr) continue;
      for (const fb::Decision* d : *decisions) {
        if (const auto* body = d->body_as<T>()) found.push_back(body);
      }
    }
    return found;
  }
  template <typename T>
  const T* First() const {
    auto all = All<T>();
    return all.empty() ? nullptr : all.front();
  }
  std::vector<std::string> NotificationsRu() const;
  // The ticks' records, then the action's (every part).
  std::vector<const std::vector<uint8_t>*> Records() const;
  std::string reason() const;
};

// REQUIREs that the action was applied (not rejected), and passes the outcome on.
Outcome Ok(Outcome outcome);
// The decision kinds of an outcome (the ticker's tick first, then the action), in order, e.g.
// "ApplicationAccepted,EnteredQueue,Notification".
std::string Kinds(const Outcome& outcome);

class World {
 public:
  static constexpr uint32_t kLocality = 1;
  static constexpr uint32_t kKindergarten = 10;
  static constexpr uint32_t kGroupKk = 100;   // ages 2-5, kk, 2 places
  static constexpr uint32_t kGroupRu = 101;   // ages 2-5, ru, 1 place
  static constexpr uint32_t kGroupSpeech = 102;  // ages 2-5, kk, speech correction, 1 place
  inline static const std::string kParent = MakeIin(1990, 4, 27, false, 17);
  // The country-wide number of the `serial`th application (or voucher) of kLocality:
  // 1 -> 1000001 (engine/numbers.h).
  static constexpr uint64_t Number(uint64_t serial) { return uint64_t{kLocality} * 1'000'000 + serial; }

  // With `catalogue`, posts the real calendar, the locality (UTC+6 before 1 March 2024, then
  // UTC+5), one ДО with three groups and a policy with the three tiers of Kazakhstan's law.
  explicit World(bool catalogue = true);

  // Applies an action with the next idempotency key (unless set) at `instant_ms`. With `ticker`
  // on, it stands in for the server's ticker on the real clock (DESIGN §4): when the action is
  // stamped further ahead of engine time than limits::kActionSkewAheadMs (a tick: further than
  // limits::kTickAdvanceMaxMs), System ClockTicks go first (keys "ticker-N"), each at most
  // limits::kTickAdvanceMaxMs on; the Outcome shows those ticks' decisions too.
  Outcome Do(fb::ActionT action, int64_t instant_ms);
  Outcome Json(const std::string& json);
  Outcome Bytes(const std::vector<uint8_t>& bytes);
  // Keeps the result's records in the journal and returns them as an outcome.
  Outcome Recorded(const ApplyResult& result);

  static fb::ActionT Action(fb::Role role, std::string iin = "");
  template <typename BodyT>
  static fb::ActionT Action(fb::Role role, BodyT body, std::string iin = "") {
    fb::ActionT action = Action(role, std::move(iin));
    action.body.Set(std::move(body));
    return action;
  }

  // Files a general-queue application for a child born on the date; returns its id.
  uint64_t FileGeneral(int64_t at, int y, unsigned m, unsigned d, unsigned serial = 1,
                       const std::string& category = "general", fb::Language language = fb::Language::Kk);
  Outcome Allocate(int64_t at, uint16_t birth_year, uint32_t count, fb::Language language = fb::Language::Kk);
  Outcome Answer(int64_t at, uint64_t application, bool interested);
  // A System ClockTick at `at`; with `ticker` on, ticks at most limits::kTickAdvanceMaxMs apart
  // lead up to it when it is further ahead (the Outcome shows their decisions too).
  Outcome Tick(int64_t at);

  // The ticker's ticks before an action of `kind` stamped `instant_ms`, if any are due (see Do).
  std::vector<std::vector<uint8_t>> TicksBefore(fb::ActionBody kind, int64_t instant_ms);

  Engine engine;
  events::Codec codec;
  std::vector<std::vector<uint8_t>> journal;  // every record the engine wrote, in sequence order
  // Every input as the actions log holds it (events::EncodeAction), while every one was an action
  // (`inputs_whole`: no JSON rejection was applied).
  std::vector<std::vector<uint8_t>> inputs;
  bool inputs_whole = true;
  messages::TemplateBook templates;           // the templates the journal posted
  bool ticker = true;
  uint64_t next_tick_key = 1;
  uint64_t next_key = 1;
  uint64_t next_offset = 0;
};

// A crowd (DESIGN §5, "A record has a bound"): `children` children born in 2021 filed into the
// world's kk general queue, then an allocation of as many vouchers (one input deciding a voucher
// and a notification for each) and a tick 10 days on, past every interest deadline (one input
// firing every voucher's expiry). Returns the two outcomes. REQUIRES: a world with its catalogue.
struct Crowd {
  Outcome allocation;
  Outcome expiry;  // the tick's own record(s); the ticker's ticks before it, if any, apart
};
Crowd PlayCrowd(World& world, uint32_t children);

// The records of one input in an outcome: its first record and its later parts.
std::vector<std::vector<uint8_t>> InputRecords(const Outcome& outcome);

}  // namespace kezek::test
