#pragma once
// Proof-of-work for public booking (issue #7): ALTCHA PoW v2, the format the `altcha`
// v3 widget solves. The server issues
//   {"parameters": {"algorithm": "PBKDF2/SHA-256", "nonce": hex, "salt": hex,
//                   "cost": N, "keyLength": 32, "keyPrefix": hex, "expiresAt": unix},
//    "signature": hex(HMAC-SHA-256(key, canonical JSON of parameters))}
// and the client searches the counter c for which
//   PBKDF2-HMAC-SHA-256(password = nonce bytes ‖ c as 4 bytes big-endian,
//                       salt = salt bytes, iterations = cost, length = keyLength)
// starts with keyPrefix. It sends back base64 of
//   {"challenge": {…as issued…}, "solution": {"counter": c, "derivedKey": hex}}.
// Verification checks the signature (so parameters cannot be eased), the expiry, and the
// derived key, each comparison in constant time. Spending the nonce once is the
// caller's job (the store's used_challenges table), so a solution cannot be replayed.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "crypto/secret_key.hpp"

namespace praxis::booking {

struct PowOptions {
  std::int64_t cost = 5000;       // PBKDF2 iterations per try
  std::string key_prefix = "00";  // hex; each hex digit multiplies the expected tries by 16
  std::chrono::seconds validity{600};
};

inline constexpr std::string_view kPowAlgorithm = "PBKDF2/SHA-256";
inline constexpr std::int64_t kPowKeyLength = 32;

// A new challenge signed with `key`, as the challenge endpoint answers it.
boost::json::object make_challenge(const crypto::SecretKey& key, core::Random& random,
                                   core::Instant now, const PowOptions& options);

// What a verified solution spends.
struct SpentChallenge {
  std::string nonce;
  std::int64_t expires_at = 0;
};

// Checks the widget's payload (base64 JSON). invalid_input with field "altcha" and a
// reason code (malformed, signature, expired, solution) when it does not hold.
[[nodiscard]] core::Result<SpentChallenge> verify_solution(const crypto::SecretKey& key,
                                                           std::string_view payload,
                                                           core::Instant now);

// The parameters as signed: compact JSON, keys sorted at every level.
std::string canonical_json(const boost::json::value& value);

// PBKDF2-HMAC-SHA-256 of nonce ‖ counter (big-endian), as the solver computes it.
std::vector<std::uint8_t> derive_key(std::span<const std::uint8_t> nonce, std::uint32_t counter,
                                     std::span<const std::uint8_t> salt, std::int64_t cost,
                                     std::size_t length);

}  // namespace praxis::booking
