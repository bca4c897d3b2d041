#pragma once
// Text encodings of binary data used by the crypto layer.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace praxis::crypto {

// RFC 4648 §6 base32 (alphabet A–Z 2–7). `pad` adds '=' to a multiple of 8.
std::string base32_encode(std::span<const std::uint8_t> data, bool pad = true);
// Accepts upper or lower case, optional padding, and ignores spaces and hyphens
// (as people type TOTP secrets). nullopt for anything else.
std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text);

// RFC 4648 §5 base64url without padding.
std::string base64url_encode(std::span<const std::uint8_t> data);
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

// RFC 4648 §4 standard base64 with padding (C2SP notes, audit proofs).
std::string base64_encode(std::span<const std::uint8_t> data);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

std::string hex_encode(std::span<const std::uint8_t> data);

}  // namespace praxis::crypto
