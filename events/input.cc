#include "events/input.h"

#include <algorithm>

#include <fmt/format.h>

#include "decisions_generated.h"
#include "engine/limits.h"
#include "engine/utf8.h"
#include "events/limits.h"

namespace kezek::events {
namespace {

std::vector<uint8_t> Rejected(fb::RejectionCode code, std::string_view reason, std::string_view kept) {
  reason = Utf8Prefix(reason, limits::kRefusalReasonBytesMax);
  std::vector<uint8_t> payload;
  payload.reserve(7 + reason.size() + kept.size());
  const auto number = static_cast<uint16_t>(code);
  payload.push_back(kInputRejected);
  payload.push_back(static_cast<uint8_t>(number));
  payload.push_back(static_cast<uint8_t>(number >> 8));
  for (int i = 0; i < 4; ++i) payload.push_back(static_cast<uint8_t>(reason.size() >> (8 * i)));
  payload.insert(payload.end(), reason.begin(), reason.end());
  payload.insert(payload.end(), kept.begin(), kept.end());
  return payload;
}

std::string Hex(const Sha256& digest) {
  std::string out;
  for (const uint8_t b : digest) out += fmt::format("{:02x}", b);
  return out;
}

// Before a held payload (PrefetchQueue): its tag byte then lands at 15, the action after it at 16
// (the allocation is 16-byte aligned).
constexpr size_t kHeldPadding = 15;

}  // namespace

InputLine LineOf(std::string text) {
  InputLine line;
  line.bytes = text.size();
  line.oversize = text.size() > limits::kJsonLineBytesMax;
  if (line.oversize) {
    Sha256Hasher sha256;
    line.sha256 = sha256.Of({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    text.resize(Utf8Prefix(text, limits::kOversizeLineHeadBytes).size());
  }
  line.text = std::move(text);
  return line;
}

std::vector<uint8_t> EncodeInput(Codec& codec, const InputLine& line) {
  if (line.oversize) {
    const std::string_view head = Utf8Prefix(line.text, limits::kOversizeLineHeadBytes);
    return Rejected(fb::RejectionCode::LimitExceeded,
                    fmt::format("a JSON line of {} bytes (SHA-256 {}) is over the limit of {} bytes; its first {} "
                                "bytes are kept",
                                line.bytes, Hex(line.sha256), limits::kJsonLineBytesMax, head.size()),
                    head);
  }
  if (line.refused != fb::RejectionCode::None) return Rejected(line.refused, line.refusal, line.text);
  if (line.text.find_first_not_of(" \t\r") == std::string::npos) {
    return Rejected(fb::RejectionCode::MalformedJson, "a blank line holds no action", line.text);
  }
  std::vector<uint8_t> bytes;
  const CodecError error = codec.ParseAction(line.text, &bytes);
  if (error.code != fb::RejectionCode::None) return Rejected(error.code, error.reason, line.text);
  return EncodeAction(bytes);
}

std::vector<uint8_t> EncodeAction(std::span<const uint8_t> canonical) {
  std::vector<uint8_t> payload;
  payload.reserve(canonical.size() + 1);
  payload.push_back(kInputAction);
  payload.insert(payload.end(), canonical.begin(), canonical.end());
  return payload;
}

std::string FrameProblem(std::span<const uint8_t> payload) {
  // (An empty message too: its refusal's words are those journals already hold.)
  if (payload.empty() || (payload[0] != kInputAction && payload[0] != kInputRejected)) return "has an unknown tag";
  if (payload[0] == kInputAction) return {};  // the action's bytes are the engine's to verify
  if (payload.size() < 7) return "is cut short";
  const auto code = static_cast<uint16_t>(payload[1] | payload[2] << 8);
  const uint32_t length =
      uint32_t{payload[3]} | uint32_t{payload[4]} << 8 | uint32_t{payload[5]} << 16 | uint32_t{payload[6]} << 24;
  if (payload.size() - 7 < size_t{length}) {
    return fmt::format("is cut short: a reason of {} bytes, {} left", length, payload.size() - 7);
  }
  // Bounded as Kezek's writers bound them: a record keeping more would pass the journal record's
  // bound (a foreign 0x02 frame keeping 700 KB aborted the member, at every start).
  if (length > limits::kRefusalReasonBytesMax) {
    return fmt::format("holds a refusal's reason of {} bytes, more than the {} one holds", length,
                       limits::kRefusalReasonBytesMax);
  }
  if (const size_t kept = payload.size() - 7 - length; kept > limits::kJsonLineBytesMax) {
    return fmt::format("keeps {} bytes of a refused input, more than the {} a line holds", kept, limits::kJsonLineBytesMax);
  }
  const auto rejection = static_cast<fb::RejectionCode>(code);
  if (rejection == fb::RejectionCode::None || fb::EnumNameRejectionCode(rejection)[0] == '\0') {
    return fmt::format("has rejection code {}, which no schema defines", code);
  }
  return {};
}

std::vector<uint8_t> EncodeForeign(std::span<const uint8_t> payload, std::string_view problem) {
  return EncodeRefusal(fb::RejectionCode::VerifierFailed, fmt::format("not an input of Kezek's (it {})", problem), payload);
}

std::vector<uint8_t> EncodeRefusal(fb::RejectionCode code, std::string_view reason, std::span<const uint8_t> payload) {
  const auto kept = payload.first(std::min(payload.size(), limits::kOversizeLineHeadBytes));
  return Rejected(code, fmt::format("{}: {} bytes, the first {} kept", reason, payload.size(), kept.size()),
                  std::string_view(reinterpret_cast<const char*>(kept.data()), kept.size()));
}

void PrefetchInput(const Engine& engine, std::span<const uint8_t> payload) {
  if (payload.size() > 1 && payload[0] == kInputAction) engine.Prefetch(payload.subspan(1));
}

PrefetchQueue::Ready PrefetchQueue::Take(size_t slot) {
  const Held& held = held_[slot];
  ++taken_;
  return {held.index, std::span<const uint8_t>(held.bytes).subspan(kHeldPadding)};
}

bool PrefetchQueue::Push(const Engine& engine, uint64_t index, std::span<const uint8_t> payload, Ready* ready) {
  Held& held = held_[pushed_++ % held_.size()];
  held.index = index;
  held.bytes.resize(kHeldPadding + payload.size());
  std::copy(payload.begin(), payload.end(), held.bytes.begin() + kHeldPadding);
  PrefetchInput(engine, std::span<const uint8_t>(held.bytes).subspan(kHeldPadding));
  if (pushed_ - taken_ <= kPrefetchAhead) return false;
  *ready = Take(taken_ % held_.size());
  return true;
}

bool PrefetchQueue::Pop(Ready* ready) {
  if (taken_ == pushed_) return false;
  *ready = Take(taken_ % held_.size());
  return true;
}

RecoveredInput InputOfRecord(std::span<const uint8_t> record) {
  const fb::JournalRecord& r = *fb::GetJournalRecord(record.data());
  RecoveredInput input;
  input.input_offset = r.input_offset();
  input.first_part = r.part() == 0;
  if (!input.first_part) return input;
  if (r.action() != nullptr) {
    input.payload = EncodeAction({r.action()->data(), r.action()->size()});
    return input;
  }
  const fb::Rejection* rejection = r.rejection();
  const fb::RejectionCode code = rejection != nullptr ? rejection->code() : fb::RejectionCode::None;
  const std::string_view reason = rejection != nullptr && rejection->reason() != nullptr
                                      ? rejection->reason()->string_view() : std::string_view{};
  const std::span<const uint8_t> raw =
      r.raw_input() != nullptr ? std::span<const uint8_t>(r.raw_input()->data(), r.raw_input()->size())
                               : std::span<const uint8_t>{};
  if (code == fb::RejectionCode::VerifierFailed && reason == kNotAnActionBuffer && r.raw_input() != nullptr) {
    input.payload = EncodeAction(raw);
    return input;
  }
  input.refusal = true;
  input.payload = Rejected(code, reason, std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  return input;
}

bool FoldInput(Engine& engine, std::span<const uint8_t> payload, uint64_t input_offset, ApplyResult* result,
               std::string* error) {
  if (const std::string problem = FrameProblem(payload); !problem.empty()) {
    *error = fmt::format("input {} {}", input_offset, problem);
    return false;
  }
  if (payload[0] == kInputAction) {
    *result = engine.Apply(payload.subspan(1), input_offset);
    return true;
  }
  const uint32_t length =
      uint32_t{payload[3]} | uint32_t{payload[4]} << 8 | uint32_t{payload[5]} << 16 | uint32_t{payload[6]} << 24;
  const auto rejection = static_cast<fb::RejectionCode>(static_cast<uint16_t>(payload[1] | payload[2] << 8));
  const std::string_view reason(reinterpret_cast<const char*>(payload.data()) + 7, length);
  *result = engine.RejectInput(payload.subspan(7 + length), rejection, reason, input_offset);
  return true;
}

}  // namespace kezek::events
