#pragma once
// Blind indexes: searchable, keyed, truncated hashes of normalised tokens
// (DESIGN.md §3; leakage discussed in docs/security.md).
//
//   index = first N bytes of BLAKE2b(key = column key, message = column | 0x00 | token)
//
// The column key is derived per practice and column (KeyRing::column_key), so equal
// values in different practices or columns give unrelated indexes. Truncation makes
// an index a filter, not an identifier: several values share each index value, so a
// copy of the database reveals at most which rows *may* be equal; the service
// removes false positives after decrypting.
// Thread-safe (immutable after construction).

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/secret_key.hpp"

namespace praxis::crypto {

enum class IndexWidth : std::uint8_t {
  narrow = 4,  // low-entropy tokens: phonetic codes, name prefixes, birth dates
  wide = 8,    // e-mail, phone (E.164), KVNR
};

class BlindIndex {
 public:
  BlindIndex(SecretKey column_key, std::string column);

  // Hashes an already normalised token. The result holds `width` bytes (little-endian),
  // so a narrow index is below 2^32.
  std::uint64_t hash(std::string_view normalised_token, IndexWidth width) const;
  // Normalises a name token (core::normalize_name) and hashes it.
  std::uint64_t hash_name(std::string_view token, IndexWidth width = IndexWidth::narrow) const;

  const std::string& column() const { return column_; }

 private:
  SecretKey key_;
  std::string column_;
};

}  // namespace praxis::crypto
