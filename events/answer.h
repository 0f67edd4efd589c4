// The answer to one input (schemas/answers.fbs), made from its journal record: what `kezek append`
// prints and what the HTTP API will return. Pure: the caller finds the original record of a
// repeat (a Duplicate record names it by `duplicate_of`) and passes it in.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kezek::messages {
class TemplateBook;
}  // namespace kezek::messages

namespace kezek::events {

using Records = std::span<const std::span<const uint8_t>>;

// The Answer buffer (identifier KZAN) for the input at `input` whose journal records are
// `records` (one, or its parts in order: every decision of every part is answered). For a
// Duplicate, `original` are the records it repeats (from sequence `duplicate_of`): the answer
// carries the original's outcome, rejection and decisions. Without them (empty) a repeat is
// answered with outcome Duplicate and no decisions.
// A notification made from posted templates (docs/domain.md, "Notifications") carries its version
// and arguments; with `words` (the engine's State::template_book) the answer carries its words
// too, text_ru and text_kk as the version says them (a version `words` lacks is left as it is).
// REQUIRES: `records` (and `original`, if given) verified journal records of one input each, not
// empty, parts 0.. in order.
// `partition`: a Kafka deployment's partition, the one `input` and the records' sequences count in.
std::vector<uint8_t> AnswerOf(uint64_t input, Records records, Records original,
                              const messages::TemplateBook* words = nullptr,
                              std::optional<int32_t> partition = std::nullopt);
// The same for an input written in one record.
std::vector<uint8_t> AnswerOf(uint64_t input, std::span<const uint8_t> record, std::span<const uint8_t> original,
                              const messages::TemplateBook* words = nullptr);

}  // namespace kezek::events
