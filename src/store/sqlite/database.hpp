#pragma once
// A thin RAII wrapper over one SQLite connection (the C API).
//
// Every connection runs with foreign_keys=ON, a busy timeout, and WAL journaling.
// A database file created here is mode 0600 before SQLite writes a byte, and SQLite
// gives its -wal and -shm files the same mode. Not thread-safe: one thread at a time.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace praxis::store::sqlite {

enum class OpenMode { read_only, read_write, create };
enum class Synchronous { full, normal };

struct OpenOptions {
  OpenMode mode = OpenMode::read_write;
  Synchronous synchronous = Synchronous::full;
  int busy_timeout_ms = 5000;
  std::string vfs;  // empty: SQLite's default; tests register a fault-injecting one
  // Bytes of the file read through a memory map instead of read() (PRAGMA mmap_size;
  // SQLite caps it at its compile-time maximum, 2 GiB on Debian). 0: none.
  std::int64_t mmap_bytes = 0;
  // Statements after which the thread running them offers its core to the threads waiting
  // for one (`yield`, sched_yield(2) by default: returns at once when none waits). For the
  // writer's connection: a long write transaction (an audit move of 200 searches' entries
  // runs for about 3.5 ms) would otherwise keep a request handler off a core for as long
  // as the kernel's time slice. 0: never.
  int yield_every = 0;
  std::function<void()> yield{};  // tests count the yields
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

  // A prepared statement kept for the connection's lifetime, keyed by its SQL text.
  [[nodiscard]] core::Result<sqlite3_stmt*> cached_statement(std::string_view sql);

  sqlite3* handle() const { return db_; }
  // Counts a statement run on this connection (Statement::cached): every
  // OpenOptions::yield_every-th yields.
  void statement_ran() {
    if (yield_every_ > 0 && ++statements_ % static_cast<unsigned>(yield_every_) == 0) yield();
  }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  void close();
  void yield() const;
  sqlite3* db_ = nullptr;
  int yield_every_ = 0;
  unsigned statements_ = 0;
  std::function<void()> yield_;
  // Looked up by the statement's text without copying it (transparent hash and equality).
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> cache_;
};

// The error for a failed SQLite call on `db`, with the SQLite message as internal detail:
// busy/locked → unavailable and transient; I/O, disk full, corruption, read-only →
// unavailable (HTTP 503); constraint → conflict; anything else → internal.
core::Error sqlite_error(sqlite3* db, std::string_view what);
core::Error classify_sqlite_error(int extended_code, std::string internal);

}  // namespace praxis::store::sqlite
