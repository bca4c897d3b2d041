// Runs the conformance suite against PostgreSQL. Each test gets a fresh schema in the
// server the `pg_server` CTest fixture started (tests/support/pg_server.sh); the DSN
// comes from PRAXIS_TEST_PG_DSN or the fixture's state file. No server is a failure,
// not a skip: `make test` always provides one.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "backend.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_store.hpp"

namespace praxis::store::conformance {
namespace {

std::string test_dsn() {
  if (const char* env = std::getenv("PRAXIS_TEST_PG_DSN"); env && *env) return env;  // NOLINT
  std::ifstream in(PRAXIS_PG_STATE_DIR "/dsn");
  std::string dsn;
  std::getline(in, dsn);
  if (dsn.empty()) {
    throw std::runtime_error(
        "no PostgreSQL for the pg suite: set PRAXIS_TEST_PG_DSN or run it "
        "through ctest (fixture pg_server)");
  }
  return dsn;
}

class PostgresInstance final : public BackendInstance {
 public:
  PostgresInstance() : base_dsn_(test_dsn()) {
    std::random_device rd;
    schema_ = "conformance_" + std::to_string(rd()) + std::to_string(rd());
    auto admin = postgres::PgConnection::connect(base_dsn_);
    if (!admin) throw std::runtime_error(admin.error().internal);
    if (auto r = admin->exec("CREATE SCHEMA " + schema_); !r)
      throw std::runtime_error(r.error().internal);
    open();
  }
  ~PostgresInstance() override {
    store_.reset();
    if (auto admin = postgres::PgConnection::connect(base_dsn_)) {
      (void)admin->exec("DROP SCHEMA " + schema_ + " CASCADE");
    }
  }
  Store& store() override { return *store_; }
  void reopen() override {
    store_.reset();
    open();
  }

 private:
  void open() {
    auto s = postgres::PgStore::open({base_dsn_ + " options='-csearch_path=" + schema_ + "'", 4});
    if (!s) throw std::runtime_error(s.error().message + " " + s.error().internal);
    store_ = std::move(*s);
  }

  std::string base_dsn_;
  std::string schema_;
  std::unique_ptr<postgres::PgStore> store_;
};

Backend postgres_backend() {
  return Backend{"postgres", [] { return std::make_unique<PostgresInstance>(); }};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ::testing::Values(postgres_backend()),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, WithTwoPractices, ::testing::Values(postgres_backend()),
                         backend_name);

TEST(PostgresDsn, RemoteHostsNeedVerifiedTls) {
  EXPECT_TRUE(postgres::check_dsn_security("host=127.0.0.1 dbname=x"));
  EXPECT_TRUE(postgres::check_dsn_security("host=/var/run/postgresql dbname=x"));
  EXPECT_TRUE(postgres::check_dsn_security("host=db.example.org sslmode=verify-full dbname=x"));
  auto r = postgres::check_dsn_security("host=db.example.org sslmode=require dbname=x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("verify-full"), std::string::npos);
  EXPECT_FALSE(postgres::check_dsn_security("hostaddr=10.0.0.5 dbname=x"));
  EXPECT_FALSE(postgres::check_dsn_security("this is = not a dsn '"));
}

TEST(PostgresErrors, SqlstatesMapToPraxisErrors) {
  EXPECT_TRUE(postgres::classify_sqlstate("40001", "").transient);
  EXPECT_TRUE(postgres::classify_sqlstate("40P01", "").transient);
  EXPECT_EQ(postgres::classify_sqlstate("23505", "").code, core::ErrorCode::conflict);
  EXPECT_EQ(postgres::classify_sqlstate("53100", "").code, core::ErrorCode::unavailable);
  EXPECT_EQ(postgres::classify_sqlstate("08006", "").code, core::ErrorCode::unavailable);
  EXPECT_EQ(postgres::classify_sqlstate("42601", "").code, core::ErrorCode::internal);
}

}  // namespace praxis::store::conformance
