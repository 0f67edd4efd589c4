#include "events/state_hasher.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "engine/assert.h"
#include "engine/state_codec.h"

namespace kezek::events {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 18;  // 256 KiB: a few thousand hand-overs for a country
constexpr size_t kChunksInFlight = 4;

}  // namespace

Sha256 StateHashOnTwoThreads(const Engine& engine) {
  KEZEK_ASSERT(engine.head_known());
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::string> full;   // framed, waiting for SHA-256, in order
  std::deque<std::string> spare;  // hashed, their capacity kept
  bool done = false;
  Sha256 hash{};
  std::thread hasher([&] {
    Sha256Hasher sha256;
    sha256.Begin();
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return done || !full.empty(); });
      if (full.empty()) break;  // done, and every chunk hashed
      std::string chunk = std::move(full.front());
      full.pop_front();
      lock.unlock();
      sha256.Update({reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()});
      chunk.clear();
      lock.lock();
      spare.push_back(std::move(chunk));
      changed.notify_all();
    }
    hash = sha256.End();
  });
  std::string chunk;
  chunk.reserve(kChunkBytes + 4096);
  const auto hand_over = [&] {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return full.size() < kChunksInFlight; });
    full.push_back(std::move(chunk));
    if (!spare.empty()) {
      chunk = std::move(spare.front());
      spare.pop_front();
    } else {
      chunk = std::string();
      chunk.reserve(kChunkBytes + 4096);
    }
    changed.notify_all();
  };
  // The idempotency entries are sorted on a third thread meanwhile (the longest family to prepare:
  // millions of entries copied out of a hash table and sorted), ready by the time they are reached.
  std::future<state_codec::IdempotencyEntries> sorted =
      std::async(std::launch::async, [&engine] { return state_codec::SortedIdempotency(engine.state()); });
  state_codec::AllEntries(
      engine.state(),
      [&](const state_codec::Put& put) {
        state_codec::FrameEntry(put.family, put.key, put.value, &chunk);
        if (chunk.size() >= kChunkBytes) hand_over();
      },
      [&sorted] { return sorted.get(); });
  hand_over();
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  changed.notify_all();
  hasher.join();
  return hash;
}

}  // namespace kezek::events
