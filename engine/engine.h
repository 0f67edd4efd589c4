// The engine: a pure fold from (state, action) to decisions, written as hash-chained journal
// records. It reads no clock, randomness, environment or file: time comes only from actions.
// Same inputs in the same order give byte-identical records and an equal state hash.
//
// Thread-safety: none; one engine per partition, driven by one thread.
#pragma once

#include <array>
#include <functional>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

#include "engine/schemas_fwd.h"
#include "engine/decision_writer.h"
#include "engine/sha256.h"
#include "engine/state.h"
#include "engine/state_codec.h"

namespace kezek {

// The reason the engine gives an input whose bytes are no Action buffer (VerifierFailed): the
// record keeps those bytes as its raw input (events::InputOfRecord recognises it by this).
inline constexpr std::string_view kNotAnActionBuffer = "the bytes are no valid Action buffer (identifier KZAC)";

struct Rejection;

inline constexpr uint16_t kSchemaVersion = 1;

struct ApplyResult {
  fb::Outcome outcome = fb::Outcome::Applied;
  fb::RejectionCode code = fb::RejectionCode::None;
  // The input's journal records, in order: one, or several parts when its decisions pass the
  // record's bound (DESIGN §5; engine/limits.h). Each record and the list are valid until the
  // next call.
  std::span<const std::span<const uint8_t>> records;
  Sha256 record_sha256{};  // of the last record: the journal's new head (zeros while HashRecords is off)
};

class Engine {
 public:
  Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Folds one input, the bytes of an Action buffer (copied first if not aligned), taken from position `input_offset` of the
  // actions log. Verifies it (FlatBuffers Verifier, size, schema version, required fields), then
  // answers a repeated idempotency key with its original outcome, or advances time (expiring
  // every deadline due), checks the role and applies the action. Every outcome, including every
  // rejection, is one journal record; a rejection leaves the state as it was.
  ApplyResult Apply(std::span<const uint8_t> action_bytes, uint64_t input_offset);

  // A hint, before Apply of the same bytes (a fold loop calls it an input or two ahead): starts
  // loading the parts of the state that action will touch first (its idempotency key's slot, its
  // application, the child it files for, the group it chooses), so that their cache misses
  // overlap the fold of the inputs before it. Each call also takes the previous call's action a
  // step further, now that its application is loaded: the group, ДО and child entry that
  // application leads to. Changes nothing observable; bytes whose read fields do not verify are
  // ignored. Called by the thread that calls Apply, as Apply is.
  void Prefetch(std::span<const uint8_t> action_bytes) const;

  // Journals an input that never became an action (e.g. malformed JSON), keeping its bytes.
  ApplyResult RejectInput(std::span<const uint8_t> raw_input, fb::RejectionCode code,
                          std::string_view reason, uint64_t input_offset);

  // The hash chain, left to the caller (a verification that reads the journal's hashes on a core
  // of its own): while off, Apply hashes no record and writes every record's prev_sha256 as 32
  // zero bytes; the caller knows the true value (the SHA-256 of the record before) and compares or
  // patches accordingly, and hands the head back with SetHead before anything reads the state
  // (StateHash, DrainChanges assert it). On by default. Bytes and hashes are unchanged by it.
  void HashRecords(bool on);
  // The journal's head: the SHA-256 of the last record folded, computed by the caller.
  void SetHead(const Sha256& head);
  // Whether the state's changes are kept for DrainChanges (on by default). A fold that never
  // stores its state (a verification, a benchmark, 'kezek fold') turns it off, and each input's
  // changes are forgotten once it is folded: kept to the end of a country's history, they were
  // hundreds of megabytes written and never read. DrainChanges REQUIRES it on.
  void TrackChanges(bool on);
  // A hint: about `inputs` more inputs are coming (a replay of a log, a catch-up). The idempotency
  // table, which grows by one entry with nearly every input, is sized for them now instead of
  // doubling on the way: each doubling moved every entry and faulted in fresh pages, 6-9% of a
  // country's fold. Changes nothing observable (the table's order is never read); at most
  // limits::kExpectedInputsMax are provided for.
  void Expect(uint64_t inputs);

  const State& state() const { return state_; }
  // False while records were folded unhashed since the last SetHead (HashRecords(false)): the
  // state's head is not known, and it may not be hashed.
  bool head_known() const { return !head_unknown_; }
  // The application's 1-based position in its queue; nullopt unless it is waiting in one.
  std::optional<uint64_t> PositionOf(ApplicationId id) const;
  // SHA-256 over a canonical encoding of the whole state (engine/state_hash.cc).
  Sha256 StateHash() const;

  // Calls `put` for every store entry changed since the last call (the meta entries always), then
  // forgets the changes. A store that applies these after each batch holds the state.
  void DrainChanges(const std::function<void(const state_codec::Put&)>& put);
  // Replaces the state with one rebuilt from stored entries: `fill` calls state_codec::LoadEntry
  // for each. False (and an empty state) if an entry does not decode or the entries disagree;
  // for the second, how in *why when given (state_codec::FinishLoad).
  [[nodiscard]] bool Restore(const std::function<bool(State*)>& fill, std::string* why = nullptr);

 private:
  friend class EngineTesting;  // tests/engine_testing.h: the record's bound, raised or lowered

  ApplyResult Finish(fb::Outcome outcome, const Rejection* rejection, std::span<const uint8_t> action,
                     std::span<const uint8_t> raw, uint64_t duplicate_of, uint64_t input_offset);
  std::optional<Rejection> Dispatch(const fb::Action& action);

  // Prefetch's second step, for the action hinted last (engine/prefetch.cc).
  struct PrefetchNext {
    uint64_t application = 0;  // the application it names, 0 for none
    uint32_t group = 0;        // the group it chooses, 0 for none
    fb::ActionBody body = fb::ActionBody::NONE;
  };
  void PrefetchFollowing(const PrefetchNext& next) const;

  Sha256Hasher sha256_;
  mutable PrefetchNext prefetch_next_;  // a hint's memory: never read by Apply
  bool hash_records_ = true;
  bool track_changes_ = true;
  bool head_unknown_ = false;  // records were folded unhashed since the last SetHead
  State state_;
  flatbuffers::FlatBufferBuilder builder_{4096};
  std::vector<uint8_t> aligned_input_;  // a copy of a misaligned input
  DecisionWriter decisions_{builder_};
  std::vector<std::span<const uint8_t>> records_;  // the last input's records
};

}  // namespace kezek
