// An ordered set with ranks (order statistics), kept as sorted blocks of at most kBlock elements:
// a lookup is a binary search over the blocks' first elements and one inside a block, an insert
// or erase moves at most a block's elements, and a rank adds up the sizes of the blocks before.
// For the queues' few thousand entries this touches a few cache lines where a red-black tree
// chased a pointer per level (pb_ds's tree insert was 6% of a country fold). Copyable.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kezek {

template <class T, size_t kBlock = 128>
class RankedSet {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // False if `value` was present already.
  bool insert(const T& value) {
    if (blocks_.empty()) {
      blocks_.emplace_back().reserve(kBlock + 1);
      blocks_.back().push_back(value);
      firsts_.push_back(value);
      size_ = 1;
      return true;
    }
    const size_t b = BlockFor(value);
    std::vector<T>& block = blocks_[b];
    const auto at = std::lower_bound(block.begin(), block.end(), value);
    if (at != block.end() && !(value < *at)) return false;
    block.insert(at, value);
    firsts_[b] = block.front();
    ++size_;
    if (block.size() > kBlock) Split(b);
    return true;
  }

  // The number of elements erased (0 or 1).
  size_t erase(const T& value) {
    if (blocks_.empty()) return 0;
    const size_t b = BlockFor(value);
    std::vector<T>& block = blocks_[b];
    const auto at = std::lower_bound(block.begin(), block.end(), value);
    if (at == block.end() || value < *at) return 0;
    block.erase(at);
    --size_;
    if (block.empty()) {
      blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(b));
      firsts_.erase(firsts_.begin() + static_cast<std::ptrdiff_t>(b));
    } else {
      firsts_[b] = block.front();
    }
    return 1;
  }

  // The number of elements less than `value`.
  uint64_t order_of_key(const T& value) const {
    if (blocks_.empty()) return 0;
    const size_t b = BlockFor(value);
    uint64_t rank = 0;
    for (size_t i = 0; i < b; ++i) rank += blocks_[i].size();
    const std::vector<T>& block = blocks_[b];
    return rank + static_cast<uint64_t>(std::lower_bound(block.begin(), block.end(), value) - block.begin());
  }

  // The least element. REQUIRES: not empty.
  const T& front() const { return blocks_.front().front(); }

  // The element k places after the least (0: the least), nullptr past the last: walks the blocks
  // from the front, for a caller looking a few places behind the head.
  const T* ahead(size_t k) const {
    for (const std::vector<T>& block : blocks_) {
      if (k < block.size()) return &block[k];
      k -= block.size();
    }
    return nullptr;
  }

  void clear() {
    blocks_.clear();
    firsts_.clear();
    size_ = 0;
  }

  // Visits every element in order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (const std::vector<T>& block : blocks_) {
      for (const T& value : block) visit(value);
    }
  }

 private:
  // The block `value` belongs in: the last whose first element is not greater than it (the first
  // block for a value below every element).
  size_t BlockFor(const T& value) const {
    const auto after = std::upper_bound(firsts_.begin(), firsts_.end(), value);
    return after == firsts_.begin() ? 0 : static_cast<size_t>(after - firsts_.begin()) - 1;
  }

  void Split(size_t b) {
    std::vector<T> upper;
    upper.reserve(kBlock + 1);
    std::vector<T>& block = blocks_[b];
    const auto middle = block.begin() + static_cast<std::ptrdiff_t>(block.size() / 2);
    upper.assign(middle, block.end());
    block.erase(middle, block.end());
    firsts_.insert(firsts_.begin() + static_cast<std::ptrdiff_t>(b) + 1, upper.front());
    blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(b) + 1, std::move(upper));
  }

  std::vector<std::vector<T>> blocks_;  // sorted, each non-empty, every element of one below the next's
  std::vector<T> firsts_;               // blocks_[i].front()
  size_t size_ = 0;
};

}  // namespace kezek
