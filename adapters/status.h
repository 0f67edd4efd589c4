// The result of an I/O operation: OK, or a code with a message that says what failed and where.
// Returned, never thrown; [[nodiscard]] so that no failure is dropped by accident.
#pragma once

#include <future>
#include <string>
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

inline std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kIoError: return "I/O error: " + message_;
    case Code::kCorruption: return "corruption: " + message_;
    case Code::kInvalidArgument: return "invalid argument: " + message_;
    case Code::kBusy: return "busy: " + message_;
    case Code::kNotFound: return "not found: " + message_;
  }
  return message_;
}

}  // namespace kezek::adapters
