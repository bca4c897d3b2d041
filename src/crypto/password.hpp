#pragma once
// Password hashing: Argon2id through libsodium's crypto_pwhash_str (PHC string format,
// random 128-bit salt, parameters stored in the string). ASVS 2.4: at least 19 MiB
// and t = 2; praxis uses 64 MiB and t = 2 by default.
// No truncation, no composition rules (ASVS 2.1); the length check is the caller's policy.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace praxis::crypto {

struct PasswordCost {
  std::uint64_t opslimit = 2;
  std::size_t memlimit = 64ULL * 1024 * 1024;
};

inline constexpr std::uint64_t kMinPasswordOps = 2;
inline constexpr std::size_t kMinPasswordMemory = 19ULL * 1024 * 1024;

// Throws std::invalid_argument for a cost below the minimum (a programming error).
[[nodiscard]] core::Result<std::string> hash_password(std::string_view password,
                                                      const PasswordCost& cost = {});
// Constant-time with respect to the stored hash; false for a malformed hash.
bool verify_password(std::string_view stored_hash, std::string_view password);
// True when `stored_hash` was made with other parameters than `cost` (rehash at login).
bool password_needs_rehash(std::string_view stored_hash, const PasswordCost& cost = {});

}  // namespace praxis::crypto
