#include "crypto/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>
#include <stdexcept>

#include "crypto/encoding.hpp"
#include "crypto/secret_key.hpp"

namespace praxis::crypto {
namespace {

std::uint32_t pow10(int digits) {
  std::uint32_t v = 1;
  for (int i = 0; i < digits; ++i) v *= 10;
  return v;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> generate_totp_secret() {
  init_sodium();
  std::vector<std::uint8_t> secret(kTotpSecretBytes);
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::int64_t totp_step(std::int64_t unix_seconds, const TotpParams& params) {
  return unix_seconds / params.period_seconds;
}

std::string totp_code(std::span<const std::uint8_t> secret, std::int64_t step,
                      const TotpParams& params) {
  std::array<std::uint8_t, 8> counter{};
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(step & 0xFF);
    step >>= 8;
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter.data(),
            counter.size(), mac.data(), &mac_len) ||
      mac_len < 20) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  const std::size_t offset = mac[mac_len - 1] & 0x0F;  // dynamic truncation (RFC 4226 §5.3)
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::string code = std::to_string(binary % pow10(params.digits));
  return std::string(static_cast<std::size_t>(params.digits) - code.size(), '0') + code;
}

std::optional<std::int64_t> verify_totp(std::span<const std::uint8_t> secret, std::string_view code,
                                        std::int64_t unix_seconds, const TotpParams& params) {
  if (code.size() != static_cast<std::size_t>(params.digits)) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const std::int64_t now = totp_step(unix_seconds, params);
  std::optional<std::int64_t> match;
  // Every step in the window is computed and compared, match or not (no early exit).
  for (std::int64_t step = now - params.window; step <= now + params.window; ++step) {
    const std::string expected = totp_code(secret, step, params);
    if (sodium_memcmp(expected.data(), code.data(), code.size()) == 0 && !match) match = step;
  }
  return match;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::span<const std::uint8_t> secret, const TotpParams& params) {
  return "otpauth://totp/" + percent_encode(issuer) + ":" + percent_encode(account) +
         "?secret=" + base32_encode(secret, false) + "&issuer=" + percent_encode(issuer) +
         "&algorithm=SHA1&digits=" + std::to_string(params.digits) +
         "&period=" + std::to_string(params.period_seconds);
}

}  // namespace praxis::crypto
