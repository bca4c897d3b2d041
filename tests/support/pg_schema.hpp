#pragma once
// PostgreSQL for tests: the server the `pg_server` CTest fixture started
// (tests/support/pg_server.sh), found through PRAXIS_TEST_PG_DSN /
// PRAXIS_TEST_PG_OWNER_DSN or the fixture's state files. No server is a failure, not a
// skip: `make test` always provides one.

#include <string>
#include <string_view>

#include "support/temp_dir.hpp"

namespace praxis::test {

// The working role's connection string (`owner` false) or the owning role's.
std::string pg_dsn(bool owner = false);

// `dsn` with its search_path set to `schema`.
std::string in_schema(const std::string& dsn, const std::string& schema);

// True when PRAXIS_TEST_BACKEND=postgres: suites that can run on either store (the
// integration tests) use PostgreSQL then (ctest label pg).
bool postgres_requested();

// A fresh schema, owned by the owning role, dropped with everything in it at scope exit.
class PgSchema {
 public:
  explicit PgSchema(std::string_view prefix);
  ~PgSchema();
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;

  const std::string& name() const { return name_; }
  std::string dsn() const { return in_schema(pg_dsn(), name_); }
  std::string owner_dsn() const { return in_schema(pg_dsn(true), name_); }

 private:
  std::string name_;
};

// A PostgreSQL server of the test's own, durable (fsync on), for tests that kill it:
// started by the constructor, stopped and removed at scope exit. use_for_tests() points
// pg_dsn() and PgSchema of this process at it.
class PgServer {
 public:
  PgServer();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  std::string dsn(bool owner = false) const;
  void use_for_tests() const;
  // Kills it without a shutdown checkpoint and starts it again `down_seconds` later on
  // the same port (crash recovery from the write-ahead log). True if it is back.
  bool crash_restart(int down_seconds = 1) const;

 private:
  std::string run(const std::string& command) const;
  TempDir state_;    // the cluster's directory lives in it
  std::string dir_;  // state_/pg
};

}  // namespace praxis::test
