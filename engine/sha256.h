// SHA-256 through OpenSSL's SHA256_* functions, the context held in place and reused (no
// allocation, no dispatch per digest: engine/sha256.cc says why not EVP).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kezek {

using Sha256 = std::array<uint8_t, 32>;

class Sha256Hasher {
 public:
  static constexpr size_t kContextBytes = 128;  // OpenSSL's SHA256_CTX fits (checked in sha256.cc)

  Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  Sha256 Of(std::span<const uint8_t> bytes);
  // Incremental use: Begin, Update..., End.
  void Begin();
  void Update(std::span<const uint8_t> bytes);
  Sha256 End();

 private:
  alignas(std::max_align_t) unsigned char context_[kContextBytes];  // a SHA256_CTX
};

}  // namespace kezek
