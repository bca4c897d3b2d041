#pragma once
// TOTP second factor (RFC 6238 over RFC 4226): HMAC-SHA1 (OpenSSL), 30-second steps,
// 6 digits, accepting the previous and next step for clock drift. verify_totp returns
// the time step that matched, so the caller can store it and refuse the same or an
// older step again (ASVS 2.8.4: each code is single-use).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace praxis::crypto {

struct TotpParams {
  int digits = 6;
  std::int64_t period_seconds = 30;
  int window = 1;  // steps accepted before and after the current one
};

inline constexpr std::size_t kTotpSecretBytes = 20;  // 160 bits, as RFC 4226 recommends

std::vector<std::uint8_t> generate_totp_secret();

std::int64_t totp_step(std::int64_t unix_seconds, const TotpParams& params = {});
// The code for one time step (HOTP with counter = step), zero-padded to `digits`.
std::string totp_code(std::span<const std::uint8_t> secret, std::int64_t step,
                      const TotpParams& params = {});
// The matching step within the window, or nullopt. Non-digit input never matches.
std::optional<std::int64_t> verify_totp(std::span<const std::uint8_t> secret, std::string_view code,
                                        std::int64_t unix_seconds, const TotpParams& params = {});

// otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
// (the Key Uri Format understood by authenticator apps; label parts percent-encoded).
std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::span<const std::uint8_t> secret, const TotpParams& params = {});

}  // namespace praxis::crypto
