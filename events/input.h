// One input line and the engine input it becomes: the one piece of code through which every way
// in (`kezek fold`, `kezek append`, the HTTP server to come) turns a line into what the actions
// log stores and what the engine folds. The same bytes in give the same journal on every path.
//
// What a line becomes (docs/rejections.md, "The order of the checks", step 1):
//   - a blank line (nothing but spaces, tabs and CR) is refused MalformedJson, "a blank line
//     holds no action": every input line gets exactly one journal record;
//   - a line over limits::kJsonLineBytesMax is refused LimitExceeded; it is kept as its size, its
//     SHA-256 and its first limits::kOversizeLineHeadBytes bytes, never whole;
//   - any other line goes through Codec::ParseAction: an action, or a refusal keeping the line.
//
// Pure: no I/O (reading lines with a bound is adapters::LineReader).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "engine/sha256.h"
#include "events/codec.h"

namespace kezek::events {

struct InputLine {
  std::string text;        // the line without its '\n'; when oversize, only its first bytes
  uint64_t bytes = 0;      // the whole line's size in bytes
  bool oversize = false;   // bytes > limits::kJsonLineBytesMax
  Sha256 sha256{};         // of the whole line, when oversize
  // An adapter's own refusal of the line before the engine sees it (e.g. an HTTP key posting
  // another role's action): not None, the line is journaled as this rejection with `refusal`.
  fb::RejectionCode refused = fb::RejectionCode::None;
  std::string refusal;
};

// A line held whole in memory (a test, a generator, an HTTP body), bounded like a streamed one.
InputLine LineOf(std::string text);

// The payload of an input in the actions log (DO NOT CHANGE): tag kInputAction + an action's
// canonical bytes, or tag kInputRejected + u16 code + u32 reason length + reason + the bytes kept
// of the input (all little-endian).
inline constexpr uint8_t kInputAction = 1;
inline constexpr uint8_t kInputRejected = 2;

// The payload of one input line (see the top of this file).
std::vector<uint8_t> EncodeInput(Codec& codec, const InputLine& line);
// The payload of an action built in memory in canonical encoding (generators, the calendar).
std::vector<uint8_t> EncodeAction(std::span<const uint8_t> canonical);

// Whether FoldInput can fold `payload`: "" if so, else what is wrong with its frame ("has an
// unknown tag", "is cut short", ...; an action's own bytes are the engine's to verify).
std::string FrameProblem(std::span<const uint8_t> payload);
// A payload that reached the engine from outside Kezek's own writers and is no input (a message
// another producer put in the Kafka actions topic; FrameProblem said what is wrong): the input that
// refuses it, VerifierFailed, keeping its first limits::kOversizeLineHeadBytes bytes. Deterministic:
// the same bytes give the same input.
std::vector<uint8_t> EncodeForeign(std::span<const uint8_t> payload, std::string_view problem);
// The input that refuses `payload` with `code`: the reason, then the payload's size and how many of
// its first bytes are kept (limits::kOversizeLineHeadBytes at most). Deterministic.
std::vector<uint8_t> EncodeRefusal(fb::RejectionCode code, std::string_view reason, std::span<const uint8_t> payload);

// The payload that, folded at the record's input offset, gives the journal record `record` (part 0
// of its input, verified by the caller: events::JournalChain): the input recovered from the journal
// when the actions log is damaged (docs/audit.md, "A damaged actions log"). A record that carries
// its action (applied, rejected or a duplicate) gives tag kInputAction and those bytes; the
// engine's refusal of bytes that are no Action, its raw input the same way; any other record
// without an action, the refusal it records with the bytes it kept (tag kInputRejected). An
// oversize or refused line was never kept whole, so its recovered payload is the refusal (equal
// record, not the original bytes). Pure.
struct RecoveredInput {
  uint64_t input_offset = 0;
  bool first_part = true;        // part 0 of its input: the one the input is recovered from
  bool refusal = false;          // recovered as the refusal the record keeps (tag kInputRejected)
  std::vector<uint8_t> payload;  // for the first part only
};
RecoveredInput InputOfRecord(std::span<const uint8_t> record);

// Folds one payload into the engine, at `input_offset`. False, with *error saying what is wrong,
// if the payload is damaged (an unknown tag, cut short): that is corruption of a log, not input.
[[nodiscard]] bool FoldInput(Engine& engine, std::span<const uint8_t> payload, uint64_t input_offset,
                             ApplyResult* result, std::string* error);
// Engine::Prefetch for a payload FoldInput will fold soon (an action's; nothing for another
// frame): a fold loop calls it for the payload kPrefetchAhead positions after the one it folds.
void PrefetchInput(const Engine& engine, std::span<const uint8_t> payload);
inline constexpr size_t kPrefetchAhead = 2;

// The same for a fold loop handed its payloads one at a time (a log's Read callback, whose bytes
// last only the call): each payload is copied in (an action's bytes 16-byte aligned, as the engine
// reads them in place) and prefetched, and comes out to be folded kPrefetchAhead payloads later.
class PrefetchQueue {
 public:
  struct Ready {
    uint64_t index = 0;
    std::span<const uint8_t> payload;  // valid until the next Push or Pop
  };
  // Takes payload `index` in; true with the payload taken kPrefetchAhead calls before in *ready.
  bool Push(const Engine& engine, uint64_t index, std::span<const uint8_t> payload, Ready* ready);
  // After the last Push: the payloads still held, in order, one a call; false when none is left.
  bool Pop(Ready* ready);

 private:
  struct Held {
    std::vector<uint8_t> bytes;  // 15 bytes of padding, then the payload (its action at 16)
    uint64_t index = 0;
  };
  Ready Take(size_t slot);
  std::array<Held, kPrefetchAhead + 1> held_;
  uint64_t pushed_ = 0, taken_ = 0;
};

}  // namespace kezek::events
