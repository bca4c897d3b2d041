#include "crypto/encoding.hpp"

#include <sodium.h>

namespace praxis::crypto {
namespace {
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}
}  // namespace

std::string base32_encode(std::span<const std::uint8_t> data, bool pad) {
  std::string out;
  out.reserve((data.size() + 4) / 5 * 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  if (pad) {
    while (out.size() % 8 != 0) out.push_back('=');
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    const int v = base32_value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xFF));
      bits -= 8;
    }
  }
  // Leftover bits must be zero padding of the last quantum (RFC 4648 §3.5, canonical).
  if (bits >= 5 || (buffer & ((1U << bits) - 1)) != 0) return std::nullopt;
  return out;
}

namespace {

std::string encode64(std::span<const std::uint8_t> data, int variant) {
  std::string out(sodium_base64_encoded_len(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::vector<std::uint8_t>> decode64(std::string_view text, int variant) {
  std::vector<std::uint8_t> out(text.size() * 3 / 4 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace

std::string base64url_encode(std::span<const std::uint8_t> data) {
  return encode64(data, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
  return decode64(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string base64_encode(std::span<const std::uint8_t> data) {
  return encode64(data, sodium_base64_VARIANT_ORIGINAL);
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  return decode64(text, sodium_base64_VARIANT_ORIGINAL);
}

std::string hex_encode(std::span<const std::uint8_t> data) {
  std::string out(data.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
  out.resize(data.size() * 2);
  return out;
}

}  // namespace praxis::crypto
