#include "support/pg_schema.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#include "store/postgres/connection.hpp"

namespace praxis::test {

std::string pg_dsn(bool owner) {
  const char* variable = owner ? "PRAXIS_TEST_PG_OWNER_DSN" : "PRAXIS_TEST_PG_DSN";
  if (const char* env = std::getenv(variable); env && *env) return env;  // NOLINT
  std::ifstream in(std::string(PRAXIS_PG_STATE_DIR) + (owner ? "/owner_dsn" : "/dsn"));
  std::string dsn;
  std::getline(in, dsn);
  if (dsn.empty()) {
    throw std::runtime_error(std::string("no PostgreSQL for the pg suite: set ") + variable +
                             " or run it through ctest (fixture pg_server)");
  }
  return dsn;
}

std::string in_schema(const std::string& dsn, const std::string& schema) {
  return dsn + " options='-csearch_path=" + schema + "'";
}

bool postgres_requested() {
  const char* backend = std::getenv("PRAXIS_TEST_BACKEND");  // NOLINT
  return backend != nullptr && std::string_view(backend) == "postgres";
}

PgSchema::PgSchema(std::string_view prefix) {
  std::random_device rd;
  name_ = std::string(prefix) + "_" + std::to_string(rd()) + std::to_string(rd());
  auto owner = store::postgres::PgConnection::connect(pg_dsn(true));
  if (!owner) throw std::runtime_error(owner.error().internal);
  if (auto r = owner->exec("CREATE SCHEMA " + name_); !r) {
    throw std::runtime_error(r.error().internal);
  }
}

PgSchema::~PgSchema() {
  if (auto owner = store::postgres::PgConnection::connect(pg_dsn(true))) {
    (void)owner->exec("DROP SCHEMA " + name_ + " CASCADE");
  }
}

}  // namespace praxis::test
