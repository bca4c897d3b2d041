#include "store/sqlite/sqlite_store.hpp"

#include <sys/stat.h>

#include <optional>

#include "store/sqlite/migrate.hpp"

namespace praxis::store::sqlite {

using core::ErrorCode;

namespace {
std::optional<std::uint64_t> inode_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_ino);
}
}  // namespace

SqliteStore::SqliteStore(std::filesystem::path file, Database db, std::uint64_t inode)
    : file_(std::move(file)), db_(std::move(db)), inode_(inode) {}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::finish_open(
    const std::filesystem::path& file, Database db) {
  if (auto r = migrate(db); !r) return tl::unexpected(r.error());
  const auto inode = inode_of(file);
  if (!inode) return core::fail(ErrorCode::internal, "database file vanished: " + file.string());
  return std::unique_ptr<SqliteStore>(new SqliteStore(file, std::move(db), *inode));
}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::create(const std::filesystem::path& file,
                                                               Synchronous synchronous) {
  auto db = Database::open(file, {OpenMode::create, synchronous});
  if (!db) return tl::unexpected(db.error());
  return finish_open(file, std::move(*db));
}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file,
                                                             Synchronous synchronous) {
  if (!inode_of(file)) {
    return core::fail(ErrorCode::not_found,
                      "database " + file.string() +
                          " does not exist; restore it from a backup or run praxis init");
  }
  auto db = Database::open(file, {OpenMode::read_write, synchronous});
  if (!db) return tl::unexpected(db.error());
  return finish_open(file, std::move(*db));
}

core::Result<void> SqliteStore::ping() {
  const auto inode = inode_of(file_);
  if (!inode || *inode != inode_) {
    return core::fail(ErrorCode::unavailable, "database unavailable",
                      "database file was deleted or replaced: " + file_.string());
  }
  std::lock_guard lock(mutex_);
  auto r = db_.query_text("SELECT count(*) FROM schema_migrations");
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace praxis::store::sqlite
