// Checks a journal as an auditor reads it, record by record (`kezek journal`): each record passes
// the FlatBuffers Verifier, has the next sequence, names the SHA-256 of the record before it, and
// keeps the order of parts (DESIGN §5, "A record has a bound"; schemas/decisions.fbs): an input's
// records are parts 0, 1, ... of one input_offset, every one but the last `continued`. A part
// n + 1 without part n, a new input while the previous one was continued, or a journal that ends
// on a continued record is a torn input, and refused.
//
// Pure: the caller reads the records.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/sha256.h"

namespace kezek::events {

class JournalChain {
 public:
  // Checks the next record. "" if it continues the journal; otherwise what is wrong, naming the
  // record by its position (then the chain is broken and every later call refuses too).
  [[nodiscard]] std::string Add(std::span<const uint8_t> record);
  // The same checks but the Verifier, for a record whose bytes equal one an engine built (a
  // FlatBuffer its builder wrote: `replay verify`'s first pass), its SHA-256 already computed.
  [[nodiscard]] std::string AddBuilt(std::span<const uint8_t> record, const Sha256& sha256);
  // Starts the chain after `previous`, the record before the first one Add is given (a reader
  // that begins in the middle of a journal): "" once it passes the Verifier, else what is wrong.
  [[nodiscard]] std::string Resume(std::span<const uint8_t> previous);
  // "" if the journal may end here; what is wrong otherwise (its last input is torn).
  [[nodiscard]] std::string End() const;

  uint64_t records() const { return records_; }
  const Sha256& head() const { return head_; }

 private:
  Sha256Hasher sha256_;
  Sha256 head_{};
  uint64_t records_ = 0;
  bool broken_ = false;
  bool continued_ = false;      // the last record said that more parts of its input follow
  uint32_t part_ = 0;           // the last record's part
  uint64_t input_offset_ = 0;   // the last record's input
};

}  // namespace kezek::events
