#pragma once
// sql::Executor over one SQLite connection: $n placeholders become ?n, statements come
// from the connection's cache.

#include "store/sql/executor.hpp"
#include "store/sqlite/database.hpp"

namespace praxis::store::sqlite {

class SqliteExecutor final : public sql::Executor {
 public:
  explicit SqliteExecutor(Database& db) : db_(db) {}
  core::Result<sql::Rows> run_params(std::string_view sql,
                                     std::span<const sql::Param> params) override;

 private:
  Database& db_;
};

}  // namespace praxis::store::sqlite
