#include "store/postgres/pg_store.hpp"

#include <functional>

#include "store/migration.hpp"
#include "store/postgres/executor.hpp"
#include "store/postgres/ports.hpp"
#include "store/sql/ports.hpp"

namespace praxis::store::postgres {

using core::ErrorCode;

namespace {

constexpr std::int64_t kMigrationLock = 0x70726178;  // "prax"

class PgTransaction final : public sql::PortsTransaction<PgExecutor> {
 public:
  PgTransaction(PgConnection& c, TxMode mode, std::function<void()> on_end)
      : PortsTransaction(c), c_(c), mode_(mode), meta_(c), keys_(c), on_end_(std::move(on_end)) {}
  ~PgTransaction() override {
    if (active_) (void)c_.exec("ROLLBACK");
    on_end_();
  }
  core::Result<void> begin() {
    auto r = c_.exec(mode_ == TxMode::read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                                                : "BEGIN ISOLATION LEVEL READ COMMITTED");
    active_ = r.has_value();
    return r;
  }
  TxMode mode() const override { return mode_; }
  MetaPort& meta() override { return meta_; }
  MasterWrappedKeyPort& master_wrapped_keys() override { return keys_; }
  core::Result<void> commit() override {
    if (committed_) return {};
    if (!active_) return core::fail(ErrorCode::internal, "transaction is no longer active");
    active_ = false;
    auto r = c_.exec("COMMIT");
    if (!r) return r;
    committed_ = true;
    return {};
  }
  bool committed() const { return committed_; }

 private:
  PgConnection& c_;
  TxMode mode_;
  bool active_ = false;
  bool committed_ = false;
  PgMetaPort meta_;
  PgMasterWrappedKeyPort keys_;
  std::function<void()> on_end_;
};

core::Result<void> migrate(PgConnection& c) {
  if (auto r = c.exec("BEGIN"); !r) return r;
  auto fail = [&c](core::Error e) -> core::Result<void> {
    (void)c.exec("ROLLBACK");
    return tl::unexpected(std::move(e));
  };
  if (auto r = c.query("SELECT pg_advisory_xact_lock($1)", {kMigrationLock}); !r)
    return fail(r.error());
  if (auto r = c.exec("CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, "
                      "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT "
                      "NULL DEFAULT now())");
      !r) {
    return fail(r.error());
  }
  auto rows = c.query("SELECT number, name, checksum FROM schema_migrations ORDER BY number");
  if (!rows) return fail(rows.error());
  std::vector<AppliedMigration> applied;
  applied.reserve(static_cast<std::size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    applied.push_back({static_cast<int>(rows->int64(i, 0)), rows->text(i, 1), rows->text(i, 2)});
  }
  if (auto r = check_applied(applied, migrations()); !r) return fail(r.error());
  const int current = applied.empty() ? 0 : applied.back().number;
  for (const auto& m : migrations()) {
    if (m.number <= current) continue;
    if (auto r = c.exec_script(m.sql); !r) {
      auto e = r.error();
      e.internal = "migration " + std::string(m.name) + ": " + e.internal;
      return fail(e);
    }
    auto r = c.query("INSERT INTO schema_migrations(number, name, checksum) VALUES ($1, $2, $3)",
                     {std::int64_t{m.number}, m.name, std::string_view(migration_checksum(m.sql))});
    if (!r) return fail(r.error());
  }
  return c.exec("COMMIT");
}

}  // namespace

core::Result<std::unique_ptr<PgStore>> PgStore::open(const PgOptions& options) {
  if (auto r = check_dsn_security(options.dsn); !r) return tl::unexpected(r.error());
  std::unique_ptr<PgStore> store(new PgStore(options));
  auto first = PgConnection::connect(options.dsn);
  if (!first) return tl::unexpected(first.error());
  if (auto r = migrate(*first); !r) return tl::unexpected(r.error());
  store->idle_.push_back(std::make_unique<PgConnection>(std::move(*first)));
  store->open_ = 1;
  return store;
}

PgStore::~PgStore() = default;

core::Result<std::unique_ptr<PgConnection>> PgStore::acquire() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return !idle_.empty() || open_ < options_.connections; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  ++open_;
  lock.unlock();
  auto conn = PgConnection::connect(options_.dsn);
  if (!conn) {
    std::lock_guard relock(mutex_);
    --open_;
    cv_.notify_one();
    return tl::unexpected(conn.error());
  }
  return std::make_unique<PgConnection>(std::move(*conn));
}

void PgStore::release(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mutex_);
  if (conn->healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // a broken connection is dropped; the next acquire opens a fresh one
  }
  cv_.notify_one();
}

core::Result<std::unique_ptr<Transaction>> PgStore::read() {
  auto conn = acquire();
  if (!conn) return tl::unexpected(conn.error());
  PgConnection& c = **conn;
  auto lease = std::make_shared<std::unique_ptr<PgConnection>>(std::move(*conn));
  auto tx = std::make_unique<PgTransaction>(c, TxMode::read_only,
                                            [this, lease] { release(std::move(*lease)); });
  if (auto r = tx->begin(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<Transaction>(std::move(tx));
}

core::Result<void> PgStore::write(const WriteJob& job) {
  auto conn = acquire();
  if (!conn) return tl::unexpected(conn.error());
  PgConnection& c = **conn;
  auto lease = std::make_shared<std::unique_ptr<PgConnection>>(std::move(*conn));
  PgTransaction tx(c, TxMode::read_write, [this, lease] { release(std::move(*lease)); });
  if (auto r = tx.begin(); !r) return r;
  core::Result<void> result;
  try {
    result = job(tx);
  } catch (const std::exception& e) {
    return core::fail(ErrorCode::internal, "internal error",
                      std::string("write job threw: ") + e.what());
  }
  if (result && !tx.committed()) {
    return core::fail(ErrorCode::internal, "internal error", "write job did not commit");
  }
  return result;
}

core::Result<void> PgStore::ping() {
  auto tx = read();
  if (!tx) return tl::unexpected(tx.error());
  auto r = (*tx)->meta().get("installation_id");
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace praxis::store::postgres
