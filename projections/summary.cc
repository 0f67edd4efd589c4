#include "projections/summary.h"

#include <fmt/format.h>

namespace kezek::projections {

std::string Hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string JsonQuoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void Summary::Add(const fb::JournalRecord& record) {
  if (record.part() == 0) {  // once per input: every part of one repeats its outcome
    ++records_;
    ++outcomes_[record.outcome()];
    if (record.rejection() != nullptr) ++rejections_[record.rejection()->code()];
  }
  if (record.decisions() == nullptr) return;
  for (const fb::Decision* d : *record.decisions()) ++decisions_[d->body_type()];
}

uint64_t Summary::count(fb::Outcome outcome) const {
  const auto it = outcomes_.find(outcome);
  return it == outcomes_.end() ? 0 : it->second;
}

uint64_t Summary::count(fb::DecisionBody kind) const {
  const auto it = decisions_.find(kind);
  return it == decisions_.end() ? 0 : it->second;
}

std::string Summary::Render(const Engine& engine) const {
  const State& s = engine.state();
  std::string out;
  out += fmt::format("inputs: {}  applied: {}  rejected: {}  duplicates answered: {}\n", records_,
                     count(fb::Outcome::Applied), count(fb::Outcome::Rejected), count(fb::Outcome::Duplicate));
  out += "decisions:\n";
  for (const auto& [kind, n] : decisions_) out += fmt::format("  {:<24} {:>10}\n", fb::EnumNameDecisionBody(kind), n);
  if (!rejections_.empty()) {
    out += "rejections:\n";
    for (const auto& [code, n] : rejections_) {
      out += fmt::format("  {:<3} {:<26} {:>10}\n", static_cast<int>(code), fb::EnumNameRejectionCode(code), n);
    }
  }
  std::map<fb::ApplicationStatus, uint64_t> statuses;
  std::map<fb::ArchiveReason, uint64_t> reasons;
  for (size_t i = 1; i < s.applications.size(); ++i) {
    ++statuses[s.applications[i].status];
    if (s.applications[i].status == fb::ApplicationStatus::Archived) ++reasons[s.applications[i].archive_reason];
  }
  out += fmt::format("applications: {}\n", s.applications.size() - 1);
  for (const auto& [status, n] : statuses) out += fmt::format("  {:<24} {:>10}\n", fb::EnumNameApplicationStatus(status), n);
  for (const auto& [reason, n] : reasons) out += fmt::format("    archived: {:<14} {:>10}\n", fb::EnumNameArchiveReason(reason), n);
  uint64_t by_state[4] = {0, 0, 0, 0};
  for (size_t i = 1; i < s.vouchers.size(); ++i) ++by_state[static_cast<int>(s.vouchers[i].state)];
  out += fmt::format("vouchers: {} allocated: free {}, held {}, in use {}, used {}\n", s.vouchers.size() - 1,
                     by_state[0], by_state[1], by_state[2], by_state[3]);
  uint64_t waiting = 0;
  for (const Queue& q : s.queues) waiting += q.size();
  out += fmt::format("queues: {} ({} applications waiting)\n", s.queues.size(), waiting);
  out += fmt::format("engine time: {} ms since epoch\n", s.now.value);
  out += fmt::format("journal head: {}\n", Hex(s.head_sha256));
  const Sha256 hash = engine.StateHash();
  out += fmt::format("state hash:   {}\n", Hex(hash));
  return out;
}

}  // namespace kezek::projections
