#include "events/decode_ahead.h"

#include <algorithm>

#include "events/codec.h"

namespace kezek::events {

DecodeAhead::DecodeAhead(Source source) : source_(std::move(source)), thread_([this] { Run(); }) {}

DecodeAhead::~DecodeAhead() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    changed_.notify_all();
  }
  thread_.join();
}

const DecodeAhead::Batch* DecodeAhead::Next() {
  std::unique_lock lock(mutex_);
  if (!taken_.payloads.empty()) {  // the batch before, given back for its memory
    spare_.push_back(std::move(taken_));
    taken_ = Batch();
  }
  changed_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (ready_.empty()) return nullptr;
  taken_ = std::move(ready_.front());
  ready_.pop_front();
  changed_.notify_all();
  return &taken_;
}

void DecodeAhead::Run() {
  Codec codec;  // this thread's
  InputLine line;
  std::string error;
  bool more = true;
  while (more) {
    Batch batch;
    {
      std::lock_guard lock(mutex_);
      if (closing_) return;
      if (!spare_.empty()) {
        batch = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    batch.bytes.clear();
    batch.payloads.clear();
    while (batch.payloads.size() < kBatchInputs && batch.bytes.size() < kBatchBytes) {
      if (!source_(&line, &error)) {
        more = false;
        break;
      }
      const std::vector<uint8_t> payload = EncodeInput(codec, line);
      // The action (after the payload's tag byte) at a multiple of 16: the engine's alignment.
      const size_t at = ((batch.bytes.size() + 1 + 15) & ~size_t{15}) - 1;
      batch.bytes.resize(at);
      batch.bytes.insert(batch.bytes.end(), payload.begin(), payload.end());
      batch.payloads.emplace_back(at, payload.size());
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return ready_.size() < kBatchesMax || closing_; });
    if (closing_) return;
    if (!batch.payloads.empty()) ready_.push_back(std::move(batch));
    if (!more) {
      error_ = error;
      done_ = true;
    }
    changed_.notify_all();
  }
}

}  // namespace kezek::events
