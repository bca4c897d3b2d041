#include "support/pg_schema.hpp"

#include <cstdlib>
#include <filesystem>
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

namespace {

std::string first_line(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

PgServer::PgServer() : dir_((state_.path() / "pg").string()) {
  if (std::system(("PG_DURABLE=1 " + run("start")).c_str()) != 0) {
    throw std::runtime_error("could not start PostgreSQL (tests/support/pg_server.sh)");
  }
}

PgServer::~PgServer() {
  (void)std::system(run("stop").c_str());  // state_ is removed after this, stopped
}

std::string PgServer::run(const std::string& command) const {
  return std::string(PRAXIS_PG_SERVER_SCRIPT) + " " + command + " " + dir_;
}

std::string PgServer::dsn(bool owner) const {
  return first_line(dir_ + (owner ? "/owner_dsn" : "/dsn"));
}

void PgServer::use_for_tests() const {
  ::setenv("PRAXIS_TEST_PG_DSN", dsn().c_str(), 1);
  ::setenv("PRAXIS_TEST_PG_OWNER_DSN", dsn(true).c_str(), 1);
}

bool PgServer::crash_restart(int down_seconds) const {
  return std::system(
             ("PG_DOWN_SECONDS=" + std::to_string(down_seconds) + " " + run("crash-restart"))
                 .c_str()) == 0;
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
