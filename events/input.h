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

// Folds one payload into the engine, at `input_offset`. False, with *error saying what is wrong,
// if the payload is damaged (an unknown tag, cut short): that is corruption of a log, not input.
[[nodiscard]] bool FoldInput(Engine& engine, std::span<const uint8_t> payload, uint64_t input_offset,
                             ApplyResult* result, std::string* error);

}  // namespace kezek::events
