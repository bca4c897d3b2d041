#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace praxis::store {

// One numbered schema change, embedded from src/store/migrations/<dialect>/NNNN_name.sql.
struct Migration {
  int number;
  std::string_view name;
  std::string_view sql;
};

// A row of schema_migrations.
struct AppliedMigration {
  int number;
  std::string name;
  std::string checksum;
};

// FNV-1a 64 of a migration's SQL text, as 16 hex digits (recorded when applied).
std::string migration_checksum(std::string_view sql);

// Refuses a database newer than `embedded` and one whose applied migrations differ
// from the embedded files; the message says what to do.
core::Result<void> check_applied(const std::vector<AppliedMigration>& applied,
                                 const std::vector<Migration>& embedded);

namespace sqlite {
// Every SQLite migration, ascending by number.
const std::vector<Migration>& migrations();
}  // namespace sqlite

namespace postgres {
// Every PostgreSQL migration, ascending by number.
const std::vector<Migration>& migrations();
}  // namespace postgres

}  // namespace praxis::store
