#pragma once
// Bearer tokens (sessions, booking manage links, enrolment links): 256 random bits,
// shown once as URL-safe base64 without padding (43 characters), stored only as a
// BLAKE2b-256 hash. Comparison is constant-time.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace praxis::crypto {

inline constexpr std::size_t kTokenBytes = 32;
inline constexpr std::size_t kTokenChars = 43;
using TokenHash = std::array<std::uint8_t, 32>;

std::string generate_token();
// The hash to store and look up by. Any text can be hashed; a token of the wrong
// shape simply never matches.
TokenHash hash_token(std::string_view token);
bool token_hashes_equal(const TokenHash& a, const TokenHash& b);
// True for a string shaped like a token (43 base64url characters).
bool looks_like_token(std::string_view text);

}  // namespace praxis::crypto
