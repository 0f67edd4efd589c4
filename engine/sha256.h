// SHA-256 through OpenSSL's EVP interface, with the algorithm fetched once and the context
// reused: a fetch per digest costs more than hashing a journal record.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace kezek {

using Sha256 = std::array<uint8_t, 32>;

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  Sha256 Of(std::span<const uint8_t> bytes);
  // Incremental use: Begin, Update..., End.
  void Begin();
  void Update(std::span<const uint8_t> bytes);
  Sha256 End();

 private:
  void* md_;       // EVP_MD*
  void* context_;  // EVP_MD_CTX*
};

}  // namespace kezek
