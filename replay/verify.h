// `kezek replay verify`: an auditor's proof that a journal is the one its actions give.
//
// Two checks over the logs, each naming the first record where it fails (in two passes: see Verify):
//   - the hash chain (events/journal_chain.h): every record passes the FlatBuffers Verifier, has
//     the next sequence, names the SHA-256 of the record before it and keeps its input's parts in
//     order, end to end;
//   - a fresh fold: the actions log folded again by a new engine, from nothing, and every record
//     it gives compared byte for byte with the journal's record at that sequence. On the first
//     difference it names the record, its input, the first field that differs, and what was
//     expected and what was found.
// So a changed byte, a deleted or an inserted record, records swapped, and a tail forged from some
// record on with a valid chain (right hashes, wrong decisions) are each found at their record.
// A journal and an actions log forged together, consistently, are not: the head (the last
// record's SHA-256) is what an auditor compares with one published earlier (`expect_head`).
//
// The journal may end before the actions log (inputs logged and not yet folded: a writer is
// running, or stopped between its two fsyncs); those inputs are reported as pending, not as a
// difference, unless the stored state says it reflects them (then the journal was cut). When the
// stored state's hash is given, the fold's state at the same input is compared with it.
//
// I/O is the caller's: the logs are read through the callbacks in `VerifySource`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/sha256.h"

namespace kezek::replay {

struct VerifySource {
  uint64_t inputs = 0;   // inputs in the actions log
  uint64_t records = 0;  // records in the journal
  // Input / record `index` into *bytes; false with *error (unreadable, damaged) otherwise.
  std::function<bool(uint64_t index, std::vector<uint8_t>* bytes, std::string* error)> input;
  std::function<bool(uint64_t index, std::vector<uint8_t>* bytes, std::string* error)> record;
  // Each input's offset in its log, when it is not its index (a Kafka partition's offsets may
  // skip, or start past 0): what the engine folded it at. Empty: the index.
  std::vector<uint64_t> input_offsets;
  // The stored state, when there is one: the inputs it reflects and its hash (called once, when
  // the fold has folded as many, with the fold's hash then: a source may hash its stored bytes
  // beside the fold and load the state only when they differ), or nullopt with *problem when
  // the state proves unreadable (reported as its problem).
  std::optional<uint64_t> state_applied;
  std::function<std::optional<Sha256>(const Sha256& fold_hash, std::string* problem)> state_hash;
  // Why there is no stored state to compare with, when there should be one (it does not open:
  // the logs contradict it); reported as the state's problem.
  std::string state_problem;
};

struct VerifyOptions {
  std::optional<Sha256> expect_head;  // the journal's head must be this
  // Called now and then (every few thousand records) with the records checked so far.
  std::function<void(uint64_t records_checked)> progress;
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT): stop at the next record
  // Skip the pass for an equal journal and run the exact one from the start (the same report, in
  // more time: tests hold the two equal).
  bool exact = false;
};

// The first difference between the journal and the fold.
struct Divergence {
  uint64_t record = 0;      // the journal record's sequence (its index in the journal)
  uint64_t input = 0;       // the input whose fold gave the expected record
  std::string what;         // one line
  std::string field;        // the first JSON field that differs ("" if none can be named)
  std::string expected;     // the fold's record as JSON, cut around the difference ("" if none)
  std::string found;        // the journal's record as JSON, cut around the difference ("" if none)
};

struct VerifyReport {
  uint64_t records = 0;           // journal records
  uint64_t inputs = 0;            // inputs logged
  uint64_t records_checked = 0;   // records compared with the fold (all, when equal)
  uint64_t inputs_folded = 0;
  uint64_t pending_inputs = 0;    // logged after the journal's last input
  // The chain: "" intact end to end, else its first problem (naming the record).
  std::string chain_problem;
  uint64_t chain_records = 0;     // records that pass the chain (all of them when intact)
  Sha256 head{};                  // SHA-256 of the last record the chain holds
  std::optional<Divergence> divergence;
  std::string head_problem;       // expect_head given and not met
  std::string state_problem;      // the stored state's hash is not the fold's at the same input
  bool state_compared = false;
  uint64_t state_inputs = 0;      // the inputs the stored state reflects: where it was compared
  Sha256 fold_state_hash{};       // the fold's state hash after its last folded input
  bool interrupted = false;
  bool exact_pass = false;        // the report is the exact pass's (the first found something); not printed

  bool ok() const {
    return !interrupted && chain_problem.empty() && !divergence && head_problem.empty() && state_problem.empty();
  }
};

// Two passes, the second only when the first finds anything: the first folds on this thread and
// compares the fold's records with the journal's on a second one, reading each record once and
// checking the chain without the Verifier (each record equals one the engine built); on the first
// record that differs, cannot be read, breaks the chain, or is missing or extra, on an input that
// cannot be read or folded, or a stored state that reflects more than the journal holds, it stops
// and the exact pass runs from the start, comparing record by record as it folds so the report
// names the first difference precisely. The report is the same either way, unless interrupted
// (what each pass had read by then differs; nothing is proven either way).
VerifyReport Verify(const VerifySource& source, const VerifyOptions& options);

// The report as lines a person reads, and as one JSON object (docs/audit.md).
std::string VerifyText(const VerifyReport& report);
std::string VerifyJson(const VerifyReport& report);

}  // namespace kezek::replay
