#include "crypto/blind_index.hpp"

#include <sodium.h>

#include "core/bytes.hpp"
#include "core/text.hpp"

namespace praxis::crypto {

BlindIndex::BlindIndex(SecretKey column_key, std::string column)
    : key_(std::move(column_key)), column_(std::move(column)) {}

std::uint64_t BlindIndex::hash(std::string_view normalised_token, IndexWidth width) const {
  crypto_generichash_state state;
  const auto bytes = static_cast<std::size_t>(width);
  crypto_generichash_init(&state, key_.data(), kKeyBytes, bytes);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(column_.data()),
                            column_.size() + 1);  // includes the terminating 0x00 separator
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(normalised_token.data()),
                            normalised_token.size());
  std::uint8_t out[8] = {};
  crypto_generichash_final(&state, out, bytes);
  return core::get_u64(out);
}

std::uint64_t BlindIndex::hash_name(std::string_view token, IndexWidth width) const {
  thread_local std::string normalised;
  core::normalize_name_into(token, normalised);
  return hash(normalised, width);
}

}  // namespace praxis::crypto
