// `kezek stats`: an analyst's statistics of a journal, as of any instant or sequence, per
// locality and queue (docs/audit.md, "Statistics"). Fed by journal records alone, in order:
//   - the queue's length over time: applications waiting (InQueue) at the end of every month;
//   - flows: applications filed and queued; vouchers issued, used (enrollment), declined,
//     expired (interest not confirmed, not enrolled in time) and returned unused (withdrawn, school
//     age); stop-list entries and returns to the queue; archivals by reason;
//   - waiting times: from the filing instant that ranks an application (filed_at_ms) to its first
//     voucher and to its enrollment, in days (median and 90th percentile, nearest rank);
//   - popular ДО: enrollment requests and enrollments per kindergarten.
// Months are calendar months in Kazakhstan's time (UTC+5, the country's one zone since 1 March
// 2024; for earlier records too, so that every month has one boundary). Pure: no clock, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "engine/schemas_fwd.h"

namespace kezek::projections {

class HistoryStats {
 public:
  struct Bound {
    std::optional<int64_t> before_ms;         // only records with engine time before this instant
    std::optional<uint64_t> before_sequence;  // only inputs whose first record's sequence is below this
  };
  explicit HistoryStats(Bound bound = {}) : bound_(bound) {}

  // Applies one verified JournalRecord; false (and nothing applied) once the bound is reached:
  // the caller stops reading.
  bool Apply(std::span<const uint8_t> record);

  // A queue of a locality: (locality, queue type). Locality 0 is the whole country in reports.
  struct Key {
    uint32_t locality = 0;
    uint8_t special = 0;  // 0 general, 1 special (fb::QueueType)
    auto operator<=>(const Key&) const = default;
  };
  struct Flows {
    uint64_t filed = 0, queued = 0, waiting = 0;
    uint64_t vouchers_issued = 0, vouchers_used = 0, vouchers_declined = 0, vouchers_expired = 0, vouchers_returned = 0;
    uint64_t stop_listed = 0, returned_to_queue = 0;
    uint64_t archived_documents_rejected = 0, archived_declined = 0, archived_not_enrolled = 0, archived_enrolled = 0,
             archived_withdrawn = 0, archived_school_age = 0;
    std::vector<uint32_t> wait_to_voucher_minutes, wait_to_enrollment_minutes;
  };
  struct Kindergarten {
    uint32_t locality = 0;
    std::string name_ru;
    uint64_t requests = 0, enrollments = 0;
  };

  // --- The reports (as of the last record applied) ------------------------------------------
  // Sections: "queue" (month, locality, queue, waiting), "flows" (one row per locality and queue,
  // and the country's), "kindergartens" (the `top` most requested), as CSV with a header line.
  std::string Csv(std::string_view section, uint32_t top = 20) const;
  // Everything as one JSON object.
  std::string Json(uint32_t top = 20) const;
  // A table a person reads: the flows and waiting times per locality, and the country's.
  std::string Text(uint32_t top = 10) const;

  // --- The stored form (in as-of checkpoints, adapters/embedded/checkpoints.h) ----------------
  // Everything applied so far, in a deterministic encoding (maps in key order); Load replaces
  // this object's figures with a saved one's (its bound stays). False: the bytes do not decode.
  std::string Save() const;
  [[nodiscard]] bool Load(std::string_view bytes);
  // Changes the bound (a loaded object goes on to another point).
  void SetBound(Bound bound) { bound_ = bound; }

  // For tests: the flows by key (country rows included under locality 0), and the monthly queue.
  std::map<Key, Flows> FlowsByKey() const;
  std::map<std::pair<int32_t, Key>, uint64_t> monthly() const { return QueueRows(); }  // (yyyymm, key) -> waiting
  uint64_t records() const { return records_; }
  int64_t engine_time_ms() const { return engine_time_ms_; }
  uint64_t next_sequence() const { return next_sequence_; }

 private:
  struct App {
    int64_t filed_at_ms = 0;
    uint32_t locality = 0;
    uint8_t special = 0;
    bool waiting = false;
    bool had_voucher = false;
  };
  void Decide(const fb::Decision& decision, int64_t at_ms);
  void Action(const fb::JournalRecord& record);
  void CloseMonthsUntil(int32_t yyyymm);
  std::string LocalityName(uint32_t locality) const;  // name_ru; "Казахстан" for 0; "" if unknown
  // The waiting counts by (yyyymm, key): every closed month, the month under way as of now, and
  // the country's sums under locality 0.
  std::map<std::pair<int32_t, Key>, uint64_t> QueueRows() const;
  // The `top` kindergartens by enrollment requests, then enrollments (ties: by number).
  std::vector<std::pair<uint32_t, const Kindergarten*>> Popular(uint32_t top) const;
  Flows& FlowsOf(const App& app) { return flows_[Key{app.locality, app.special}]; }

  Bound bound_;
  uint64_t records_ = 0;
  uint64_t next_sequence_ = 0;
  int64_t engine_time_ms_ = 0;
  int32_t month_ = 0;  // yyyymm of the records being applied (0 before any)
  absl::flat_hash_map<uint64_t, App> apps_;
  std::map<Key, Flows> flows_;
  std::map<std::pair<int32_t, Key>, uint64_t> monthly_;
  std::map<uint32_t, std::string> locality_names_;   // name_ru
  std::map<uint32_t, Kindergarten> kindergartens_;
};

}  // namespace kezek::projections
