// The answer to one input (schemas/answers.fbs), made from its journal record: what `kezek append`
// prints and what the HTTP API will return. Pure: the caller finds the original record of a
// repeat (a Duplicate record names it by `duplicate_of`) and passes it in.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kezek::events {

// The Answer buffer (identifier KZAN) for the input at `input` whose journal record is `record`.
// For a Duplicate record, `original` is the record it repeats (sequence `duplicate_of`): the
// answer carries the original's outcome, rejection and decisions. Without it (empty) a repeat is
// answered with outcome Duplicate and no decisions.
// REQUIRES: `record` (and `original`, if given) verified journal records.
std::vector<uint8_t> AnswerOf(uint64_t input, std::span<const uint8_t> record, std::span<const uint8_t> original);

}  // namespace kezek::events
