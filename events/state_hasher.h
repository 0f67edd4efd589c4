// The state hash (Engine::StateHash) on two threads: this one encodes and frames the state's
// entries (state_codec::AllEntries, FrameEntry), a second runs SHA-256 over the framed bytes, in
// order, a chunk at a time, and a third sorts the idempotency entries meanwhile (the longest family
// to prepare) for when the first reaches them. The bytes hashed are the one-thread hash's, so the hash is equal
// (tests/golden_test.cc holds it); a verify or replay that has its second core free at the end of
// a fold takes the hash's SHA-256 off the fold's core.
#pragma once

#include "engine/engine.h"
#include "engine/sha256.h"

namespace kezek::events {

// REQUIRES: engine.head_known(); nothing applies to the engine meanwhile.
Sha256 StateHashOnTwoThreads(const Engine& engine);

}  // namespace kezek::events
