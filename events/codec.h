// The interchange formats at the edge of the engine: FlatBuffers' own JSON form of actions and
// journal records (parsed and printed by FlatBuffers' parser and printer, from the schemas
// embedded at build time), and the canonical binary encoding every action is stored in.
//
// Canonical encoding: the Object API's Unpack + Pack of a verified action. Equal content gives
// equal bytes, whatever field order or whitespace the JSON had; the engine's idempotency digest
// relies on it. Every adapter that takes actions in (CLI, log, Kafka, HTTP) passes them through
// here.
//
// Thread-safety: a Codec is used by one thread at a time.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/schemas_fwd.h"

namespace flatbuffers {
class Parser;
}

namespace kezek::events {

struct CodecError {
  fb::RejectionCode code = fb::RejectionCode::None;
  std::string reason;
};

class Codec {
 public:
  Codec();
  ~Codec();
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  // Parses one action in JSON into its canonical binary encoding in *out.
  // Failure: MalformedJson (with the parser's line and message), LimitExceeded for an oversize
  // line, VerifierFailed if the parsed buffer does not verify. *out is then empty.
  [[nodiscard]] CodecError ParseAction(std::string_view json, std::vector<uint8_t>* out);

  // Re-encodes an action buffer canonically. Failure: VerifierFailed.
  [[nodiscard]] static CodecError Canonicalize(std::span<const uint8_t> bytes, std::vector<uint8_t>* out);
  // Packs an action object canonically (how generators build actions).
  static std::vector<uint8_t> Pack(const fb::ActionT& action);

  // One-line JSON of an action / a journal record. REQUIRES: the buffer verified.
  std::string ActionToJson(std::span<const uint8_t> bytes) const;
  std::string RecordToJson(std::span<const uint8_t> bytes) const;

 private:
  std::unique_ptr<flatbuffers::Parser> actions_;
  std::unique_ptr<flatbuffers::Parser> journal_;
};

}  // namespace kezek::events
