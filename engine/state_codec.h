// The canonical binary encoding of every state entity: what the RocksDB store writes (one column
// family per kind, big-endian keys so that RocksDB's order is id order) and what the state hash
// hashes. Little-endian fixed-width integers, strings as u32 length + bytes. Pure: no I/O.
//
// DO NOT CHANGE an entity's encoding without raising kStateFormatVersion.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/sha256.h"
#include "engine/state.h"

namespace kezek::state_codec {

// 2: country-wide application and voucher numbers as keys, and the numbers family.
inline constexpr uint32_t kStateFormatVersion = 2;

// Column families, in a fixed order.
enum class Family : uint8_t {
  kMeta, kApplications, kVouchers, kQueues, kGroups, kKindergartens, kLocalities, kPolicies,
  kOffsets, kCalendar, kCategories, kChildren, kIdempotency, kNumbers,
};
inline constexpr Family kFamilies[] = {Family::kMeta, Family::kApplications, Family::kVouchers, Family::kQueues,
                                       Family::kGroups, Family::kKindergartens, Family::kLocalities, Family::kPolicies,
                                       Family::kOffsets, Family::kCalendar, Family::kCategories, Family::kChildren,
                                       Family::kIdempotency, Family::kNumbers};
const char* FamilyName(Family family);

// One key/value write: value empty with erase = true deletes the key.
struct Put {
  Family family;
  std::string key;
  std::string value;
  bool erase = false;
};

// The writes that persist `state.changes` (and the meta entries, always), in a deterministic order.
void ChangedEntries(const State& state, const std::function<void(const Put&)>& put);
// Every entry of the state, family by family in key order (a full snapshot; the state hash).
void AllEntries(const State& state, const std::function<void(const Put&)>& put);
// The idempotency table's entries in key order: the longest part of AllEntries for a country.
using IdempotencyEntries = std::vector<std::pair<std::array<uint64_t, 2>, IdempotencyEntry>>;
IdempotencyEntries SortedIdempotency(const State& state);
// AllEntries, with the idempotency entries from `sorted` (SortedIdempotency's, called once the
// family is reached): a caller may sort them on another core while the families before are written.
void AllEntries(const State& state, const std::function<void(const Put&)>& put,
                const std::function<IdempotencyEntries()>& sorted);
// The state hash (Engine::StateHash) of entries added in AllEntries' order: SHA-256 over, for each
// entry, the family, the key's size (u32, little-endian), the key, the value's size, the value.
// A store holding exactly AllEntries' entries, fed to it in kFamilies' order and each family's key
// order, hashes to the state hash without loading anything (RocksDbStateStore::HashEntries).
// The bytes an entry adds to the state hash, appended to *out: the family (1 byte), the key's
// length (u32 little-endian), the key, the value's length, the value. The hash is SHA-256 over
// the entries of AllEntries so framed, in order (EntryHasher; events/state_hasher.h on two threads).
void FrameEntry(Family family, std::string_view key, std::string_view value, std::string* out);

class EntryHasher {
 public:
  EntryHasher();
  void Add(Family family, std::string_view key, std::string_view value);
  Sha256 Finish();

 private:
  Sha256Hasher sha256_;
  std::string buffer_;  // handed to SHA-256 64 KiB at a time
};

// A priority policy's bytes (its entry in the policies family; the projections store them too).
std::string EncodePolicy(const PriorityPolicy& policy);
[[nodiscard]] bool DecodePolicy(std::string_view value, PriorityPolicy* policy);

// Loads one entry into a State being rebuilt. False if the bytes do not decode (corruption).
[[nodiscard]] bool LoadEntry(Family family, std::string_view key, std::string_view value, State* state);
// After every entry is loaded: rebuilds what is derived (queue trees, indexes, timers).
// False if the entries are inconsistent (e.g. a group of a kindergarten not stored), with the
// first inconsistency found, naming the entries, in *why when given.
[[nodiscard]] bool FinishLoad(State* state, std::string* why = nullptr);

}  // namespace kezek::state_codec
