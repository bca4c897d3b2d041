#pragma once
// A prepared SQLite statement with typed binds and reads. Parameters are always
// bound, never spliced into SQL text (ASVS 5.3.4). Indexes are 1-based for binds,
// 0-based for columns, as in the C API. Not thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/sqlite/database.hpp"

struct sqlite3_stmt;

namespace praxis::store::sqlite {

class Statement {
 public:
  [[nodiscard]] static core::Result<Statement> prepare(Database& db, std::string_view sql);
  // A statement from the connection's cache: reset (not finalized) on destruction. Counts
  // as a statement run (Database::statement_ran).
  [[nodiscard]] static core::Result<Statement> cached(Database& db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::span<const std::uint8_t> blob);

  // true: a row is available; false: done.
  [[nodiscard]] core::Result<bool> step();
  // Runs to completion (for statements without rows).
  [[nodiscard]] core::Result<void> run();
  void reset();

  int column_count() const;
  std::int64_t column_int64(int column) const;
  bool column_is_null(int column) const;
  bool column_is_integer(int column) const;
  std::string column_text(int column) const;
  std::vector<std::uint8_t> column_blob(int column) const;
  // The value's bytes: text as is, blobs raw, integers as decimal text.
  std::string column_raw(int column) const;
  // The same in place: valid until the next step, reset or read of this column as
  // another type.
  std::string_view column_view(int column) const;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned) : db_(db), stmt_(stmt), owned_(owned) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool owned_;
};

}  // namespace praxis::store::sqlite
