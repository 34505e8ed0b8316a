// Random tokens and their digests, from libsodium.
#include "auth/tokens.h"

#include <sodium.h>

namespace ecom::auth {

std::string ToHex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, data, n);
  return out;
}

std::string NewToken(std::string_view prefix) {
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  std::string token = std::string(prefix) + ToHex(random, sizeof random);
  sodium_memzero(random, sizeof random);
  return token;
}

bool HasTokenShape(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + 64 || token.substr(0, prefix.size()) != prefix) return false;
  for (char c : token.substr(prefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string TokenDigest(std::string_view secret) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return ToHex(hash, sizeof hash);
}

}  // namespace ecom::auth
