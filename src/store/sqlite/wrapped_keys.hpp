#pragma once
// The master_wrapped_keys table: keys sealed by the master key (ciphertexts only; the
// store never sees a plaintext key). Not thread-safe: use one connection per thread.

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/sqlite/database.hpp"

namespace praxis::store::sqlite {

struct WrappedKeyRow {
  std::string owner;  // "practice:<id>" or "signing:<purpose>"
  std::uint64_t key_id = 0;
  std::uint32_t version = 1;
  std::uint64_t wrapping_key_id = 0;
  std::vector<std::uint8_t> sealed;
};

[[nodiscard]] core::Result<std::vector<WrappedKeyRow>> list_master_wrapped_keys(Database& db);
// Inserts a new row; fails with conflict if the owner already has one.
[[nodiscard]] core::Result<void> insert_master_wrapped_key(Database& db, const WrappedKeyRow& row);
// Replaces the wrapping of an existing row (rotation); not_found if there is none.
[[nodiscard]] core::Result<void> update_master_wrapped_key(Database& db, const WrappedKeyRow& row);

}  // namespace praxis::store::sqlite
