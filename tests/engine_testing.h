// Test-only access to the engine (as leveldb's write_batch_internal.h): the record's bound, so a
// test can fold the same input with the bound raised (one unbounded record) and compare.
#pragma once

#include "engine/engine.h"

namespace kezek {

class EngineTesting {
 public:
  static void SetRecordBound(Engine& engine, DecisionWriter::Bound bound) { engine.decisions_.set_bound(bound); }
  static DecisionWriter::Bound Unbounded() { return {SIZE_MAX, SIZE_MAX}; }
};

}  // namespace kezek
