#pragma once
// The embedded SQLite store: the database file in the data directory.
// (The transaction ports of DESIGN.md §4 grow here, issue #4.)
// Thread-safe.

#include <filesystem>
#include <memory>
#include <mutex>

#include "core/error.hpp"
#include "store/sqlite/database.hpp"

namespace praxis::store::sqlite {

inline constexpr const char* kDatabaseFileName = "praxis.db";

class SqliteStore {
 public:
  // Creates a new database file (0600) and applies all migrations.
  [[nodiscard]] static core::Result<std::unique_ptr<SqliteStore>> create(
      const std::filesystem::path& file, Synchronous synchronous);
  // Opens an existing database and applies pending migrations.
  [[nodiscard]] static core::Result<std::unique_ptr<SqliteStore>> open(
      const std::filesystem::path& file, Synchronous synchronous);

  // Readiness: the file is still the one we opened (not deleted or replaced) and
  // answers a query.
  [[nodiscard]] core::Result<void> ping();

  const std::filesystem::path& file() const { return file_; }

 private:
  SqliteStore(std::filesystem::path file, Database db, std::uint64_t inode);
  static core::Result<std::unique_ptr<SqliteStore>> finish_open(const std::filesystem::path& file,
                                                                Database db);

  std::filesystem::path file_;
  std::mutex mutex_;
  Database db_;
  std::uint64_t inode_;
};

}  // namespace praxis::store::sqlite
