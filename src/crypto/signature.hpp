#pragma once
// Ed25519 signatures (audit checkpoints, backups). A signing key is made from a
// 32-byte seed (stored wrapped, or derived: KeyRing::audit_seed); its secret half
// lives in guarded memory.

#include <array>
#include <cstdint>
#include <span>

#include "crypto/secret_key.hpp"

namespace praxis::crypto {

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

class SigningKey {
 public:
  explicit SigningKey(const SecretKey& seed);
  ~SigningKey();
  SigningKey(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  SigningKey& operator=(SigningKey&&) = delete;

  const PublicKey& public_key() const { return public_key_; }
  Signature sign(std::span<const std::uint8_t> message) const;

 private:
  std::uint8_t* secret_ = nullptr;  // 64 bytes, sodium_malloc
  PublicKey public_key_{};
};

bool verify_signature(const PublicKey& key, std::span<const std::uint8_t> message,
                      const Signature& signature);

}  // namespace praxis::crypto
