// API keys of the systems that call `kezek serve` (DESIGN §3, Access). The keys file holds the
// SHA-256 of each key, never the key itself, one calling system a line:
//
//   # comment
//   NAME ROLE SHA256HEX [KINDERGARTEN]      e.g.  portal-1 Portal 9f86d0...0a08
//   !NAME ROLE SHA256HEX [KINDERGARTEN]     a revoked key: still known, always refused
//
// A key hash is on one line only (a file listing one twice is refused when loaded); names may
// repeat (a rotated key keeps its system's name).
//
// ROLE is a name of fb::Role (Portal, PmpkSpecialist, Kindergarten, EducationDepartment, Auditor,
// System); a Kindergarten key names the ДО it speaks for. A presented key is hashed and compared
// with every entry in constant time (CRYPTO_memcmp), so timing tells nothing about which entry
// nearly matched.
//
// Thread-safety: a loaded KeyRing is immutable; Find may be called from any thread. A server
// replaces its ring whole when the file changes (Server::ReplaceKeys), never edits it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/status.h"
#include "engine/schemas_fwd.h"

namespace kezek::adapters::http {

struct Caller {
  std::string name;
  fb::Role role = fb::Role::Auditor;
  uint32_t kindergarten = 0;  // the ДО a Kindergarten key speaks for
};

class KeyRing {
 public:
  enum class Verdict { kKnown, kUnknown, kRevoked };

  // Reads a keys file (a file: a FIFO or socket is refused, not waited on). Failure: NotFound (no
  // file), InvalidArgument (not readable, too large, not a file, or naming the line and what is wrong).
  static Status Load(const std::string& path, KeyRing* out);
  // Adds an entry (for tests and the demo set-up). REQUIRES: sha256 of the key.
  void Add(Caller caller, const std::array<uint8_t, 32>& key_sha256, bool revoked);

  // The caller a presented key belongs to. Every entry is compared, in constant time each.
  Verdict Find(std::string_view presented_key, Caller* caller) const;
  size_t size() const { return entries_.size(); }
  size_t revoked() const;  // of them, the revoked

  // The line of a keys file for `key` (the demo writes one per role).
  static std::string LineFor(const Caller& caller, std::string_view key);

 private:
  struct Entry {
    Caller caller;
    std::array<uint8_t, 32> key_sha256{};
    bool revoked = false;
  };
  std::vector<Entry> entries_;
};

}  // namespace kezek::adapters::http
