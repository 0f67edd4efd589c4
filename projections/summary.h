// A read model of the journal: counts of outcomes, decisions by kind and rejections by code, and
// a table of the state (applications by status, vouchers by state). Pure: it renders text, the
// caller prints it.
#pragma once

#include <map>
#include <string>

#include "engine/engine.h"

namespace kezek::projections {

class Summary {
 public:
  // Adds one journal record: an input's outcome and rejection with its first record (part 0),
  // the decisions of every part.
  void Add(const fb::JournalRecord& record);
  // A human-readable report of what was decided, with the state's figures and hashes.
  std::string Render(const Engine& engine) const;

  uint64_t records() const { return records_; }  // inputs: records with part 0
  uint64_t count(fb::Outcome outcome) const;
  uint64_t count(fb::DecisionBody kind) const;
  const std::map<fb::RejectionCode, uint64_t>& rejections() const { return rejections_; }

 private:
  uint64_t records_ = 0;
  std::map<fb::Outcome, uint64_t> outcomes_;
  std::map<fb::DecisionBody, uint64_t> decisions_;
  std::map<fb::RejectionCode, uint64_t> rejections_;
};

std::string Hex(std::span<const uint8_t> bytes);
// `text` as a JSON string, quotes included: '"' and '\\' escaped, control bytes as \u00XX, UTF-8
// kept as it is.
std::string JsonQuoted(std::string_view text);

}  // namespace kezek::projections
