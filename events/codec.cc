#include "events/codec.h"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <flatbuffers/idl.h>
#include <flatbuffers/util.h>
#include <fmt/format.h>

#include "answers_generated.h"
#include "engine/assert.h"
#include "engine/limits.h"
#include "engine/utf8.h"
#include "events/json_decoder.h"
#include "events/json_printer.h"
#include "events/limits.h"
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

// How a parser prints (a parser that only parses input keeps the defaults: strict UTF-8).
enum class Printing { kInput, kCompact, kEveryField };

std::unique_ptr<flatbuffers::Parser> MakeParser(std::string_view file, const char* root, Printing printing) {
  flatbuffers::IDLOptions options;
  options.strict_json = true;       // printer: quoted keys
  options.indent_step = -1;         // printer: one line
  options.output_default_scalars_in_json = printing == Printing::kEveryField;
  if (printing != Printing::kInput) {
    options.natural_utf8 = true;    // printer: characters as UTF-8, not \u escapes
    options.allow_non_utf8 = true;  // printer: a byte that is not UTF-8 as \xXX (made JSON below)
  }
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

// Makes the printer's text valid JSON. The printer escapes a byte that is not UTF-8 as \xXX (not
// JSON): it becomes \u00XX. A control byte it writes raw (natural_utf8 copies U+0001..U+001F
// other than \b\t\n\f\r) becomes \u00XX. Outside strings the printer writes no backslash and no
// control byte, so the scan needs no string state.
std::string Repaired(std::string_view printed) {
  std::string out;
  out.reserve(printed.size());
  size_t clean = 0;  // printed[clean, i) is copied as it is, in one append
  for (size_t i = 0; i < printed.size(); ++i) {
    const char c = printed[i];
    if (c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out.append(printed, clean, i - clean);
    if (c == '\\' && i + 1 < printed.size()) {
      if (printed[i + 1] == 'x' && i + 3 < printed.size()) {
        out += "\\u00";
        for (const char hex : printed.substr(i + 2, 2)) out += static_cast<char>(std::tolower(static_cast<unsigned char>(hex)));
        i += 3;
      } else {
        out += c;
        out += printed[++i];
      }
    } else if (c == '\\') {
      out += c;  // a backslash the printer ends on (it never does: escapes are whole)
    } else {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    }
    clean = i + 1;
  }
  out.append(printed, clean, std::string_view::npos);
  return out;
}

// The bytes of the vector printed after `"field": ` at `at` ("[1,2,3]"); `end` is past its ']'.
std::string PrintedBytes(std::string_view printed, size_t at, size_t* end) {
  std::string bytes;
  size_t i = at + 1;  // past '['
  unsigned value = 0;
  bool digits = false;
  for (; i < printed.size() && printed[i] != ']'; ++i) {
    if (printed[i] >= '0' && printed[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(printed[i] - '0');
      digits = true;
    } else if (digits) {
      bytes.push_back(static_cast<char>(value));
      value = 0;
      digits = false;
    }
  }
  if (digits) bytes.push_back(static_cast<char>(value));
  *end = i + 1;
  return bytes;
}

// The person-facing form of a record: prev_sha256 as hex digits, raw_input as a string. Only a
// key is followed by `": ` (inside a printed string every quote is escaped), so the search
// cannot match a user's text.
std::string PersonFacing(std::string printed) {
  for (const std::string_view field : {std::string_view("prev_sha256"), std::string_view("raw_input")}) {
    const std::string key = fmt::format("\"{}\": [", field);
    const size_t found = printed.find(key);
    if (found == std::string::npos) continue;
    const size_t at = found + key.size() - 1;
    size_t end = 0;
    const std::string bytes = PrintedBytes(printed, at, &end);
    std::string text;
    if (field == "prev_sha256") {
      text = "\"";
      for (const char b : bytes) text += fmt::format("{:02x}", static_cast<unsigned>(static_cast<unsigned char>(b)));
      text += "\"";
    } else {
      flatbuffers::EscapeString(bytes.data(), bytes.size(), &text, /*allow_non_utf8=*/true, /*natural_utf8=*/true);
    }
    printed.replace(at, end - at, text);
  }
  return printed;
}

// GenerateText's text: by events/json_printer.h when `fast` (its equal, several times faster),
// else, or when it does not mirror what the buffer holds, by GenerateText itself.
std::string Print(const flatbuffers::Parser& parser, std::span<const uint8_t> bytes, bool fast) {
  std::string json;
  // FlatBuffers are read in place, aligned: a misaligned buffer (an action inside a log's payload)
  // is printed from a copy.
  std::vector<uint8_t> aligned;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(std::max_align_t) != 0) {
    aligned.assign(bytes.begin(), bytes.end());
    bytes = aligned;
  }
  if (fast && PrintJson(parser, bytes.data(), &json)) return json;
  // With allow_non_utf8 the printer has no failure left: a false here is a bug, not data.
  KEZEK_ASSERT(flatbuffers::GenerateText(parser, bytes.data(), &json));
  return json;
}

}  // namespace

Codec::Codec()
    : actions_(MakeParser("actions.fbs", "kezek.fb.Action", Printing::kInput)),
      actions_text_(MakeParser("actions.fbs", "kezek.fb.Action", Printing::kCompact)),
      journal_text_(MakeParser("decisions.fbs", "kezek.fb.JournalRecord", Printing::kEveryField)),
      answers_text_(MakeParser("answers.fbs", "kezek.fb.Answer", Printing::kEveryField)),
      views_text_(MakeParser("http.fbs", "kezek.fb.HttpError", Printing::kEveryField)),
      fast_builder_(std::make_unique<flatbuffers::FlatBufferBuilder>(1024)) {
  decoder_ = std::make_unique<JsonDecoder>(*actions_);
}

Codec::~Codec() = default;

CodecError Codec::ParseAction(std::string_view json, std::vector<uint8_t>* out) {
  out->clear();
  if (json.size() <= limits::kJsonLineBytesMax && json.find('\0') == std::string_view::npos) {
    ++fast_tried_;
    if (decoder_->Decode(json, fast_builder_.get())) {
      // The fast path builds the canonical form itself (what Canonicalize's Pack writes; held equal
      // by tests/json_decoder_test.cc and the fuzz target). A buffer that does not verify (too
      // deep, a required field missing) is left to the parser's verdict.
      const auto span = fast_builder_->GetBufferSpan();
      if (VerifiedAction(span)) {
        out->assign(span.begin(), span.end());
        ++fast_taken_;
        return {};
      }
    }
  }
  return ParseActionByParser(json, out);
}

CodecError Codec::ParseActionByParser(std::string_view json, std::vector<uint8_t>* out) {
  out->clear();
  if (json.size() > limits::kJsonLineBytesMax) {
    return {fb::RejectionCode::LimitExceeded,
            "a JSON line has " + std::to_string(json.size()) + " bytes, at most " + std::to_string(limits::kJsonLineBytesMax)};
  }
  // The parser reads a terminated string: a NUL byte would end the line there, and what follows
  // it (garbage, or a second action) would be dropped unread. JSON has no raw NUL anywhere.
  if (const size_t nul = json.find('\0'); nul != std::string_view::npos) {
    return {fb::RejectionCode::MalformedJson,
            "a NUL byte at byte " + std::to_string(nul) + ": JSON holds none (inside a string it is written \\u0000)"};
  }
  const std::string text(json);  // the parser wants a terminated string
  actions_->builder_.Clear();
  if (!actions_->ParseJson(text.c_str())) {
    std::string error(Utf8Prefix(actions_->error_, limits::kParserMessageBytesMax));
    actions_->error_.clear();
    // A body_type number this schema does not know: the parser cannot tell which table the body
    // is, so it stops there. It is an action of a newer producer, not malformed JSON.
    if (error.find("illegal type id for: body") != std::string::npos) {
      return {fb::RejectionCode::UnknownActionKind, "body_type names no action this schema version knows (" + error + ")"};
    }
    return {fb::RejectionCode::MalformedJson, error};
  }
  const auto span = actions_->builder_.GetBufferSpan();
  return Canonicalize(span, out);
}

bool Codec::VerifiedAction(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/16, /*max_tables=*/4096);
  // The JSON parser writes the schema's identifier; binary producers must write KZAC themselves.
  return verifier.VerifyBuffer<fb::Action>(nullptr);
}

CodecError Codec::Canonicalize(std::span<const uint8_t> bytes, std::vector<uint8_t>* out) {
  out->clear();
  if (!VerifiedAction(bytes)) return {fb::RejectionCode::VerifierFailed, "the bytes are no valid Action buffer"};
  fb::ActionT action;
  flatbuffers::GetRoot<fb::Action>(bytes.data())->UnPackTo(&action);
  *out = Pack(action);
  return {};
}

std::vector<uint8_t> Codec::Pack(const fb::ActionT& action) {
  flatbuffers::FlatBufferBuilder builder(256);
  if (action.body.type != fb::ActionBody::NONE && action.body.value == nullptr) {
    // A body_type without its body (or one this schema does not know, which UnPack leaves
    // without one): the generated Pack would dereference the missing body. The same fields as
    // the generated CreateAction, the tag kept, so the engine refuses it by its own rules.
    const auto key = action.idempotency_key.empty() ? 0 : builder.CreateString(action.idempotency_key);
    const auto actor = action.actor ? fb::CreateActor(builder, action.actor.get()) : 0;
    fb::FinishActionBuffer(builder, fb::CreateAction(builder, action.schema_version, key, action.instant_ms, actor,
                                                     action.body.type, 0));
    const auto span = builder.GetBufferSpan();
    return {span.begin(), span.end()};
  }
  fb::FinishActionBuffer(builder, fb::Action::Pack(builder, &action));
  const auto span = builder.GetBufferSpan();
  return {span.begin(), span.end()};
}

std::string Codec::ActionToJson(std::span<const uint8_t> bytes) const { return Repaired(Print(*actions_text_, bytes, fast_printer_)); }

std::string Codec::RecordToJson(std::span<const uint8_t> bytes) const {
  return Repaired(PersonFacing(Print(*journal_text_, bytes, fast_printer_)));
}

std::string Codec::AnswerToJson(std::span<const uint8_t> bytes) const { return Repaired(Print(*answers_text_, bytes, fast_printer_)); }

std::string Codec::ViewToJson(std::string_view table, std::span<const uint8_t> bytes) {
  const std::string root = "kezek.fb." + std::string(table);
  KEZEK_ASSERT(views_text_->SetRootType(root.c_str()));
  return Repaired(Print(*views_text_, bytes, fast_printer_));
}

}  // namespace kezek::events
