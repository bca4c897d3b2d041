#include "store/sqlite/wrapped_keys.hpp"

#include <sqlite3.h>

#include "store/sqlite/statement.hpp"

namespace praxis::store::sqlite {

core::Result<std::vector<WrappedKeyRow>> list_master_wrapped_keys(Database& db) {
  auto stmt = Statement::prepare(
      db,
      "SELECT owner, key_id, version, wrapping_key_id, sealed FROM master_wrapped_keys "
      "ORDER BY owner");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<WrappedKeyRow> rows;
  while (true) {
    auto more = stmt->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    rows.push_back(
        WrappedKeyRow{stmt->column_text(0), static_cast<std::uint64_t>(stmt->column_int64(1)),
                      static_cast<std::uint32_t>(stmt->column_int64(2)),
                      static_cast<std::uint64_t>(stmt->column_int64(3)), stmt->column_blob(4)});
  }
  return rows;
}

core::Result<void> insert_master_wrapped_key(Database& db, const WrappedKeyRow& row) {
  auto stmt = Statement::prepare(
      db,
      "INSERT INTO master_wrapped_keys(owner, key_id, version, wrapping_key_id, sealed) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, row.owner)
      .bind(2, static_cast<std::int64_t>(row.key_id))
      .bind(3, static_cast<std::int64_t>(row.version))
      .bind(4, static_cast<std::int64_t>(row.wrapping_key_id))
      .bind(5, row.sealed);
  auto r = stmt->run();
  if (!r && (sqlite3_extended_errcode(db.handle()) & 0xFF) == SQLITE_CONSTRAINT) {
    return core::fail(core::ErrorCode::conflict, "a key for " + row.owner + " already exists");
  }
  return r;
}

core::Result<void> update_master_wrapped_key(Database& db, const WrappedKeyRow& row) {
  auto stmt = Statement::prepare(
      db,
      "UPDATE master_wrapped_keys SET key_id = ?2, version = ?3, wrapping_key_id = ?4, "
      "sealed = ?5, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE owner = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, row.owner)
      .bind(2, static_cast<std::int64_t>(row.key_id))
      .bind(3, static_cast<std::int64_t>(row.version))
      .bind(4, static_cast<std::int64_t>(row.wrapping_key_id))
      .bind(5, row.sealed);
  if (auto r = stmt->run(); !r) return r;
  if (sqlite3_changes(db.handle()) != 1) {
    return core::fail(core::ErrorCode::not_found, "no key for " + row.owner);
  }
  return {};
}

}  // namespace praxis::store::sqlite
