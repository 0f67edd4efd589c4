#include "events/codec.h"

#include <cstring>

#include <flatbuffers/idl.h>
#include <flatbuffers/util.h>

#include "engine/assert.h"
#include "engine/limits.h"
#include "schema_text.h"

namespace kezek::events {
namespace {

// Serves `include "x.fbs"` from the schemas embedded at build time: the codec reads no file.
bool LoadEmbedded(const char* name, bool /*binary*/, std::string* out) {
  const std::string_view wanted = name;
  for (const auto& file : schema_text::kFiles) {
    if (wanted == file.name || (wanted.size() > file.name.size() && wanted.ends_with(file.name) &&
                                wanted[wanted.size() - file.name.size() - 1] == '/')) {
      out->assign(file.text);
      return true;
    }
  }
  return false;
}

bool EmbeddedExists(const char* name) {
  std::string ignored;
  return LoadEmbedded(name, false, &ignored);
}

std::string_view EmbeddedText(std::string_view name) {
  for (const auto& file : schema_text::kFiles) {
    if (file.name == name) return file.text;
  }
  KEZEK_ASSERT(false && "schema not embedded");
  return {};
}

std::unique_ptr<flatbuffers::Parser> MakeParser(std::string_view file, const char* root) {
  flatbuffers::IDLOptions options;
  options.strict_json = true;       // printer: quoted keys
  options.indent_step = -1;         // printer: one line
  options.output_default_scalars_in_json = false;
  auto parser = std::make_unique<flatbuffers::Parser>(options);
  flatbuffers::SetLoadFileFunction(LoadEmbedded);
  flatbuffers::SetFileExistsFunction(EmbeddedExists);
  const std::string text(EmbeddedText(file));
  const char* include_paths[] = {"", nullptr};
  const bool ok = parser->Parse(text.c_str(), include_paths, std::string(file).c_str()) && parser->SetRootType(root);
  if (!ok) std::fprintf(stderr, "kezek: embedded schema %s: %s\n", std::string(file).c_str(), parser->error_.c_str());
  KEZEK_ASSERT(ok);
  return parser;
}

}  // namespace

Codec::Codec()
    : actions_(MakeParser("actions.fbs", "kezek.fb.Action")),
      journal_(MakeParser("decisions.fbs", "kezek.fb.JournalRecord")) {}

Codec::~Codec() = default;

CodecError Codec::ParseAction(std::string_view json, std::vector<uint8_t>* out) {
  out->clear();
  if (json.size() > limits::kJsonLineBytesMax) {
    return {fb::RejectionCode::LimitExceeded,
            "a JSON line has " + std::to_string(json.size()) + " bytes, at most " + std::to_string(limits::kJsonLineBytesMax)};
  }
  const std::string text(json);  // the parser wants a terminated string
  actions_->builder_.Clear();
  if (!actions_->ParseJson(text.c_str())) {
    std::string error = actions_->error_;
    actions_->error_.clear();
    return {fb::RejectionCode::MalformedJson, error};
  }
  const auto span = actions_->builder_.GetBufferSpan();
  return Canonicalize(span, out);
}

CodecError Codec::Canonicalize(std::span<const uint8_t> bytes, std::vector<uint8_t>* out) {
  out->clear();
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/16, /*max_tables=*/4096);
  // The JSON parser writes the schema's identifier; binary producers must write KZAC themselves.
  if (!verifier.VerifyBuffer<fb::Action>(nullptr)) {
    return {fb::RejectionCode::VerifierFailed, "the bytes are no valid Action buffer"};
  }
  fb::ActionT action;
  flatbuffers::GetRoot<fb::Action>(bytes.data())->UnPackTo(&action);
  *out = Pack(action);
  return {};
}

std::vector<uint8_t> Codec::Pack(const fb::ActionT& action) {
  flatbuffers::FlatBufferBuilder builder(256);
  fb::FinishActionBuffer(builder, fb::Action::Pack(builder, &action));
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

std::string Codec::ActionToJson(std::span<const uint8_t> bytes) const {
  std::string json;
  KEZEK_ASSERT(flatbuffers::GenerateText(*actions_, bytes.data(), &json));
  return json;
}

std::string Codec::RecordToJson(std::span<const uint8_t> bytes) const {
  std::string json;
  KEZEK_ASSERT(flatbuffers::GenerateText(*journal_, bytes.data(), &json));
  return json;
}

}  // namespace kezek::events
