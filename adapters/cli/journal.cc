// kezek journal: a journal file or a data directory's journal as JSON lines, its hash chain checked.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/journal_file.h"
#include "adapters/embedded/runtime.h"
#include "engine/sha256.h"
#include "events/codec.h"
#include "events/journal_chain.h"
#include "projections/summary.h"

namespace kezek::cli {
namespace {

constexpr const char* kJournalUsage = R"(usage: kezek journal FILE | --data DIR

Prints each record of a journal as a JSON line, after checking the FlatBuffers Verifier and the
SHA-256 hash chain of every record and the order of an input's parts (a torn input is refused:
docs/domain.md, "One input, several records"): FILE is a journal written by 'kezek fold --journal'; --data
reads the durable journal of a data directory, read-only (no lock: it works while 'kezek append'
runs). The JSON prints every field, text as UTF-8, prev_sha256 as hex digits and raw_input as a
string (docs/architecture.md, "JSON").
)";

// What a file that is no journal file is, and which command reads it (kezek journal FILE).
std::string WhatFileIs(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return "";
  unsigned char head[12] = {0};  // a journal file: u32 length, then the record (identifier at 4)
  const size_t n = std::fread(head, 1, sizeof head, file);
  std::fclose(file);
  if (n >= 4 && std::memcmp(head, "KZLG", 4) == 0) {
    return "it is a segment of a data directory's log (actions/ or journal/): 'kezek journal --data DIR' reads a "
           "data directory's journal";
  }
  if (n >= 8 && std::memcmp(head + 4, "KZAC", 4) == 0) return "it is an action buffer, not a journal";
  size_t first = 0;
  while (first < n && std::isspace(head[first])) ++first;
  if (first < n && head[first] == '{') {
    return "it holds JSON lines (actions, or a journal printed as JSON): 'kezek fold FILE' folds actions; 'kezek "
           "journal' reads the binary journal 'kezek fold --journal' writes";
  }
  if (n > 0 && (n < 12 || std::memcmp(head + 8, "KZJR", 4) != 0)) {
    return "it is no journal file (a journal file's first record is a KZJR buffer framed by its length, as 'kezek fold "
           "--journal' writes)";
  }
  return "";
}

}  // namespace

int Journal(int argc, char** argv) {
  const auto args = Parse(argc, argv, 2, {"--data"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kJournalUsage), 0;
  const bool from_data = args->options.contains("--data");
  if (args->positional.size() != (from_data ? 0u : 1u)) return fmt::print(stderr, "{}", kJournalUsage), 2;
  events::Codec codec;
  events::JournalChain chain;
  std::string problem;
  std::string error;
  const auto visit = [&](std::span<const uint8_t> bytes) {
    if (!problem.empty()) return;
    problem = chain.Add(bytes);
    if (problem.empty()) fmt::print("{}\n", codec.RecordToJson(bytes));
  };
  if (from_data) {
    std::unique_ptr<adapters::Runtime> runtime;
    adapters::Runtime::Options options;
    options.say = [](const std::string& message) { fmt::print(stderr, "kezek journal: {}\n", message); };
    if (const auto s = adapters::Runtime::OpenReadOnly(args->options.at("--data"), options, &runtime); !s.ok()) {
      return fmt::print(stderr, "kezek journal: {}\n", s.ToString()), 1;
    }
    if (const auto s = runtime->journal_log().Read(0, [&](uint64_t, std::span<const uint8_t> r) { visit(r); return problem.empty(); }); !s.ok()) {
      return fmt::print(stderr, "kezek journal: {}\n", s.ToString()), 1;
    }
  } else if (const std::string what = WhatFileIs(args->positional[0]); !what.empty()) {
    return fmt::print(stderr, "kezek journal: {}: {}\n", args->positional[0], what), 1;
  } else if (!adapters::ReadJournalFile(args->positional[0], visit, &error)) {
    return fmt::print(stderr, "kezek journal: {}\n", error), 1;
  }
  if (problem.empty()) problem = chain.End();
  if (!problem.empty()) return fmt::print(stderr, "kezek journal: {}\n", problem), 1;
  fmt::print(stderr, "kezek journal: {} records, chain intact, head {}\n", chain.records(), projections::Hex(chain.head()));
  return 0;
}

}  // namespace kezek::cli
