#pragma once
// sql::Executor over one SQLite connection: $n placeholders become ?n, statements come
// from the connection's cache.

#include "store/sql/executor.hpp"
#include "store/sqlite/database.hpp"

namespace praxis::store::sqlite {

class SqliteExecutor final : public sql::Executor {
 public:
  explicit SqliteExecutor(Database& db) : db_(db) {}
  core::Result<sql::Rows> run(std::string_view sql,
                              std::initializer_list<sql::Param> params = {}) override;

 private:
  Database& db_;
};

}  // namespace praxis::store::sqlite
