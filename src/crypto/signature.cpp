#include "crypto/signature.hpp"

#include <sodium.h>

#include <new>

namespace praxis::crypto {

SigningKey::SigningKey(const SecretKey& seed) {
  init_sodium();
  secret_ = static_cast<std::uint8_t*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (!secret_) throw std::bad_alloc();
  crypto_sign_seed_keypair(public_key_.data(), secret_, seed.data());
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : secret_(other.secret_), public_key_(other.public_key_) {
  other.secret_ = nullptr;
}

SigningKey::~SigningKey() {
  if (secret_) sodium_free(secret_);  // sodium_free wipes before freeing
}

Signature SigningKey::sign(std::span<const std::uint8_t> message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_);
  return sig;
}

bool verify_signature(const PublicKey& key, std::span<const std::uint8_t> message,
                      const Signature& signature) {
  init_sodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

}  // namespace praxis::crypto
