#include "crypto/password.hpp"

#include <sodium.h>

#include <stdexcept>

#include "crypto/secret_key.hpp"

namespace praxis::crypto {

core::Result<std::string> hash_password(std::string_view password, const PasswordCost& cost) {
  init_sodium();
  if (cost.opslimit < kMinPasswordOps || cost.memlimit < kMinPasswordMemory) {
    throw std::invalid_argument("password cost below ASVS minimum (19 MiB, t=2)");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.opslimit, cost.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return core::fail(core::ErrorCode::unavailable, "password hashing is temporarily unavailable",
                      "crypto_pwhash_str_alg failed (out of memory)");
  }
  return std::string(out);
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  init_sodium();
  if (stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::copy(stored_hash.begin(), stored_hash.end(), buf);
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view stored_hash, const PasswordCost& cost) {
  init_sodium();
  if (stored_hash.size() >= crypto_pwhash_STRBYTES) return true;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::copy(stored_hash.begin(), stored_hash.end(), buf);
  return crypto_pwhash_str_needs_rehash(buf, cost.opslimit, cost.memlimit) != 0;
}

}  // namespace praxis::crypto
