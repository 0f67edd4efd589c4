#include "events/chain_hasher.h"

#include <algorithm>

#include "decisions_generated.h"

namespace kezek::events {

size_t PrevSha256At(std::span<const uint8_t> record) {
  return static_cast<size_t>(fb::GetJournalRecord(record.data())->prev_sha256()->data() - record.data());
}

ChainHasher::ChainHasher(const Sha256& head, Each each) : each_(std::move(each)), head_(head), thread_([this] { Run(); }) {}

ChainHasher::~ChainHasher() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    changed_.notify_all();
  }
  thread_.join();
}

void ChainHasher::Add(std::span<const std::span<const uint8_t>> records) {
  for (const std::span<const uint8_t> record : records) {
    const size_t at = (filling_.bytes.size() + 7) & ~size_t{7};  // FlatBuffers reads scalars in place
    filling_.bytes.resize(at);
    filling_.bytes.insert(filling_.bytes.end(), record.begin(), record.end());
    filling_.records.emplace_back(at, record.size());
  }
  records_ += records.size();
  if (filling_.bytes.size() >= kBatchBytes) HandOver();
}

void ChainHasher::HandOver() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return ready_.size() < kBatchesMax; });
  ready_.push_back(std::move(filling_));
  changed_.notify_all();
  lock.unlock();
  filling_ = Batch();
  filling_.bytes.reserve(kBatchBytes + kBatchBytes / 4);
}

Sha256 ChainHasher::Head() {
  if (!filling_.records.empty()) HandOver();
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return ready_.empty() && !busy_; });
  return head_;
}

void ChainHasher::Run() {
  Sha256Hasher sha256;
  for (;;) {
    Batch batch;
    {
      std::unique_lock lock(mutex_);
      busy_ = false;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !ready_.empty() || closing_; });
      if (ready_.empty()) return;
      batch = std::move(ready_.front());
      ready_.pop_front();
      busy_ = true;
      changed_.notify_all();
    }
    for (const auto& [at, size] : batch.records) {
      const std::span<uint8_t> record(batch.bytes.data() + at, size);
      // The engine left zeros there.
      std::copy(head_.begin(), head_.end(), record.begin() + static_cast<ptrdiff_t>(PrevSha256At(record)));
      head_ = sha256.Of(record);
      if (each_) each_(record, head_);
    }
  }
}

}  // namespace kezek::events
