// The result of an I/O operation: OK, or a code with a message that says what failed and where.
// Returned, never thrown; [[nodiscard]] so that no failure is dropped by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <future>
#include <string>
#include <string_view>
#include <utility>

namespace kezek::adapters {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kIoError, kCorruption, kInvalidArgument, kBusy, kNotFound };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status IoError(std::string message) { return Status(Code::kIoError, std::move(message)); }
  // Damage that must not be skipped: the message names the file, the offset and what was expected.
  static Status Corruption(std::string message) { return Status(Code::kCorruption, std::move(message)); }
  static Status InvalidArgument(std::string message) { return Status(Code::kInvalidArgument, std::move(message)); }
  // The resource is held by another process (e.g. a locked data directory).
  static Status Busy(std::string message) { return Status(Code::kBusy, std::move(message)); }
  static Status NotFound(std::string message) { return Status(Code::kNotFound, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;
  // The same failure with `context` before its message ("partition 3: ...").
  Status Within(const std::string& context) const { return ok() ? *this : Status(code_, context + ": " + message_); }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A future that already holds `status` (a sync done at once, where one done behind is asked for).
inline std::shared_future<Status> Done(Status status) {
  std::promise<Status> done;
  done.set_value(std::move(status));
  return done.get_future().share();
}

// For a person to read: `text` (a path given with a control character, a name from a damaged
// file) with its control characters written as \xNN, so that none moves the cursor or rings a
// terminal; UTF-8 text (a Cyrillic path) stays as it is. C1 controls (U+0080..U+009F, which some
// terminals obey as escapes), the directional formatting characters (U+202A..U+202E,
// U+2066..U+2069: they reorder what follows them on screen) and bytes that are not UTF-8 are
// written as the \xNN of their bytes too.
// `keep_newlines`: a text of several lines (a report naming what the journal holds) keeps them.
inline std::string Printable(std::string_view text, bool keep_newlines = false) {
  constexpr const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  const auto escaped = [&](std::string_view bytes) {
    for (const char c : bytes) {
      const auto byte = static_cast<unsigned char>(c);
      out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xF]};
    }
  };
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if ((byte >= 0x20 && byte != 0x7F) || (keep_newlines && byte == '\n')) {
        out += text[i];
      } else {
        escaped(text.substr(i, 1));
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, each continuation byte 10xxxxxx, no
    // overlong form, no surrogate, nothing past U+10FFFF.
    const size_t length = byte >= 0xC2 && byte <= 0xDF ? 2 : byte >= 0xE0 && byte <= 0xEF ? 3 : byte >= 0xF0 && byte <= 0xF4 ? 4 : 0;
    uint32_t code = length == 2 ? byte & 0x1Fu : length == 3 ? byte & 0x0Fu : byte & 0x07u;
    bool valid = length != 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      code = code << 6 | (next & 0x3Fu);
    }
    valid = valid && !(length == 3 && code < 0x800) && !(length == 4 && (code < 0x10000 || code > 0x10FFFF)) &&
            !(code >= 0xD800 && code <= 0xDFFF);
    if (!valid) {
      escaped(text.substr(i, 1));
      ++i;
      continue;
    }
    const bool control = code <= 0x9F || (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069);
    if (control) {
      escaped(text.substr(i, length));
    } else {
      out += text.substr(i, length);
    }
    i += length;
  }
  return out;
}

// For a person to read: the kind of failure and the message, Printable.
inline std::string Status::ToString() const {
  const char* kind = "";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kIoError: kind = "I/O error: "; break;
    case Code::kCorruption: kind = "corruption: "; break;
    case Code::kInvalidArgument: kind = "invalid argument: "; break;
    case Code::kBusy: kind = "busy: "; break;
    case Code::kNotFound: kind = "not found: "; break;
  }
  return kind + Printable(message_);
}

}  // namespace kezek::adapters
