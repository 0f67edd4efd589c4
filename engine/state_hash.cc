// The state hash: SHA-256 over every entry the store would hold (engine/state_codec.h), family by
// family in key order. Two runs that folded the same inputs compare equal; a state reloaded from
// RocksDB hashes equal to the one that wrote it; any difference in any field shows. Derived
// structures (queue trees, the timer heap, indexes) are not hashed: they are rebuilt from these.
#include "engine/assert.h"
#include "engine/engine.h"
#include "engine/state_codec.h"

namespace kezek {

Sha256 Engine::StateHash() const {
  KEZEK_ASSERT(!head_unknown_);  // HashRecords(false): SetHead first
  state_codec::EntryHasher hasher;
  state_codec::AllEntries(state_, [&](const state_codec::Put& put) { hasher.Add(put.family, put.key, put.value); });
  return hasher.Finish();
}

}  // namespace kezek
