// kezek templates: the catalogue's own texts as a SetMessageTemplates action (one JSON line), the
// start for posting corrected words (docs/domain.md, "Notifications").
#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <flatbuffers/flatbuffers.h>
#include <flatbuffers/util.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "engine/engine.h"
#include "engine/limits.h"
#include "engine/messages.h"
#include "engine/rules.h"
#include "engine/sha256.h"
#include "events/codec.h"

namespace kezek::cli {
namespace {

constexpr const char* kTemplatesUsage = R"(usage: kezek templates [options]

Prints the engine's own notification texts (engine/messages.cc) as one JSON line: a
SetMessageTemplates action of the EducationDepartment with one template per text, 23 in all, each
in Russian and Kazakh, "{}" where the text takes an argument (a place in the queue, a date, a
name). Edit the words, keep each text's "{}", and post it (kezek append, POST /v1/actions): the
notifications after it are worded so, the ones before keep theirs (docs/domain.md, "Notifications").

options:
  --instant MS   the action's instant_ms, 2000..2100 (default: now, from this machine's clock)
  --key KEY      its idempotency_key, 1 to 128 bytes (default: "message-templates-" and the first 16 hex digits
                 of the SHA-256 of its texts, so that posting the same words twice is one posting)
  --help         this text
)";

}  // namespace

int Templates(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--instant", "--key"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kTemplatesUsage), 0;
  if (!args->positional.empty()) return fmt::print(stderr, "kezek templates: takes no arguments\n{}", kTemplatesUsage), 2;
  const auto now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  const auto instant = Number(*args, "--instant", now_ms);
  if (!instant) return 2;
  // What the engine would refuse is refused here (CheckEnvelope: InstantOutOfRange, MissingKey,
  // LimitExceeded), so that the line printed is one the engine applies.
  if (*instant < static_cast<uint64_t>(limits::kInstantMsMin) || *instant > static_cast<uint64_t>(limits::kInstantMsMax)) {
    return fmt::print(stderr, "kezek templates: --instant: {} is outside the instants the engine takes, milliseconds since 1970 from {} (2000-01-01T00:00Z) to {} (2100-01-01T00:00Z)\n",
                      *instant, limits::kInstantMsMin, limits::kInstantMsMax), 2;
  }
  if (const auto key = args->options.find("--key");
      key != args->options.end() && (key->second.empty() || key->second.size() > limits::kIdempotencyKeyBytesMax)) {
    return fmt::print(stderr, "kezek templates: --key: 1 to {} bytes (the engine refuses an idempotency key empty or longer)\n",
                      limits::kIdempotencyKeyBytesMax), 2;
  }
  if (const auto key = args->options.find("--key"); key != args->options.end()) {
    // Bytes that are not UTF-8 would be printed as other characters (another key), and a key with
    // a control, directional or invisible character is refused by the engine (CheckText).
    for (const char* at = key->second.c_str(); at < key->second.c_str() + key->second.size();) {
      if (flatbuffers::FromUTF8(&at) < 0) {
        return fmt::print(stderr, "kezek templates: --key {} is not UTF-8 text\n", adapters::Printable(key->second)), 2;
      }
    }
    flatbuffers::FlatBufferBuilder builder;
    builder.Finish(builder.CreateString(key->second));
    if (const auto refused = ::kezek::rules::CheckText(flatbuffers::GetRoot<flatbuffers::String>(builder.GetBufferPointer()),
                                                        "idempotency_key", /*required=*/true)) {
      return fmt::print(stderr, "kezek templates: --key: {} (the engine refuses it)\n", refused->reason), 2;
    }
  }

  fb::ActionT action;
  action.schema_version = kSchemaVersion;
  action.instant_ms = static_cast<int64_t>(*instant);
  action.actor = std::make_unique<fb::ActorT>();
  action.actor->role = fb::Role::EducationDepartment;
  action.body.Set(messages::BuiltInTemplates());
  if (args->options.contains("--key")) {
    action.idempotency_key = args->options.at("--key");
  } else {
    Sha256Hasher hasher;
    hasher.Begin();
    for (const auto& t : action.body.AsSetMessageTemplates()->templates) {
      hasher.Update(std::span(reinterpret_cast<const uint8_t*>(t->ru.data()), t->ru.size() + 1));
      hasher.Update(std::span(reinterpret_cast<const uint8_t*>(t->kk.data()), t->kk.size() + 1));
    }
    const Sha256 digest = hasher.End();
    std::string hex;
    for (size_t i = 0; i < 8; ++i) hex += fmt::format("{:02x}", digest[i]);
    action.idempotency_key = "message-templates-" + hex;
  }
  events::Codec codec;
  fmt::print("{}\n", codec.ActionToJson(events::Codec::Pack(action)));
  return 0;
}

}  // namespace kezek::cli
