// The limits of the edge between text and the engine (events/): named in one place. The engine's
// own limits (the size of a JSON line, of an action, of a text field) are in engine/limits.h.
#pragma once

#include <cstddef>

namespace kezek::limits {

// A parser's message kept as a rejection reason: it may quote the input (an unknown enum name of
// 600 characters), so it is cut, on a character boundary, at this many bytes.
inline constexpr size_t kParserMessageBytesMax = 1'000;
// An input line over kJsonLineBytesMax is journaled as its size, its SHA-256 and its first bytes:
// this many (cut on a character boundary), never the whole line.
inline constexpr size_t kOversizeLineHeadBytes = 1'024;
// A refused input's reason as Kezek's writers frame it (tag kInputRejected): cut, on a character
// boundary, at this many bytes (its reasons are a few hundred bytes; a key's name from the keys
// file, 128 bytes at most since 2026-12-07, had no bound before). A frame whose reason is longer, or that keeps
// more of its input than a line holds (kJsonLineBytesMax), is no input of Kezek's writers
// (events::FrameProblem): a foreign producer's frame that kept 700 KB made a journal record over
// kRecordBytesMax, and the member aborted on it at every start. Both at their bounds, a record
// keeps 320 KiB and its envelope.
inline constexpr size_t kRefusalReasonBytesMax = 64 * 1'024;

}  // namespace kezek::limits
