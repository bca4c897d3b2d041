#pragma once
// The PostgreSQL store (issue #13) for hosted, multi-practice installations: a pool of
// libpq connections; each write job runs in its own transaction (PostgreSQL does its
// own group commit), each read in a REPEATABLE READ, READ ONLY snapshot.
// Migrations (src/store/migrations/postgres/) are applied at open under an advisory
// lock, in one transaction, with checksums. Thread-safe.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace praxis::store::postgres {

struct PgOptions {
  // The role praxis works as: no superuser, no BYPASSRLS, owns none of the tables, so
  // row-level security binds it (open() refuses anything else).
  std::string dsn;
  int connections = 4;
  // The role that owns the schema: it applies the migrations and grants `dsn`'s role
  // what it needs (no UPDATE or DELETE on the audit entries). Empty: migrations run
  // through `dsn`, which then owns the tables and is refused.
  std::string owner_dsn;
};

class PgStore final : public Store {
 public:
  // Refuses a DSN that would cross a network without verified TLS.
  [[nodiscard]] static core::Result<std::unique_ptr<PgStore>> open(const PgOptions& options);
  ~PgStore() override;

  core::Result<std::unique_ptr<Transaction>> read() override;
  using Store::write;
  // Durability::written commits with synchronous_commit off (unless the job raised it).
  core::Result<void> write(const WriteJob& job, Durability durability) override;
  core::Result<void> ping() override;

  // Runs `fn` on a raw connection inside a transaction of this store (server-wide, or
  // scoped to `practice` when it is not empty): for checks that must bypass the ports,
  // such as the row-level-security tests, and for bulk copies.
  [[nodiscard]] core::Result<void> with_connection(
      TxMode mode, std::string_view practice,
      const std::function<core::Result<void>(PgConnection&)>& fn);

 private:
  explicit PgStore(PgOptions options) : options_(std::move(options)) {}
  core::Result<std::unique_ptr<PgConnection>> acquire();
  // A pooled connection with a begun transaction on it; the connection returns to the
  // pool when the transaction ends. read(), write() and with_connection() start here.
  core::Result<std::unique_ptr<Transaction>> begin(TxMode mode);
  void release(std::unique_ptr<PgConnection> conn);

  PgOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
};

}  // namespace praxis::store::postgres
