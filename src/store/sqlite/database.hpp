#pragma once
// A thin RAII wrapper over one SQLite connection (the C API).
//
// Every connection runs with foreign_keys=ON, a busy timeout, and WAL journaling.
// A database file created here is mode 0600 before SQLite writes a byte, and SQLite
// gives its -wal and -shm files the same mode. Not thread-safe: one thread at a time.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

struct sqlite3;

namespace praxis::store::sqlite {

enum class OpenMode { read_only, read_write, create };
enum class Synchronous { full, normal };

struct OpenOptions {
  OpenMode mode = OpenMode::read_write;
  Synchronous synchronous = Synchronous::full;
  int busy_timeout_ms = 5000;
};

class Database {
 public:
  [[nodiscard]] static core::Result<Database> open(const std::filesystem::path& path,
                                                   const OpenOptions& options);
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  // Runs one or more statements that return no rows.
  [[nodiscard]] core::Result<void> exec(std::string_view sql);
  // Runs a statement and returns the first column of its first row as text
  // (empty when there is no row or it is NULL).
  [[nodiscard]] core::Result<std::string> query_text(std::string_view sql);

  sqlite3* handle() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// The error for a failed SQLite call on `db`, with the SQLite message as internal detail.
core::Error sqlite_error(sqlite3* db, std::string_view what);

}  // namespace praxis::store::sqlite
