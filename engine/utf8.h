// UTF-8 text at the edges of a record: every text the engine quotes back (a reason that repeats
// a user's field, a parser's message) is cut to a bound on a character boundary, so a journal
// record never holds a character cut in half. Pure, header-only.
#pragma once

#include <cstddef>
#include <string_view>

namespace kezek {

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence: the cut moves back over at most three continuation bytes (10xxxxxx), the most a
// character has. Text that is not UTF-8 at the cut is cut at `max_bytes` minus those bytes.
inline std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  for (int back = 0; back < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80; ++back) --cut;
  return text.substr(0, cut);
}

}  // namespace kezek
