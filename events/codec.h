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
class FlatBufferBuilder;
}

namespace kezek::events {

class JsonDecoder;

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

  // Parses one action in JSON into its canonical binary encoding in *out: plain JSON of the
  // schema's shape through the fast path (events/json_decoder.h: simdjson and a schema-driven
  // decoder), anything else through FlatBuffers' parser; the same bytes and verdicts either way.
  // Failure: MalformedJson (with the parser's line and message, cut at
  // limits::kParserMessageBytesMax on a character boundary), UnknownActionKind for a numeric
  // body_type this schema does not know (the parser cannot read its body), LimitExceeded for an
  // oversize line, VerifierFailed if the parsed buffer does not verify. *out is then empty.
  [[nodiscard]] CodecError ParseAction(std::string_view json, std::vector<uint8_t>* out);
  // The same through FlatBuffers' parser alone: what the fast path is held equal to (tests, fuzz).
  [[nodiscard]] CodecError ParseActionByParser(std::string_view json, std::vector<uint8_t>* out);
  // Prints through FlatBuffers' GenerateText alone (on) or through events/json_printer.h (off, the
  // default): what the fast printer is held equal to (tests/json_printer_test.cc, benchmarks).
  void PrintByFlatBuffers(bool on) { fast_printer_ = !on; }
  // How many lines ParseAction gave the fast path, and how many it took (tests, benchmarks).
  uint64_t fast_tried() const { return fast_tried_; }
  uint64_t fast_taken() const { return fast_taken_; }

  // Re-encodes an action buffer canonically. Failure: VerifierFailed. A body_type without its body
  // stays so (the engine refuses it as MissingField).
  [[nodiscard]] static CodecError Canonicalize(std::span<const uint8_t> bytes, std::vector<uint8_t>* out);
  // Whether `bytes` pass the FlatBuffers Verifier as an Action buffer (the bounds Canonicalize uses).
  [[nodiscard]] static bool VerifiedAction(std::span<const uint8_t> bytes);
  // Packs an action object canonically (how generators build actions).
  static std::vector<uint8_t> Pack(const fb::ActionT& action);

  // One-line JSON of an action / a journal record / an answer (schemas/answers.fbs): FlatBuffers'
  // printer's text (flatbuffers::GenerateText), written by events/json_printer.h, its equal.
  // REQUIRES: the buffer verified.
  //
  // Always valid JSON, whatever strings the buffer holds: characters are printed as UTF-8 (not
  // \u escapes); a byte that is not part of valid UTF-8 is printed as \u00XX (unambiguous, since
  // every real character U+0080..U+00FF is printed as itself), a control character as \u00XX.
  // Records and answers print default values ("outcome": "Applied", "sequence": 0), and a record's
  // prev_sha256 as 64 hex digits and its raw_input as a string (the person-facing form,
  // docs/architecture.md "JSON"). Actions print only the fields that are set (the form
  // `kezek sample` writes), since a reader fills in the defaults.
  std::string ActionToJson(std::span<const uint8_t> bytes) const;
  std::string RecordToJson(std::span<const uint8_t> bytes) const;
  std::string AnswerToJson(std::span<const uint8_t> bytes) const;
  // One-line JSON of a finished buffer whose root is `table`, a table of schemas/http.fbs or of
  // the views it includes (kezek serve's bodies), e.g. "HttpError". REQUIRES: the buffer verified
  // or built in this process.
  std::string ViewToJson(std::string_view table, std::span<const uint8_t> bytes);

 private:
  std::unique_ptr<flatbuffers::Parser> actions_;         // parses input (strict UTF-8)
  std::unique_ptr<flatbuffers::Parser> actions_text_;    // the printers
  std::unique_ptr<flatbuffers::Parser> journal_text_;
  std::unique_ptr<flatbuffers::Parser> answers_text_;
  std::unique_ptr<flatbuffers::Parser> views_text_;
  std::unique_ptr<flatbuffers::FlatBufferBuilder> fast_builder_;  // the fast path's buffer
  std::unique_ptr<JsonDecoder> decoder_;                 // the fast path, from actions_' schema
  uint64_t fast_tried_ = 0, fast_taken_ = 0;
  bool fast_printer_ = true;  // false while PrintByFlatBuffers(true)
};

}  // namespace kezek::events
