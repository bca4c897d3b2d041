#include "store/sqlite/migrate.hpp"

#include <string>

#include "store/migration.hpp"

namespace praxis::store::sqlite {

using core::ErrorCode;

namespace {
constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ") STRICT;";
}

core::Result<int> schema_version(Database& db) {
  if (auto r = db.exec(kCreateMigrationsTable); !r) return tl::unexpected(r.error());
  auto text = db.query_text("SELECT COALESCE(MAX(number), 0) FROM schema_migrations");
  if (!text) return tl::unexpected(text.error());
  return std::stoi(*text);
}

core::Result<void> migrate(Database& db) {
  auto current = schema_version(db);
  if (!current) return tl::unexpected(current.error());
  const auto& all = migrations();
  const int newest = all.empty() ? 0 : all.back().number;
  if (*current > newest) {
    return core::fail(ErrorCode::internal,
                      "the database schema (version " + std::to_string(*current) +
                          ") is newer than this praxis binary (version " + std::to_string(newest) +
                          "); install the newer praxis");
  }
  for (const auto& m : all) {
    if (m.number <= *current) continue;
    std::string script = "BEGIN IMMEDIATE;\n";
    script += m.sql;
    script += "\nINSERT INTO schema_migrations(number, name) VALUES (" + std::to_string(m.number) +
              ", '" + std::string(m.name) + "');\nCOMMIT;";
    if (auto r = db.exec(script); !r) {
      (void)db.exec("ROLLBACK");
      auto e = r.error();
      e.internal = "migration " + std::string(m.name) + ": " + e.internal;
      return tl::unexpected(e);
    }
  }
  return {};
}

}  // namespace praxis::store::sqlite
