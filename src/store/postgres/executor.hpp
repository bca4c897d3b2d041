#pragma once
// sql::Executor over one PostgreSQL connection.

#include "store/postgres/connection.hpp"
#include "store/sql/executor.hpp"

namespace praxis::store::postgres {

class PgExecutor final : public sql::Executor {
 public:
  explicit PgExecutor(PgConnection& c) : c_(c) {}
  core::Result<sql::Rows> run_params(std::string_view sql,
                                     std::span<const sql::Param> params) override;

 private:
  PgConnection& c_;
};

}  // namespace praxis::store::postgres
