#include "engine/sha256.h"

// OpenSSL's SHA256_Init/Update/Final are deprecated in 3.0 in favour of EVP, but they are the
// same code (the same SHA-NI assembly) without EVP's per-digest dispatch: on this project's
// machine a 560-byte journal record hashes in 322 ns through them against 364 ns through
// EVP_DigestInit_ex2/Update/Final with the algorithm fetched once (docs/performance.md). The fold
// hashes every record, so the dispatch was 2% of it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <new>

#include "engine/assert.h"

namespace kezek {
namespace {

SHA256_CTX* Context(void* storage) { return std::launder(reinterpret_cast<SHA256_CTX*>(storage)); }

}  // namespace

static_assert(sizeof(SHA256_CTX) <= Sha256Hasher::kContextBytes && alignof(SHA256_CTX) <= alignof(std::max_align_t));

Sha256Hasher::Sha256Hasher() { new (context_) SHA256_CTX{}; }

void Sha256Hasher::Begin() { KEZEK_ASSERT(SHA256_Init(Context(context_)) == 1); }

void Sha256Hasher::Update(std::span<const uint8_t> bytes) {
  KEZEK_ASSERT(SHA256_Update(Context(context_), bytes.data(), bytes.size()) == 1);
}

Sha256 Sha256Hasher::End() {
  Sha256 out{};
  KEZEK_ASSERT(SHA256_Final(out.data(), Context(context_)) == 1);
  return out;
}

Sha256 Sha256Hasher::Of(std::span<const uint8_t> bytes) {
  Begin();
  Update(bytes);
  return End();
}

}  // namespace kezek
