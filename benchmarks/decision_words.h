// A comparable summary of what an engine decided for one input, so that Kezek and the PostgreSQL
// baseline (benchmarks/pg_baseline.h) can be checked decision for decision on the same log.
//
// Words: outcome, rejection code, duplicate_of (the original's input), then for each decision its DecisionBody tag and
// its numeric fields (application, position, voucher, deadline, reason, kindergarten, group,
// notification kind...). Texts are left out: they follow from these numbers.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/schemas_fwd.h"

namespace kezek::bench {

using Words = std::vector<uint64_t>;

// Appends the words of one journal record. `input_of_sequence` is the caller's, kept across the
// records of one journal in order: each record's input offset by its sequence (a repeat's
// duplicate_of is given as its original's input). REQUIRES: the record verified.
void RecordWords(const fb::JournalRecord& record, Words* out, std::vector<uint64_t>* input_of_sequence);

// Human-readable words, for a mismatch report.
std::string DescribeWords(std::span<const uint64_t> words);

// Counts of outcomes and decisions by kind over many inputs, and a digest of all their words.
struct DecisionTally {
  std::array<uint64_t, 3> outcomes{};        // by fb::Outcome
  std::array<uint64_t, 32> decisions{};      // by fb::DecisionBody tag
  uint64_t inputs = 0;
  uint64_t digest = 0x4B5A;                  // order-sensitive
  void Add(std::span<const uint64_t> words);
  bool operator==(const DecisionTally&) const = default;
};

}  // namespace kezek::bench
