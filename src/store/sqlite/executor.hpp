#pragma once
// sql::Executor over one SQLite connection: $n placeholders become ?n, statements come
// from the connection's cache.

#include "store/sql/executor.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/statement.hpp"

namespace praxis::store::sqlite {

class SqliteExecutor final : public sql::Executor {
 public:
  explicit SqliteExecutor(Database& db) : db_(db) {}
  core::Result<sql::Rows> run_params(std::string_view sql,
                                     std::span<const sql::Param> params) override;
  // Each row read straight from the statement, no cell copied.
  core::Result<void> each_row(std::string_view sql, std::span<const sql::Param> params,
                              const RowFn& row) override;
  // One row per INSERT: a statement that inserts several rows may fail halfway, so SQLite
  // keeps the original of every page it changes in a statement journal (a temporary file
  // past 64 KiB; a patient's twenty blind-index entries land on twenty random pages). A
  // one-row INSERT checks its constraints before it changes anything and needs none, and
  // without a network between, the rows cost the same in separate statements.
  std::size_t rows_per_insert() const override { return 1; }
  bool has_rowids() const override { return true; }

 private:
  // The statement of `sql` from the connection's cache, its parameters bound.
  core::Result<Statement> bound(std::string_view sql, std::span<const sql::Param> params);
  Database& db_;
};

}  // namespace praxis::store::sqlite
