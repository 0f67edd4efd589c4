#include "events/journal_chain.h"

#include <algorithm>

#include <fmt/format.h>

#include "decisions_generated.h"

namespace kezek::events {
namespace {

std::string Hex(const Sha256& digest) {
  std::string out;
  for (const uint8_t b : digest) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace

std::string JournalChain::Add(std::span<const uint8_t> bytes) {
  if (broken_) return AddBuilt(bytes, {});  // refuses, saying so
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyJournalRecordBuffer(verifier)) {
    broken_ = true;
    return fmt::format("record {}: fails the FlatBuffers Verifier", records_);
  }
  return AddBuilt(bytes, sha256_.Of(bytes));
}

std::string JournalChain::AddBuilt(std::span<const uint8_t> bytes, const Sha256& sha256) {
  if (broken_) return fmt::format("record {}: follows a broken record", records_);
  broken_ = true;  // until this record passes
  const fb::JournalRecord* record = fb::GetJournalRecord(bytes.data());
  const auto* prev = record->prev_sha256();
  if (record->sequence() != records_ || prev == nullptr || prev->size() != head_.size() ||
      !std::equal(prev->begin(), prev->end(), head_.begin())) {
    return fmt::format("record {}: breaks the hash chain (sequence {}, expected previous {})", records_,
                       record->sequence(), Hex(head_));
  }
  if (continued_ && (record->part() != part_ + 1 || record->input_offset() != input_offset_)) {
    return fmt::format("record {}: input {} is torn: its part {} said more follow, but this record is part {} of input "
                       "{}", records_, input_offset_, part_, record->part(), record->input_offset());
  }
  if (!continued_ && record->part() != 0) {
    return fmt::format("record {}: part {} of input {} has no part {} before it", records_, record->part(),
                       record->input_offset(), record->part() - 1);
  }
  continued_ = record->continued();
  part_ = record->part();
  input_offset_ = record->input_offset();
  head_ = sha256;
  ++records_;
  broken_ = false;
  return "";
}

std::string JournalChain::Resume(std::span<const uint8_t> previous) {
  flatbuffers::Verifier verifier(previous.data(), previous.size());
  if (!fb::VerifyJournalRecordBuffer(verifier)) {
    broken_ = true;
    return fmt::format("the record before the first read fails the FlatBuffers Verifier");
  }
  const fb::JournalRecord* record = fb::GetJournalRecord(previous.data());
  records_ = record->sequence() + 1;
  head_ = sha256_.Of(previous);
  continued_ = record->continued();
  part_ = record->part();
  input_offset_ = record->input_offset();
  broken_ = false;
  return "";
}

std::string JournalChain::End() const {
  if (!continued_) return "";
  return fmt::format("record {}: input {} is torn: its part {} says more follow, but the journal ends", records_ - 1,
                     input_offset_, part_);
}

}  // namespace kezek::events
