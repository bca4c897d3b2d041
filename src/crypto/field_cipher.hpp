#pragma once
// Field-level encryption of patient data (DESIGN.md §3).
//
// Ciphertext format (version 1):
//   byte 0       format version (0x01)
//   bytes 1–8    id of the key that encrypted it (little-endian)
//   bytes 9–32   24-byte random nonce
//   bytes 33–    XChaCha20-Poly1305 ciphertext, then the 16-byte tag
// The authenticated data binds the value to where it belongs:
//   version | key id | practice id | table | column | row id   (each length-prefixed)
// so a ciphertext copied to another row, column, table or practice fails with
// CryptoError::authentication_failed, and one made with another key with unknown_key.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_ring.hpp"

namespace praxis::crypto {

inline constexpr std::uint8_t kFieldFormatVersion = 1;
inline constexpr std::size_t kFieldOverhead = 1 + 8 + 24 + 16;

struct FieldContext {
  std::string_view practice_id;
  std::string_view table;
  std::string_view column;
  std::string_view row_id;
};

std::vector<std::uint8_t> encrypt_field(const Key& key, const FieldContext& where,
                                        std::span<const std::uint8_t> plaintext);
std::vector<std::uint8_t> encrypt_field(const Key& key, const FieldContext& where,
                                        std::string_view plaintext);

CryptoResult<std::vector<std::uint8_t>> decrypt_field(const Key& key, const FieldContext& where,
                                                      std::span<const std::uint8_t> ciphertext);
CryptoResult<std::string> decrypt_field_text(const Key& key, const FieldContext& where,
                                             std::span<const std::uint8_t> ciphertext);

// The key id a ciphertext names, to find its key; nullopt if malformed.
std::optional<std::uint64_t> field_key_id(std::span<const std::uint8_t> ciphertext);

}  // namespace praxis::crypto
