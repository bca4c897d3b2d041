#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/migration.hpp"
#include "store/sqlite/database.hpp"

namespace praxis::store::sqlite {

// Applies every embedded migration newer than the database's schema, all in one
// transaction with their rows (number, name, checksum) in schema_migrations, so a
// crash leaves the schema as it was or fully migrated. Refuses, changing nothing,
// a database newer than this binary and one whose applied migrations differ from the
// embedded files (an edited migration must become a new one).
[[nodiscard]] core::Result<void> migrate(Database& db);

// The highest applied migration number (0 for a fresh database).
[[nodiscard]] core::Result<int> schema_version(Database& db);

// How many embedded migrations are not applied yet (for praxis doctor).
[[nodiscard]] core::Result<int> pending_migrations(Database& db);

}  // namespace praxis::store::sqlite
