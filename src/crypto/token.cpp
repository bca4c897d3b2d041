#include "crypto/token.hpp"

#include <sodium.h>

#include "crypto/encoding.hpp"
#include "crypto/secret_key.hpp"

namespace praxis::crypto {

std::string generate_token() {
  init_sodium();
  std::array<std::uint8_t, kTokenBytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::string token = base64url_encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return token;
}

TokenHash hash_token(std::string_view token) {
  TokenHash out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return out;
}

bool token_hashes_equal(const TokenHash& a, const TokenHash& b) {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool looks_like_token(std::string_view text) {
  if (text.size() != kTokenChars) return false;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace praxis::crypto
