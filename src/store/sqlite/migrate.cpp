#include "store/sqlite/migrate.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "store/migration.hpp"
#include "store/sqlite/statement.hpp"

namespace praxis::store::sqlite {

using core::ErrorCode;

namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ") STRICT;";

core::Result<std::vector<AppliedMigration>> applied_migrations(Database& db) {
  if (auto r = db.exec(kCreateMigrationsTable); !r) return tl::unexpected(r.error());
  auto stmt = Statement::prepare(
      db, "SELECT number, name, checksum FROM schema_migrations ORDER BY number");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<AppliedMigration> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(
        {static_cast<int>(stmt->column_int64(0)), stmt->column_text(1), stmt->column_text(2)});
  }
}

}  // namespace

core::Result<int> schema_version(Database& db) {
  auto applied = applied_migrations(db);
  if (!applied) return tl::unexpected(applied.error());
  return applied->empty() ? 0 : applied->back().number;
}

core::Result<int> pending_migrations(Database& db) {
  auto version = schema_version(db);
  if (!version) return tl::unexpected(version.error());
  int pending = 0;
  for (const auto& m : migrations()) pending += m.number > *version ? 1 : 0;
  return pending;
}

core::Result<void> migrate(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r;
  auto fail = [&db](core::Error e) -> core::Result<void> {
    (void)db.exec("ROLLBACK");
    return tl::unexpected(std::move(e));
  };
  auto applied = applied_migrations(db);
  if (!applied) return fail(applied.error());
  if (auto r = check_applied(*applied, migrations()); !r) return fail(r.error());
  const int current = applied->empty() ? 0 : applied->back().number;
  for (const auto& m : migrations()) {
    if (m.number <= current) continue;
    if (auto r = db.exec(m.sql); !r) {
      auto e = r.error();
      e.internal = "migration " + std::string(m.name) + ": " + e.internal;
      return fail(e);
    }
    auto insert = Statement::prepare(
        db, "INSERT INTO schema_migrations(number, name, checksum) VALUES (?1, ?2, ?3)");
    if (!insert) return fail(insert.error());
    insert->bind(1, std::int64_t{m.number}).bind(2, m.name).bind(3, migration_checksum(m.sql));
    if (auto r = insert->run(); !r) return fail(r.error());
  }
  if (auto r = db.exec("COMMIT"); !r) return fail(r.error());
  return {};
}

}  // namespace praxis::store::sqlite
