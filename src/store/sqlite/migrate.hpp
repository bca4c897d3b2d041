#pragma once

#include "core/error.hpp"
#include "store/sqlite/database.hpp"

namespace praxis::store::sqlite {

// Applies every embedded migration newer than the database's schema, each in its own
// transaction together with its row in schema_migrations, so a crash leaves the
// schema at a whole migration. A database newer than this binary is refused.
[[nodiscard]] core::Result<void> migrate(Database& db);

// The highest applied migration number (0 for a fresh database).
[[nodiscard]] core::Result<int> schema_version(Database& db);

}  // namespace praxis::store::sqlite
