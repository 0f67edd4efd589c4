// The fast path for actions in JSON (issue #12): simdjson parses the line, and a decoder driven
// by the schema FlatBuffers' own parser loaded (its tables, fields, enums and union, read once)
// writes the canonical buffer from the parsed document directly: the bytes the object API's Pack
// writes (Codec::Canonicalize), so the ones FlatBuffers' parser + canonicalization give. Each
// table's strings, vectors and subtables are built in the order of declaration (empty strings and
// vectors left out), then its fields added in the order flatc's Create adds them (widest first,
// within a width in reverse order of declaration), defaults left out. The codec only verifies it.
//
// It takes only plain, standard JSON of the schema's exact shape: every key a field of its table,
// at most once; integers within their type's range; true/false for a bool; an enum as the exact
// name of one of its values; strings, objects and arrays where the schema has them; a union's
// type before its value. Anything else — an unknown or repeated key, null, a number in another
// form, a quoted number, an enum as a number, JSON that simdjson refuses — is not decoded here
// (Decode returns false) and the codec hands the line to FlatBuffers' parser, which accepts or
// refuses it with its own message. So the fast path changes no verdict and no byte: a test holds
// the two equal on the corpus, every action of a generated history and mutated lines
// (tests/json_decoder_test.cc), and a libFuzzer target (tests/fuzz/) does on fuzzed ones.
//
// Thread-safety: one decoder per thread (it owns the parser's buffers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

namespace flatbuffers {
class Parser;
struct StructDef;
}  // namespace flatbuffers

namespace kezek::events {

class JsonDecoder {
 public:
  // `schema`: a FlatBuffers parser that has parsed the schema and set its root type.
  explicit JsonDecoder(const flatbuffers::Parser& schema);
  ~JsonDecoder();
  JsonDecoder(const JsonDecoder&) = delete;
  JsonDecoder& operator=(const JsonDecoder&) = delete;

  // Builds the root table of `json` into *builder (cleared first) in the canonical form, finished
  // with the schema's file identifier. False when the line is not one the fast path takes (see above); *builder
  // then holds nothing meaningful.
  [[nodiscard]] bool Decode(std::string_view json, flatbuffers::FlatBufferBuilder* builder);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kezek::events
