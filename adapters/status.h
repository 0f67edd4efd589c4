// The result of an I/O operation: OK, or a code with a message that says what failed and where.
// Returned, never thrown; [[nodiscard]] so that no failure is dropped by accident.
#pragma once

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
// terminal; UTF-8 text (a Cyrillic path) stays as it is.
// `keep_newlines`: a text of several lines (a report naming what the journal holds) keeps them.
inline std::string Printable(std::string_view text, bool keep_newlines = false) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 0x20 && byte != 0x7F) || (keep_newlines && c == '\n')) {
      out += c;
    } else {
      constexpr const char* kHex = "0123456789abcdef";
      out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xF]};
    }
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
