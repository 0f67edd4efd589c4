#include "engine/sha256.h"

#include <openssl/evp.h>

#include "engine/assert.h"

namespace kezek {

Sha256Hasher::Sha256Hasher()
    : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), context_(EVP_MD_CTX_new()) {
  KEZEK_ASSERT(md_ != nullptr && context_ != nullptr);
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
  EVP_MD_free(static_cast<EVP_MD*>(md_));
}

void Sha256Hasher::Begin() {
  KEZEK_ASSERT(EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(context_), static_cast<EVP_MD*>(md_), nullptr) == 1);
}

void Sha256Hasher::Update(std::span<const uint8_t> bytes) {
  KEZEK_ASSERT(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), bytes.data(), bytes.size()) == 1);
}

Sha256 Sha256Hasher::End() {
  Sha256 out{};
  unsigned int length = 0;
  KEZEK_ASSERT(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), out.data(), &length) == 1 && length == out.size());
  return out;
}

Sha256 Sha256Hasher::Of(std::span<const uint8_t> bytes) {
  Begin();
  Update(bytes);
  return End();
}

}  // namespace kezek
