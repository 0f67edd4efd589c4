// JSON lines made inputs on a core of their own (issue #12, "From JSON"): a thread reads lines
// from a source and encodes each as an actions log holds it (EncodeInput: the schema-driven
// decoder, or the refusal of a line that is no action), a batch at a time, while the caller folds
// the batches before it on another core. The payloads are EncodeInput's, byte for byte, in the
// order of the lines: folding them is folding the lines (tests/json_decoder_test.cc holds it).
// Each payload's action bytes are 16-byte aligned in its batch, so the engine reads them in place.
//
// Thread-safety: one caller thread (Next); the source is called on the decoding thread only.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "events/input.h"

namespace kezek::events {

class DecodeAhead {
 public:
  // Called on the decoding thread until it returns false: the next line into *line and true, or
  // false at the end of the lines, with *error set if reading them failed.
  using Source = std::function<bool(InputLine* line, std::string* error)>;

  struct Batch {
    std::vector<uint8_t> bytes;
    std::vector<std::pair<size_t, size_t>> payloads;  // each one's offset and size in `bytes`
    size_t size() const { return payloads.size(); }
    std::span<const uint8_t> payload(size_t i) const {
      return std::span<const uint8_t>(bytes).subspan(payloads[i].first, payloads[i].second);
    }
  };

  explicit DecodeAhead(Source source);
  // Stops the thread: it reads no further line once the one it is reading returns.
  ~DecodeAhead();
  DecodeAhead(const DecodeAhead&) = delete;
  DecodeAhead& operator=(const DecodeAhead&) = delete;

  // The next batch, in the order of the lines; nullptr once every line was taken (then error()
  // says whether the source failed). Valid until the next call.
  const Batch* Next();
  // The source's error, once Next returned nullptr ("" when the lines simply ended).
  const std::string& error() const { return error_; }

  static constexpr size_t kBatchInputs = 1'024;  // handed over at this many inputs...
  static constexpr size_t kBatchBytes = 512 * 1024;  // ... or this many bytes
  static constexpr size_t kBatchesMax = 4;           // decoded and waiting, at most

 private:
  void Run();

  Source source_;
  Batch taken_;              // the caller's current batch
  std::string error_;        // written by the thread before it sets done_
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;  // guarded by mutex_
  std::vector<Batch> spare_; // guarded by mutex_: batches given back, their memory reused
  bool done_ = false;        // guarded by mutex_: the source ended
  bool closing_ = false;     // guarded by mutex_
  std::thread thread_;       // last: started once the members above exist
};

}  // namespace kezek::events
