#include "store/sqlite/ports.hpp"

#include <sqlite3.h>

#include "store/sqlite/statement.hpp"

namespace praxis::store::sqlite {

using core::ErrorCode;

core::Result<std::optional<std::string>> SqliteMetaPort::get(std::string_view key) {
  auto stmt = Statement::cached(db_, "SELECT value FROM server_meta WHERE key = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, key);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->column_text(0));
}

core::Result<void> SqliteMetaPort::put(std::string_view key, std::string_view value) {
  auto stmt = Statement::cached(db_,
                                "INSERT INTO server_meta(key, value) VALUES (?1, ?2) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, key).bind(2, value);
  return stmt->run();
}

namespace {

constexpr std::string_view kColumns = "owner, key_id, version, wrapping_key_id, sealed";

WrappedKeyRow read_row(const Statement& stmt) {
  return WrappedKeyRow{stmt.column_text(0), static_cast<std::uint64_t>(stmt.column_int64(1)),
                       static_cast<std::uint32_t>(stmt.column_int64(2)),
                       static_cast<std::uint64_t>(stmt.column_int64(3)), stmt.column_blob(4)};
}

void bind_row(Statement& stmt, const WrappedKeyRow& row) {
  stmt.bind(1, row.owner)
      .bind(2, static_cast<std::int64_t>(row.key_id))
      .bind(3, static_cast<std::int64_t>(row.version))
      .bind(4, static_cast<std::int64_t>(row.wrapping_key_id))
      .bind(5, row.sealed);
}

}  // namespace

core::Result<std::vector<WrappedKeyRow>> SqliteMasterWrappedKeyPort::list() {
  auto stmt = Statement::cached(
      db_, "SELECT " + std::string(kColumns) + " FROM master_wrapped_keys ORDER BY owner");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<WrappedKeyRow> rows;
  while (true) {
    auto more = stmt->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) return rows;
    rows.push_back(read_row(*stmt));
  }
}

core::Result<std::optional<WrappedKeyRow>> SqliteMasterWrappedKeyPort::find(
    std::string_view owner) {
  auto stmt = Statement::cached(
      db_, "SELECT " + std::string(kColumns) + " FROM master_wrapped_keys WHERE owner = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, owner);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<WrappedKeyRow>();
  return std::optional<WrappedKeyRow>(read_row(*stmt));
}

core::Result<void> SqliteMasterWrappedKeyPort::insert(const WrappedKeyRow& row) {
  auto stmt = Statement::cached(db_, "INSERT INTO master_wrapped_keys(" + std::string(kColumns) +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return tl::unexpected(stmt.error());
  bind_row(*stmt, row);
  auto r = stmt->run();
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "a key for " + row.owner + " already exists",
                      r.error().internal);
  }
  return r;
}

core::Result<void> SqliteMasterWrappedKeyPort::update(const WrappedKeyRow& row) {
  auto stmt = Statement::cached(
      db_,
      "UPDATE master_wrapped_keys SET key_id = ?2, version = ?3, wrapping_key_id = ?4, "
      "sealed = ?5, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE owner = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  bind_row(*stmt, row);
  if (auto r = stmt->run(); !r) return r;
  if (sqlite3_changes(db_.handle()) != 1) {
    return core::fail(ErrorCode::not_found, "no key for " + row.owner);
  }
  return {};
}

}  // namespace praxis::store::sqlite
