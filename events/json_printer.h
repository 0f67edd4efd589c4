// FlatBuffers' JSON printer (flatbuffers::GenerateText) redone for speed: the same walk over the
// schema the parser loaded, the same text byte for byte, but numbers written with std::to_chars.
// FlatBuffers' printer formats every number through a std::stringstream (a locale set up each
// time): that was half of `kezek append`'s time, answering each input (docs/performance.md).
//
// The text is GenerateText's for the parser's options as the codec sets them (strict_json,
// indent_step -1, natural_utf8, allow_non_utf8, enum identifiers, default scalars or not);
// strings are escaped by FlatBuffers' own EscapeString. Anything this printer does not mirror
// (indentation, protobuf_ascii_alike, size prefixes, FlexBuffer fields, fixed arrays, an unknown
// union type) makes it return false, and the caller prints with GenerateText instead.
// tests/json_printer_test.cc holds it equal to GenerateText on every record, answer and action of
// generated histories and on damaged-but-verified buffers.
#pragma once

#include <cstdint>
#include <string>

namespace flatbuffers {
class Parser;
}

namespace kezek::events {

// Appends the JSON text of the buffer (the parser's root type; verified by the caller) to *text.
// False, with *text as it was, when the buffer or the options ask for what it does not mirror.
bool PrintJson(const flatbuffers::Parser& parser, const uint8_t* buffer, std::string* text);

}  // namespace kezek::events
