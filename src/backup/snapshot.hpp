#pragma once
// A consistent copy of the live SQLite database while the server keeps running.

#include <cstdint>
#include <filesystem>

#include "core/error.hpp"

namespace praxis::backup {

// Copies `live` into `out` (a new file, mode 0600) with SQLite's online backup API in
// a single step: one read transaction, so the copy is exactly one committed state,
// while writers go on (WAL readers do not block them). The copy is a complete
// database in one file.
[[nodiscard]] core::Result<void> snapshot_database(const std::filesystem::path& live,
                                                   const std::filesystem::path& out);

struct DatabaseCounts {
  std::int64_t practices = 0;
  std::int64_t patients = 0;      // not deleted or merged
  std::int64_t appointments = 0;  // every state
  std::int64_t audit_entries = 0;
};

// PRAGMA integrity_check, then the counts; invalid_input names the damage.
[[nodiscard]] core::Result<DatabaseCounts> check_database_file(const std::filesystem::path& file);

}  // namespace praxis::backup
