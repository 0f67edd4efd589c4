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

}  // namespace kezek::limits
