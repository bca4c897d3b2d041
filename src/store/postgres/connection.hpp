#pragma once
// A thin RAII wrapper over one libpq connection. Parameters always travel separately
// from the SQL text (PQexecParams); byte strings are sent in binary format.
// Not thread-safe: one thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "store/sql/executor.hpp"

struct pg_conn;
struct pg_result;

namespace praxis::store::postgres {

// One query parameter: text, integer, bytes, or NULL.
using PgParam = sql::Param;

class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  ~PgResult();

  int rows() const;
  int columns() const;
  bool is_bytea(int column) const;
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  std::vector<std::uint8_t> bytes(int row, int column) const;  // bytea in text (hex) format
  // Number of rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;

 private:
  pg_result* result_;
};

class PgConnection {
 public:
  [[nodiscard]] static core::Result<PgConnection> connect(const std::string& dsn);
  PgConnection(PgConnection&& other) noexcept
      : conn_(other.conn_),
        prepared_(std::move(other.prepared_)),
        deferred_(std::move(other.deferred_)),
        round_trips_(other.round_trips_) {
    other.conn_ = nullptr;
  }
  PgConnection& operator=(PgConnection&&) = delete;
  ~PgConnection();

  [[nodiscard]] core::Result<PgResult> query(std::string_view sql,
                                             const std::vector<PgParam>& params = {});
  [[nodiscard]] core::Result<void> exec(std::string_view sql);
  // Several statements at once (simple query protocol, no parameters): migrations.
  [[nodiscard]] core::Result<void> exec_script(std::string_view sql);
  bool healthy() const;
  // `name` quoted as an SQL identifier (for statements that cannot take parameters,
  // such as GRANT).
  [[nodiscard]] core::Result<std::string> quote_identifier(std::string_view name);
  [[nodiscard]] core::Result<std::string> quote_literal(std::string_view value);

  // A script (a transaction's BEGIN) held back until the connection is next used: sent
  // before the next statement, or in front of the next script in the same round trip.
  void defer(std::string script) { deferred_ = std::move(script); }
  bool has_deferred() const { return !deferred_.empty(); }
  // Forgets the deferred script without sending it.
  void drop_deferred() { deferred_.clear(); }
  // Requests sent and answered so far (tests count what a transaction costs).
  std::uint64_t round_trips() const { return round_trips_; }

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  // The name of `sql` prepared on this connection (prepared on first use), or empty
  // when the cache is full (one-off statements then run unprepared).
  core::Result<std::string> prepared(const std::string& sql, int params);
  // A lost connection is unavailable and transient; anything else by its SQLSTATE.
  core::Error lost_or_classified(const char* sqlstate, std::string internal) const;
  pg_conn* conn_;
  // Statements are parsed and planned once per connection (the ports use a fixed set).
  std::unordered_map<std::string, std::string> prepared_;
  std::string deferred_;
  std::uint64_t round_trips_ = 0;
};

// Maps a SQLSTATE to praxis errors: 40001/40P01 (serialization, deadlock) transient,
// class 23 (integrity, e.g. 23505 unique) conflict, classes 08/53/58 and 57P
// (connection, resources, system, shutdown) unavailable, everything else internal.
core::Error classify_sqlstate(std::string_view sqlstate, std::string internal);

// Refuses a DSN that would send data over a network without verified TLS: a host that
// is not loopback or a Unix socket needs sslmode=verify-full.
[[nodiscard]] core::Result<void> check_dsn_security(const std::string& dsn);

}  // namespace praxis::store::postgres
