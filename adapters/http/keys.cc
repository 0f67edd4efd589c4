#include "adapters/http/keys.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "adapters/http/limits.h"
#include "adapters/limits.h"
#include "adapters/small_file.h"
#include "engine/schemas_fwd.h"
#include "engine/sha256.h"
#include "projections/summary.h"

namespace kezek::adapters::http {
namespace {

std::optional<fb::Role> RoleNamed(std::string_view name) {
  for (const fb::Role role : fb::EnumValuesRole()) {
    if (name == fb::EnumNameRole(role)) return role;
  }
  return std::nullopt;
}

bool ParseHex32(std::string_view hex, std::array<uint8_t, 32>* out) {
  if (hex.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    uint8_t byte = 0;
    for (size_t k = 0; k < 2; ++k) {
      const char c = hex[2 * i + k];
      uint8_t nibble = 0;
      if (c >= '0' && c <= '9') nibble = static_cast<uint8_t>(c - '0');
      else if (c >= 'a' && c <= 'f') nibble = static_cast<uint8_t>(c - 'a' + 10);
      else return false;
      byte = static_cast<uint8_t>(byte << 4 | nibble);
    }
    (*out)[i] = byte;
  }
  return true;
}

}  // namespace

size_t KeyRing::revoked() const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.revoked; }));
}

Status KeyRing::Load(const std::string& path, KeyRing* out) {
  std::string text;
  if (const std::string why = ReadSmallFile(path, kezek::limits::kKeysFileBytesMax, &text, /*pipes=*/false); !why.empty()) {
    std::error_code error;
    const std::string message = fmt::format("{}: the keys file {}", Printable(path), why);
    return std::filesystem::exists(path, error) ? Status::InvalidArgument(message) : Status::NotFound(message);
  }
  std::istringstream in(text);
  KeyRing ring;
  std::map<std::array<uint8_t, 32>, int> lines_of;  // each key hash's line
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    std::istringstream fields(line);
    std::string name, role_name, hex, kindergarten_text, extra;
    fields >> name >> role_name >> hex >> kindergarten_text >> extra;
    const auto where = [&](std::string_view what) {
      return Status::InvalidArgument(fmt::format("{}:{}: {} (expected: NAME ROLE SHA256HEX [KINDERGARTEN])", path, number, what));
    };
    if (!extra.empty()) return where("too many fields");
    const bool revoked = name.starts_with('!');
    if (revoked) name.erase(0, 1);
    if (name.empty() || hex.empty()) return where("a name, a role and a key hash are required");
    // A name is said in refusals (journaled), logs and metrics: a line's worth, not a page.
    if (name.size() > limits::kKeyNameBytesMax) return where(fmt::format("a key's name has at most {} bytes", limits::kKeyNameBytesMax));
    const auto role = RoleNamed(role_name);
    if (!role) return where(fmt::format("'{}' is no role", role_name));
    std::array<uint8_t, 32> sha{};
    if (!ParseHex32(hex, &sha)) return where("the key hash is not 64 lowercase hex digits");
    // One line a key: a second line for the same hash (another role, or the key unrevoked
    // again) would leave which one holds to the order of the lines.
    if (const auto [at, fresh] = lines_of.try_emplace(sha, number); !fresh) {
      return where(fmt::format("the key hash is already on line {}: one line a key (revoke it by marking that line '!')", at->second));
    }
    Caller caller{name, *role, 0};
    if (!kindergarten_text.empty()) {
      char* end = nullptr;
      const unsigned long id = std::strtoul(kindergarten_text.c_str(), &end, 10);
      if (*end != '\0' || id == 0 || id > UINT32_MAX || *role != fb::Role::Kindergarten) {
        return where("only a Kindergarten key names a kindergarten, a number from 1");
      }
      caller.kindergarten = static_cast<uint32_t>(id);
    } else if (*role == fb::Role::Kindergarten) {
      return where("a Kindergarten key names the kindergarten it speaks for");
    }
    ring.Add(std::move(caller), sha, revoked);
  }
  *out = std::move(ring);
  return Status::Ok();
}

void KeyRing::Add(Caller caller, const std::array<uint8_t, 32>& key_sha256, bool revoked) {
  entries_.push_back(Entry{std::move(caller), key_sha256, revoked});
}

KeyRing::Verdict KeyRing::Find(std::string_view presented_key, Caller* caller) const {
  Sha256Hasher hasher;
  const Sha256 presented =
      hasher.Of({reinterpret_cast<const uint8_t*>(presented_key.data()), presented_key.size()});
  const Entry* found = nullptr;
  bool revoked = false;  // any entry of the key revoked: it stays refused (Add may be given two)
  for (const Entry& entry : entries_) {  // no early exit: every entry costs the same
    if (CRYPTO_memcmp(entry.key_sha256.data(), presented.data(), presented.size()) == 0) {
      found = &entry;
      revoked = revoked || entry.revoked;
    }
  }
  if (found == nullptr || presented_key.empty()) return Verdict::kUnknown;
  if (revoked) return Verdict::kRevoked;
  *caller = found->caller;
  return Verdict::kKnown;
}

std::string KeyRing::LineFor(const Caller& caller, std::string_view key) {
  Sha256Hasher hasher;
  const Sha256 sha = hasher.Of({reinterpret_cast<const uint8_t*>(key.data()), key.size()});
  std::string line = fmt::format("{} {} {}", caller.name, fb::EnumNameRole(caller.role), projections::Hex(sha));
  if (caller.kindergarten != 0) line += fmt::format(" {}", caller.kindergarten);
  return line;
}

}  // namespace kezek::adapters::http
