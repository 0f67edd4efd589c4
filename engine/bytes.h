// Fixed-width little-endian values and length-prefixed strings, and big-endian keys (RocksDB
// orders them as numbers): the byte forms of engine/state_codec.h and projections' stored models.
// Pure: no I/O.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kezek::bytes {

class Out {
 public:
  Out() = default;
  explicit Out(size_t reserve) { s_.resize(reserve); }  // the bytes expected: one allocation
  // Writes into `reuse`'s storage (its capacity kept): a loop encoding millions of entries hands
  // each Take() back to the next Out and allocates only when an entry outgrows the last.
  Out(std::string&& reuse, size_t reserve) : s_(std::move(reuse)) { s_.resize(reserve); }
  Out& U8(uint64_t v) { return Le<1>(v); }
  Out& U16(uint64_t v) { return Le<2>(v); }
  Out& U32(uint64_t v) { return Le<4>(v); }
  Out& U64(uint64_t v) { return Le<8>(v); }
  Out& I64(int64_t v) { return Le<8>(static_cast<uint64_t>(v)); }
  Out& Str(std::string_view v) { U32(v.size()); return Raw(v.data(), v.size()); }
  Out& Raw(const void* data, size_t size) {
    if (size != 0) std::memcpy(Room(size), data, size);
    return *this;
  }
  std::string Take() {
    s_.resize(at_);
    at_ = 0;
    return std::move(s_);
  }

 private:
  // The string is kept at its full size and written through a cursor (`at_`): a value is one
  // store, not a call to std::string::append; Take() cuts it to what was written.
  char* Room(size_t bytes) {
    if (at_ + bytes > s_.size()) s_.resize(std::max(2 * s_.size(), at_ + bytes));
    char* at = s_.data() + at_;
    at_ += bytes;
    return at;
  }
  template <size_t kBytes>
  Out& Le(uint64_t v) {
    char le[8];
    for (size_t i = 0; i < 8; ++i) le[i] = static_cast<char>(v >> (8 * i));  // one store once optimized
    std::memcpy(Room(kBytes), le, kBytes);
    return *this;
  }
  std::string s_;
  size_t at_ = 0;
};

class In {
 public:
  explicit In(std::string_view data) : d_(data) {}
  uint8_t U8() { return static_cast<uint8_t>(Le(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Le(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Le(4)); }
  uint64_t U64() { return Le(8); }
  int64_t I64() { return static_cast<int64_t>(Le(8)); }
  std::string Str() {
    const uint32_t n = U32();
    if (!ok_ || d_.size() < n) return ok_ = false, std::string{};
    std::string v(d_.substr(0, n));
    d_.remove_prefix(n);
    return v;
  }
  void Raw(void* out, size_t size) {
    if (d_.size() < size) { ok_ = false; return; }
    std::memcpy(out, d_.data(), size);
    d_.remove_prefix(size);
  }
  // A stored count of items each at least `item_bytes` long: refused (0, and not ok) when the
  // bytes left cannot hold that many, so that a damaged count never drives a loop.
  uint64_t Count(uint64_t stored, size_t item_bytes) {
    if (!ok_ || stored > d_.size() / item_bytes) return ok_ = false, 0;
    return stored;
  }
  // A stored enumerator (one byte): refused (not ok) past the enumeration's last value, so that
  // bytes a later version wrote, or damaged ones, never become a value no switch handles.
  template <typename E>
  E Enum(E last) {
    const uint8_t v = U8();
    if (v > static_cast<uint8_t>(last)) return ok_ = false, E{};
    return static_cast<E>(v);
  }
  bool done() const { return ok_ && d_.empty(); }
  bool ok() const { return ok_; }

 private:
  uint64_t Le(int bytes) {
    if (d_.size() < static_cast<size_t>(bytes)) { ok_ = false; return 0; }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(d_[static_cast<size_t>(i)])} << (8 * i);
    d_.remove_prefix(static_cast<size_t>(bytes));
    return v;
  }
  std::string_view d_;
  bool ok_ = true;
};

// `v`'s low `width` bytes, big-endian, into *k (replacing what it held).
inline void BeInto(uint64_t v, int width, std::string* k) {
  k->resize(static_cast<size_t>(width));
  for (int i = 0; i < width; ++i) (*k)[static_cast<size_t>(width - 1 - i)] = static_cast<char>(v >> (8 * i));
}

inline std::string Be(uint64_t v, int width) {
  std::string k;
  BeInto(v, width, &k);
  return k;
}

inline uint64_t FromBe(std::string_view k) {
  uint64_t v = 0;
  for (const char c : k) v = v << 8 | static_cast<uint8_t>(c);
  return v;
}

}  // namespace kezek::bytes
