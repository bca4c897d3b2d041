// Runs the conformance suite against PostgreSQL. Each test gets a fresh schema in the
// server the `pg_server` CTest fixture started (tests/support/pg_server.sh); the DSN
// comes from tests/support/pg_schema.hpp. No server is a failure, not a skip: `make test`
// always provides one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "backend.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_store.hpp"
#include "support/pg_schema.hpp"

namespace praxis::store::conformance {
namespace {

using test::in_schema;

class PostgresInstance final : public BackendInstance {
 public:
  PostgresInstance() : schema_("conformance") { open(); }
  ~PostgresInstance() override { store_.reset(); }
  Store& store() override { return *store_; }
  postgres::PgStore& pg() { return *store_; }
  const std::string& schema() const { return schema_.name(); }
  void reopen() override {
    store_.reset();
    open();
  }

 private:
  void open() {
    auto s = postgres::PgStore::open({schema_.dsn(), 4, schema_.owner_dsn()});
    if (!s) throw std::runtime_error(s.error().message + " " + s.error().internal);
    store_ = std::move(*s);
  }

  test::PgSchema schema_;
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

PracticeRow practice_row(const std::string& id) {
  PracticeRow practice;
  practice.id = id;
  practice.slug = "slug-" + id;
  practice.name = "Praxis";
  practice.kind = "arztpraxis";
  practice.state = "HB";
  practice.created_at = "2026-11-27T10:00:00Z";
  return practice;
}

// Row-level security (migration 0012): two practices with patients, users and index
// terms; then raw SQL through the adapter, without any practice condition.
class PostgresRowLevelSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_ = std::make_unique<PostgresInstance>();
    ASSERT_TRUE(with_transaction(
        instance_->store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
          for (const auto* id : {"p-1", "p-2"}) {
            if (auto r = tx.practices().insert(practice_row(id)); !r) return r;
          }
          const std::vector<IndexTerm> terms = {{1, 100}, {2, 7}};
          for (const auto& [id, practice] :
               {std::pair{"pa-1", "p-1"}, {"pa-2", "p-1"}, {"pa-3", "p-2"}}) {
            if (auto r = tx.patients().insert(patient(id, practice), terms); !r) {
              return r;
            }
          }
          return {};
        }));
  }

  static PatientRow patient(std::string id, std::string practice) {
    PatientRow p;
    p.id = std::move(id);
    p.practice_id = std::move(practice);
    p.status = "active";
    p.sealed_key = std::vector<std::uint8_t>(72, 1);
    p.record = std::vector<std::uint8_t>(100, 2);
    p.created_at = "2026-11-28T09:00:00Z";
    p.updated_at = p.created_at;
    return p;
  }

  // The first column of the first row of `sql`, run in a transaction scoped to
  // `practice` ("" = server-wide).
  core::Result<std::string> scalar(std::string_view practice, const std::string& sql,
                                   TxMode mode = TxMode::read_only) {
    std::string out;
    auto r = instance_->pg().with_connection(
        mode, practice, [&](postgres::PgConnection& c) -> core::Result<void> {
          auto rows = c.query(sql);
          if (!rows) return tl::unexpected(rows.error());
          out = rows->rows() > 0 ? rows->text(0, 0) : std::string();
          return {};
        });
    if (!r) return tl::unexpected(r.error());
    return out;
  }

  std::unique_ptr<PostgresInstance> instance_;
};

TEST_F(PostgresRowLevelSecurity, AQueryWithoutPracticeFilterSeesOnlyTheScopedPractice) {
  EXPECT_EQ(scalar("p-1", "SELECT count(*) FROM patients").value_or("?"), "2");
  EXPECT_EQ(scalar("p-2", "SELECT count(*) FROM patients").value_or("?"), "1");
  EXPECT_EQ(scalar("p-2", "SELECT string_agg(id, ',') FROM patients").value_or("?"), "pa-3");
  EXPECT_EQ(scalar("p-1", "SELECT count(*) FROM patient_index").value_or("?"), "4");
  EXPECT_EQ(scalar("p-1", "SELECT string_agg(id, ',') FROM practices").value_or("?"), "p-1");
  // Server-wide transactions (sign-in by e-mail, the notification sender) see all.
  EXPECT_EQ(scalar("", "SELECT count(*) FROM patients").value_or("?"), "3");
}

TEST_F(PostgresRowLevelSecurity, AScopedTransactionCannotChangeAnotherPracticesRows) {
  // Invisible rows are not updated or deleted...
  EXPECT_EQ(scalar("p-1",
                   "WITH changed AS (UPDATE patients SET status = 'deleted' RETURNING id) "
                   "SELECT string_agg(id, ',' ORDER BY id) FROM changed",
                   TxMode::read_write)
                .value_or("?"),
            "pa-1,pa-2");
  EXPECT_EQ(scalar("p-1",
                   "WITH gone AS (DELETE FROM patient_index RETURNING 1) "
                   "SELECT count(*) FROM gone",
                   TxMode::read_write)
                .value_or("?"),
            "4");
  EXPECT_EQ(scalar("", "SELECT status FROM patients WHERE id = 'pa-3'").value_or("?"), "active");
  // ...and rows of another practice cannot be written (WITH CHECK).
  auto foreign = scalar("p-1",
                        "INSERT INTO patient_index(practice_id, kind, hash, patient_id) "
                        "VALUES ('p-2', 1, 5, 'pa-3') RETURNING 1",
                        TxMode::read_write);
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().internal.find("row-level security"), std::string::npos)
      << foreign.error().internal;
}

TEST_F(PostgresRowLevelSecurity, AConnectionOutsideTheAdapterSeesNothing) {
  // The working role, connected directly (no praxis.practice set): no rows at all.
  auto c = postgres::PgConnection::connect(in_schema(test::pg_dsn(), instance_->schema()));
  ASSERT_TRUE(c) << c.error().internal;
  auto rows = c->query("SELECT count(*) FROM patients");
  ASSERT_TRUE(rows) << rows.error().internal;
  EXPECT_EQ(rows->text(0, 0), "0");
  // The audit entries and their index of lists are append-only for it even server-wide:
  // no UPDATE or DELETE grant.
  for (const char* sql : {"BEGIN; SET LOCAL praxis.practice = '*'; UPDATE audit_entries SET "
                          "outcome = 'x'; COMMIT",
                          "BEGIN; SET LOCAL praxis.practice = '*'; DELETE FROM audit_entries; "
                          "COMMIT",
                          "BEGIN; SET LOCAL praxis.practice = '*'; DELETE FROM audit_subjects; "
                          "COMMIT",
                          "BEGIN; SET LOCAL praxis.practice = '*'; UPDATE audit_subjects SET "
                          "seq = 0; COMMIT",
                          "BEGIN; SET LOCAL praxis.practice = '*'; DELETE FROM "
                          "audit_subject_filters; COMMIT",
                          "BEGIN; SET LOCAL praxis.practice = '*'; UPDATE audit_subject_filters "
                          "SET names = '\\x00000001'; COMMIT",
                          "BEGIN; SET LOCAL praxis.practice = '*'; DELETE FROM "
                          "audit_subjects_until; COMMIT",
                          "BEGIN; SET LOCAL praxis.practice = '*'; UPDATE audit_subjects_until "
                          "SET seq = 0; COMMIT"}) {
    auto r = c->exec_script(sql);
    ASSERT_FALSE(r) << sql;
    EXPECT_NE(r.error().internal.find("permission denied"), std::string::npos)
        << r.error().internal;
    (void)c->exec("ROLLBACK");
  }
}

TEST_F(PostgresRowLevelSecurity, BeginAndScopeTravelWithTheFirstStatement) {
  // Round trips of whole transactions on one pooled connection (the pool hands back the
  // connection used last): a scoped one with one prepared statement costs three — the
  // BEGIN and the practice setting together, the statement, the COMMIT.
  postgres::PgConnection* used = nullptr;
  std::uint64_t sent_before_first_statement = 0;
  std::uint64_t last = 0;  // the connection's count when the previous transaction ended
  auto run = [&](std::string_view practice, bool query) {
    auto r = instance_->pg().with_connection(
        TxMode::read_only, practice, [&](postgres::PgConnection& c) -> core::Result<void> {
          EXPECT_TRUE(used == nullptr || used == &c) << "the same pooled connection";
          sent_before_first_statement = c.round_trips() - last;
          used = &c;
          if (!query) return {};
          auto rows = c.query("SELECT count(*) FROM patients");
          if (!rows) return tl::unexpected(rows.error());
          EXPECT_EQ(rows->text(0, 0), practice == "p-1" ? "2" : "3");
          return {};
        });
    EXPECT_TRUE(r) << (r ? "" : r.error().internal);
    last = used ? used->round_trips() : 0;
  };
  run("p-1", true);  // prepares the statement on the connection
  auto cost = [&](std::string_view practice, bool query) {
    const std::uint64_t before = used->round_trips();
    run(practice, query);
    EXPECT_EQ(sent_before_first_statement, 0u) << "BEGIN waits for the first statement";
    return used->round_trips() - before;
  };
  EXPECT_EQ(cost("p-1", true), 3u) << "BEGIN + SET LOCAL, the statement, COMMIT";
  EXPECT_EQ(cost("", true), 3u) << "server-wide: the same";
  EXPECT_EQ(cost("p-2", false), 0u) << "an empty transaction sends nothing";
}

TEST_F(PostgresRowLevelSecurity, EveryTableWithAPracticeColumnHasItsPolicyForced) {
  auto c = postgres::PgConnection::connect(in_schema(test::pg_dsn(), instance_->schema()));
  ASSERT_TRUE(c) << c.error().internal;
  auto rows = c->query(
      "SELECT t.relname, t.relrowsecurity::int, t.relforcerowsecurity::int, "
      "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = t.oid) "
      "FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'practice_id' "
      "WHERE n.nspname = '" +
      instance_->schema() + "' AND t.relkind = 'r' ORDER BY t.relname");
  ASSERT_TRUE(rows) << rows.error().internal;
  ASSERT_GT(rows->rows(), 20);
  int subjects = 0;
  for (int i = 0; i < rows->rows(); ++i) {
    SCOPED_TRACE(rows->text(i, 0));
    for (const char* table : {"audit_subjects", "audit_subject_filters", "audit_subjects_until"})
      subjects += rows->text(i, 0) == table ? 1 : 0;
    EXPECT_EQ(rows->text(i, 1), "1") << "row-level security enabled";
    EXPECT_EQ(rows->text(i, 2), "1") << "and forced for the owner";
    EXPECT_EQ(rows->text(i, 3), "1") << "one policy";
  }
  EXPECT_EQ(subjects, 3);
}

TEST_F(PostgresRowLevelSecurity, OpenRefusesAWorkingRoleThatOwnsTheTables) {
  // The owner's DSN as the working role: it owns the tables, RLS would not bind it.
  auto owner = postgres::PgStore::open({in_schema(test::pg_dsn(true), instance_->schema()), 2, ""});
  ASSERT_FALSE(owner);
  EXPECT_NE(owner.error().message.find("owns the tables"), std::string::npos)
      << owner.error().message;
  // Both DSNs must point at the same schema.
  auto split = postgres::PgStore::open(
      {in_schema(test::pg_dsn(), "public"), 2, in_schema(test::pg_dsn(true), instance_->schema())});
  ASSERT_FALSE(split);
  EXPECT_NE(split.error().message.find("different schemas"), std::string::npos)
      << split.error().message;
}

// PostgreSQL crashes and comes back under a booking load (issue #13). The test runs its
// own durable server (fsync on), since a restart would disturb the other suites.
TEST(PostgresFailover, ACrashUnderBookingLoadLosesNoAcknowledgedBookingAndTheStoreRecovers) {
  const test::PgServer server;
  server.use_for_tests();
  const test::PgSchema schema("failover");
  auto opened = postgres::PgStore::open({schema.dsn(), 8, schema.owner_dsn()});
  ASSERT_TRUE(opened) << opened.error().message << " " << opened.error().internal;
  postgres::PgStore& store = **opened;
  ASSERT_TRUE(with_transaction(store, TxMode::read_write, [](Transaction& tx) {
    return tx.practices().insert(practice_row("p-1"));
  }));

  // Eight clients book 10-minute appointments at random 5-minute starts with three
  // practitioners, so many attempts collide.
  std::atomic<bool> running{true};
  std::atomic<bool> restarted{false};
  std::atomic<int> after_restart{0};
  std::atomic<int> unavailable{0};
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c) + 1);
      for (int n = 0; running; ++n) {
        AppointmentRow a;
        a.practice_id = "p-1";
        a.id = "a-" + std::to_string(c) + "-" + std::to_string(n);
        a.practitioner_id = "pr-" + std::to_string(rng() % 3);
        a.type_id = "t-1";
        a.starts_at = 1'800'000'000 + static_cast<std::int64_t>(rng() % 2000) * 300;
        a.ends_at = a.starts_at + 600;
        a.block_start = a.starts_at;
        a.block_end = a.ends_at;
        a.status = "booked";
        a.source = "online";
        a.created_at = "2026-11-28T10:00:00Z";
        a.updated_at = a.created_at;
        const bool late = restarted;
        auto r = with_practice_transaction(store, "p-1", TxMode::read_write, [&](Transaction& tx) {
          return tx.scheduling().insert_appointment(a);
        });
        std::lock_guard lock(mutex);
        if (r) {
          acknowledged.insert(a.id);
          if (late) ++after_restart;
        } else if (r.error().code == core::ErrorCode::unavailable) {
          ++unavailable;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else if (r.error().code != core::ErrorCode::conflict) {
          failures.push_back(r.error().internal);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto before = [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  }();
  EXPECT_TRUE(server.crash_restart());
  restarted = true;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  running = false;
  for (auto& t : clients) t.join();
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_GT(before, 0u) << "bookings went through before the crash";
  EXPECT_GT(unavailable.load(), 0) << "the crash happened under load";
  EXPECT_GT(after_restart.load(), 0) << "the same store books again after the restart";

  std::set<std::string> stored;
  std::string overlaps;
  ASSERT_TRUE(store.with_connection(
      TxMode::read_only, "p-1", [&](postgres::PgConnection& c) -> core::Result<void> {
        auto rows = c.query("SELECT id FROM appointments");
        if (!rows) return tl::unexpected(rows.error());
        for (int i = 0; i < rows->rows(); ++i) stored.insert(rows->text(i, 0));
        auto o = c.query(
            "SELECT count(*) FROM appointments a JOIN appointments b ON a.practitioner_id = "
            "b.practitioner_id AND a.id < b.id AND a.block_start < b.block_end AND "
            "b.block_start < a.block_end");
        if (!o) return tl::unexpected(o.error());
        overlaps = o->text(0, 0);
        return {};
      }));
  EXPECT_EQ(overlaps, "0");
  std::size_t lost = 0;
  for (const auto& id : acknowledged) lost += stored.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(lost, 0u) << "of " << acknowledged.size() << " acknowledged bookings";
}

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
