// A vector that grows by chunks of kChunk elements and never moves what it holds: growing a
// std::vector of a million applications (five strings each) moved every one of them again at
// each doubling, about 6% of a country fold's time, and left up to half its capacity unused.
// Only what the state needs: index, append, size, clear. Copyable (a copy holds its own chunks).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace kezek {

template <class T, size_t kChunkBits = 12>
class Chunked {
 public:
  static constexpr size_t kChunk = size_t{1} << kChunkBits;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if ((size_ & (kChunk - 1)) == 0) {
      chunks_.emplace_back();
      chunks_.back().reserve(kChunk);
    }
    ++size_;
    return chunks_.back().emplace_back(std::forward<Args>(args)...);
  }
  void push_back(const T& value) { emplace_back(value); }
  void push_back(T&& value) { emplace_back(std::move(value)); }

  void clear() {
    chunks_.clear();
    size_ = 0;
  }

 private:
  std::vector<std::vector<T>> chunks_;  // every chunk but the last holds kChunk elements
  size_t size_ = 0;
};

}  // namespace kezek
