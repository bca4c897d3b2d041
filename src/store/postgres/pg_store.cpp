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
    if (active_ && c_.has_deferred()) {
      c_.drop_deferred();  // never begun on the server: nothing to roll back
    } else if (active_) {
      (void)c_.exec("ROLLBACK");
    }
    on_end_();
  }
  // Every transaction starts server-wide (praxis.practice = '*', migration 0012). Its
  // BEGIN waits for the first statement and travels with it; a scope() before that
  // goes into the same round trip instead of one of its own.
  core::Result<void> begin() {
    c_.defer(begin_sql() + "'*'");
    active_ = true;
    return {};
  }
  core::Result<void> scope(std::string_view practice_id) override {
    const bool fresh = scoped_practice().empty();
    if (auto r = Transaction::scope(practice_id); !r) return r;
    if (!fresh) return {};
    if (practice_id.empty() || practice_id == "*") {
      return core::fail(ErrorCode::internal, "internal error", "scope: not a practice id");
    }
    if (c_.has_deferred()) {
      auto literal = c_.quote_literal(practice_id);
      if (!literal) return tl::unexpected(literal.error());
      c_.defer(begin_sql() + *literal);
      return {};
    }
    auto r = c_.query("SELECT set_config('praxis.practice', $1, true)", {practice_id});
    if (!r) return tl::unexpected(r.error());
    return {};
  }
  TxMode mode() const override { return mode_; }
  MetaPort& meta() override { return meta_; }
  MasterWrappedKeyPort& master_wrapped_keys() override { return keys_; }
  core::Result<void> commit() override {
    if (committed_) return {};
    if (!active_) return core::fail(ErrorCode::internal, "transaction is no longer active");
    active_ = false;
    if (c_.has_deferred()) {  // no statement ran: nothing was begun, nothing to commit
      c_.drop_deferred();
      committed_ = true;
      return {};
    }
    // A commit that needs only to reach the server does not wait for its WAL flush
    // (Durability::written); any later synchronous commit flushes it too.
    auto r = durability() == Durability::written && mode_ == TxMode::read_write
                 ? c_.exec_script("SET LOCAL synchronous_commit TO off; COMMIT")
                 : c_.exec("COMMIT");
    if (!r) {
      // A COMMIT that failed with the connection may have committed: never retried.
      auto e = r.error();
      e.transient = e.transient && mode_ == TxMode::read_only;
      return tl::unexpected(e);
    }
    committed_ = true;
    return {};
  }
  bool committed() const { return committed_; }
  PgConnection& connection() { return c_; }

 private:
  std::string begin_sql() const {
    return mode_ == TxMode::read_only
               ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL praxis.practice = "
               : "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL praxis.practice = ";
  }

  PgConnection& c_;
  TxMode mode_;
  bool active_ = false;
  bool committed_ = false;
  PgMetaPort meta_;
  PgMasterWrappedKeyPort keys_;
  std::function<void()> on_end_;
};

core::Result<void> migrate(PgConnection& c) {
  // Data migrations see every practice's rows (row-level security, 0012).
  if (auto r = c.exec_script("BEGIN; SET LOCAL praxis.practice = '*'"); !r) return r;
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

core::Result<std::string> single_text(PgConnection& c, std::string_view sql) {
  auto r = c.query(sql);
  if (!r) return tl::unexpected(r.error());
  if (r->rows() != 1) return core::fail(ErrorCode::internal, "database error", "expected one row");
  return r->text(0, 0);
}

// What the working role may do in the schema the owner migrated: read and write the
// tables, but never rewrite the audit entries or the migration history.
core::Result<void> grant(PgConnection& owner, const std::string& schema, const std::string& role) {
  auto s = owner.quote_identifier(schema);
  auto r = owner.quote_identifier(role);
  if (!s || !r) return tl::unexpected(s ? r.error() : s.error());
  return owner.exec_script(
      "GRANT USAGE ON SCHEMA " + *s + " TO " + *r + "; GRANT SELECT, INSERT, UPDATE, DELETE ON " +
      "ALL TABLES IN SCHEMA " + *s + " TO " + *r + "; REVOKE UPDATE, DELETE ON " + *s +
      ".audit_entries FROM " + *r + "; REVOKE INSERT, UPDATE, DELETE ON " + *s +
      ".schema_migrations FROM " + *r + "; REVOKE UPDATE, DELETE ON " + *s + ".audit_subjects, " +
      *s + ".audit_subject_filters, " + *s + ".audit_subjects_until FROM " + *r +
      "; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + *s + " TO " + *r);
}

// Row-level security binds only a role that is no superuser, has no BYPASSRLS and owns
// none of the tables: anything else is an insecure set-up, refused at start.
core::Result<void> check_working_role(PgConnection& c) {
  auto r = c.query(
      "SELECT current_user, r.rolsuper::int, r.rolbypassrls::int, "
      "(SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
      " WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') "
      " AND t.relowner = r.oid) "
      "FROM pg_roles r WHERE r.rolname = current_user");
  if (!r) return tl::unexpected(r.error());
  if (r->rows() != 1) return core::fail(ErrorCode::internal, "database error", "no role row");
  const std::string role = r->text(0, 0);
  auto refuse = [&role](const std::string& why) {
    return core::fail(ErrorCode::internal,
                      "PostgreSQL: praxis connects as role " + role + ", which " + why +
                          "; row-level security would not bind it. Connect postgres_dsn as a "
                          "role without these rights and let postgres_owner_dsn own the schema "
                          "(docs/operations.md)");
  };
  if (r->int64(0, 1) != 0) return refuse("is a superuser");
  if (r->int64(0, 2) != 0) return refuse("has BYPASSRLS");
  if (r->int64(0, 3) != 0) return refuse("owns the tables");
  return {};
}

}  // namespace

core::Result<std::unique_ptr<PgStore>> PgStore::open(const PgOptions& options) {
  if (auto r = check_dsn_security(options.dsn); !r) return tl::unexpected(r.error());
  if (!options.owner_dsn.empty()) {
    if (auto r = check_dsn_security(options.owner_dsn); !r) return tl::unexpected(r.error());
  }
  std::unique_ptr<PgStore> store(new PgStore(options));
  auto first = PgConnection::connect(options.dsn);
  if (!first) return tl::unexpected(first.error());
  if (options.owner_dsn.empty()) {
    if (auto r = migrate(*first); !r) return tl::unexpected(r.error());
  } else {
    auto owner = PgConnection::connect(options.owner_dsn);
    if (!owner) return tl::unexpected(owner.error());
    // Before the grant the working role cannot use the schema (current_schema() is NULL
    // for it), so the two are compared by their search paths.
    auto schema = single_text(*owner, "SELECT coalesce(current_schema(), '')");
    auto owner_path = single_text(*owner, "SELECT current_setting('search_path')");
    auto working_path = single_text(*first, "SELECT current_setting('search_path')");
    auto role = single_text(*first, "SELECT current_user");
    for (const auto* r : {&schema, &owner_path, &working_path, &role}) {
      if (!*r) return tl::unexpected(r->error());
    }
    if (*owner_path != *working_path || schema->empty()) {
      return core::fail(ErrorCode::internal,
                        "PostgreSQL: postgres_dsn and postgres_owner_dsn use different schemas "
                        "(search_path " +
                            *working_path + " and " + *owner_path + ")");
    }
    if (auto r = migrate(*owner); !r) return tl::unexpected(r.error());
    if (auto r = grant(*owner, *schema, *role); !r) return tl::unexpected(r.error());
  }
  if (auto r = check_working_role(*first); !r) return tl::unexpected(r.error());
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

core::Result<std::unique_ptr<Transaction>> PgStore::begin(TxMode mode) {
  auto conn = acquire();
  if (!conn) return tl::unexpected(conn.error());
  PgConnection& c = **conn;
  auto lease = std::make_shared<std::unique_ptr<PgConnection>>(std::move(*conn));
  auto tx = std::make_unique<PgTransaction>(c, mode, [this, lease] { release(std::move(*lease)); });
  if (auto r = tx->begin(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<Transaction>(std::move(tx));
}

core::Result<std::unique_ptr<Transaction>> PgStore::read() { return begin(TxMode::read_only); }

core::Result<void> PgStore::write(const WriteJob& job, Durability durability) {
  auto begun = begin(TxMode::read_write);
  if (!begun) return tl::unexpected(begun.error());
  auto& tx = static_cast<PgTransaction&>(**begun);
  tx.set_durability(durability);
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
  if (result) {
    for (auto& fn : tx.take_after_commit()) fn();
  }
  return result;
}

core::Result<void> PgStore::with_connection(
    TxMode mode, std::string_view practice,
    const std::function<core::Result<void>(PgConnection&)>& fn) {
  auto begun = begin(mode);
  if (!begun) return tl::unexpected(begun.error());
  auto& tx = static_cast<PgTransaction&>(**begun);
  if (!practice.empty()) {
    if (auto r = tx.scope(practice); !r) return r;
  }
  if (auto r = fn(tx.connection()); !r) return r;
  return tx.commit();
}

core::Result<void> PgStore::ping() {
  auto tx = read();
  if (!tx) return tl::unexpected(tx.error());
  auto r = (*tx)->meta().get("installation_id");
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace praxis::store::postgres
