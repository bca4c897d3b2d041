#include "store/sqlite/database.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace praxis::store::sqlite {

using core::ErrorCode;

core::Error sqlite_error(sqlite3* db, std::string_view what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  return classify_sqlite_error(
      code, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "no connection"));
}

core::Error classify_sqlite_error(int code, std::string internal) {
  switch (code & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: {
      auto e = core::Error::make(ErrorCode::unavailable,
                                 "Die Datenbank ist ausgelastet. / The database is busy.",
                                 std::move(internal));
      e.transient = true;
      return e;
    }
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return core::Error::make(ErrorCode::unavailable,
                               "Der Datenspeicher ist vorübergehend nicht verfügbar. / Storage "
                               "is temporarily unavailable.",
                               std::move(internal));
    case SQLITE_CONSTRAINT:
      return core::Error::make(ErrorCode::conflict, "conflict", std::move(internal));
    default:
      return core::Error::make(ErrorCode::internal, "database error", std::move(internal));
  }
}

core::Result<Database> Database::open(const std::filesystem::path& path,
                                      const OpenOptions& options) {
  // SQLite counts every allocation under one global mutex unless told not to; praxis
  // never reads those statistics. Must precede initialisation (harmless if too late).
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  switch (options.mode) {
    case OpenMode::read_only:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case OpenMode::read_write:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case OpenMode::create: {
      // Create the file ourselves so it is 0600 from its first moment.
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) {
        return core::fail(ErrorCode::internal, "cannot create database file " + path.string(),
                          core::errno_text(errno));
      }
      ::close(fd);
      flags |= SQLITE_OPEN_READWRITE;
      break;
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags,
                                 options.vfs.empty() ? nullptr : options.vfs.c_str());
  Database db(raw);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_error(raw, "open " + path.string()));
  db.yield_every_ = options.yield_every;
  db.yield_ = options.yield;
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  // 32 MiB of page cache per connection (SQLite's default is 2 MiB): the blind-index
  // B-tree of a large practice stays in memory for search.
  std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768;";
  if (options.mmap_bytes > 0)
    pragmas += "PRAGMA mmap_size=" + std::to_string(options.mmap_bytes) + ";";
  if (options.mode != OpenMode::read_only) {
    pragmas += "PRAGMA journal_mode=WAL;";
    pragmas += options.synchronous == Synchronous::full ? "PRAGMA synchronous=FULL;"
                                                        : "PRAGMA synchronous=NORMAL;";
  }
  if (auto r = db.exec(pragmas); !r) return tl::unexpected(r.error());
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(other.db_),
      yield_every_(other.yield_every_),
      statements_(other.statements_),
      yield_(std::move(other.yield_)),
      cache_(std::move(other.cache_)) {
  other.db_ = nullptr;
  other.cache_.clear();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = other.db_;
    yield_every_ = other.yield_every_;
    statements_ = other.statements_;
    yield_ = std::move(other.yield_);
    cache_ = std::move(other.cache_);
    other.db_ = nullptr;
    other.cache_.clear();
  }
  return *this;
}

void Database::yield() const {
  if (yield_) {
    yield_();
  } else {
    sched_yield();
  }
}

Database::~Database() { close(); }

void Database::close() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

core::Result<sqlite3_stmt*> Database::cached_statement(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db_, "prepare"));
  }
  cache_.emplace(std::string(sql), stmt);
  return stmt;
}

core::Result<void> Database::exec(std::string_view sql) {
  if (sql.find(';') == std::string_view::npos) {
    // One statement (BEGIN, COMMIT, ROLLBACK, a PRAGMA…): prepared once per connection.
    auto stmt = cached_statement(sql);
    if (!stmt) return tl::unexpected(stmt.error());
    int rc = SQLITE_ROW;
    while (rc == SQLITE_ROW) rc = sqlite3_step(*stmt);
    if (rc != SQLITE_DONE) {
      auto error = sqlite_error(db_, "exec");
      sqlite3_reset(*stmt);
      return tl::unexpected(std::move(error));
    }
    sqlite3_reset(*stmt);
    return {};
  }
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db_, "exec"));
  }
  return {};
}

core::Result<std::string> Database::query_text(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return tl::unexpected(sqlite_error(db_, "prepare"));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "step"));
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  return text ? std::string(text) : std::string();
}

}  // namespace praxis::store::sqlite
