#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

#include "store/migration.hpp"
#include "store/sqlite/executor.hpp"
#include "store/sqlite/migrate.hpp"
#include "store/sqlite/statement.hpp"
#include "support/temp_dir.hpp"

namespace praxis::store::sqlite {
namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(SqliteStore, CreatesPrivateWalDatabaseWithAllMigrations) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  auto store = SqliteStore::create(file, Synchronous::full);
  ASSERT_TRUE(store) << store.error().internal;
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_TRUE((*store)->ping());

  OpenOptions rw;
  auto db = Database::open(file, rw);
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*schema_version(*db), migrations().back().number);
  EXPECT_EQ(mode_of(dir.path() / "praxis.db-wal"), 0600u);
}

// The writer never checkpoints itself (its WAL hook wakes the checkpointer thread), so
// the pages written must reach the database file while the store stays open.
TEST(SqliteStore, TheCheckpointerCopiesTheWalBackWhileTheStoreRuns) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  auto store = SqliteStore::create(file, Synchronous::normal);
  ASSERT_TRUE(store) << store.error().internal;
  const auto before = std::filesystem::file_size(file);
  const std::string value(8000, 'x');  // two pages each
  for (int i = 0; i < 3 * kCheckpointPages / 2; ++i) {
    ASSERT_TRUE(with_transaction(**store, TxMode::read_write, [&](Transaction& tx) {
      return tx.meta().put("filler." + std::to_string(i), value);
    }));
  }
  bool grew = false;
  for (int i = 0; i < 200 && !grew; ++i) {
    grew = std::filesystem::file_size(file) > before + std::uintmax_t{4 * 1024 * 1024};
    if (!grew) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(grew) << "pages were copied into " << file << " while the store ran";
}

TEST(SqliteStore, CreateRefusesAnExistingFile) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  ASSERT_TRUE(SqliteStore::create(file, Synchronous::full));
  EXPECT_FALSE(SqliteStore::create(file, Synchronous::full));
}

TEST(SqliteStore, OpenRequiresAnExistingDatabase) {
  test::TempDir dir;
  auto r = SqliteStore::open(dir.path() / "missing.db", Synchronous::full);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not exist"), std::string::npos);
}

TEST(SqliteStore, MigrationsAreIdempotentAndRecorded) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  ASSERT_TRUE(SqliteStore::create(file, Synchronous::full));
  ASSERT_TRUE(SqliteStore::open(file, Synchronous::normal));
  auto db = Database::open(file, OpenOptions{});
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_text("SELECT count(*) FROM schema_migrations"),
            std::to_string(migrations().size()));
}

// A result through every accessor, materialised (run) and read in place (each_row): an
// integer keeps no text of its own, and still reads as its decimal text (and bytes).
TEST(SqliteStore, AResultReadsIntegersTextsBlobsAndNulls) {
  test::TempDir dir;
  OpenOptions create;
  create.mode = OpenMode::create;
  auto db = Database::open(dir.path() / "cells.db", create);
  ASSERT_TRUE(db);
  SqliteExecutor x(*db);
  const std::vector<std::uint8_t> blob{0x00, 0xff, 0x10};
  const std::string_view sql = "SELECT $1, $2, $3, NULL, -9223372036854775807 - 1";
  const std::vector<sql::Param> params{std::int64_t{-42}, std::string_view("Zwerge"),
                                       std::span<const std::uint8_t>(blob)};
  auto rows = x.run_params(sql, params);
  ASSERT_TRUE(rows) << rows.error().internal;
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->int64(0, 0), -42);
  EXPECT_EQ(rows->text(0, 0), "-42");
  EXPECT_EQ(rows->bytes(0, 0), (std::vector<std::uint8_t>{'-', '4', '2'}));
  EXPECT_EQ(rows->data(0, 0), std::nullopt);
  EXPECT_EQ(rows->text(0, 1), "Zwerge");
  EXPECT_EQ(rows->bytes(0, 2), blob);
  EXPECT_TRUE(rows->is_null(0, 3));
  EXPECT_EQ(rows->int64(0, 4), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(rows->text(0, 4), "-9223372036854775808");

  int seen = 0;
  auto each = x.each_row(sql, params, [&](const sql::RowView& row) -> core::Result<void> {
    ++seen;
    EXPECT_EQ(row.int64(0), -42);
    EXPECT_EQ(row.opt_int64(0), -42);
    EXPECT_EQ(row.text(0), "-42");
    EXPECT_EQ(row.text(1), "Zwerge");
    EXPECT_EQ(row.opt_text(1), "Zwerge");
    EXPECT_EQ(row.bytes(2), blob);
    EXPECT_EQ(row.opt_bytes(2), blob);
    EXPECT_TRUE(row.is_null(3));
    EXPECT_EQ(row.opt_text(3), std::nullopt);
    EXPECT_EQ(row.opt_int64(3), std::nullopt);
    EXPECT_EQ(row.opt_bytes(3), std::nullopt);
    EXPECT_EQ(row.int64(4), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(row.text(4), "-9223372036854775808");
    return {};
  });
  ASSERT_TRUE(each) << each.error().internal;
  EXPECT_EQ(seen, 1);

  // The first error of the callback ends the read and is the result.
  const std::string_view three = "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3";
  seen = 0;
  auto stopped = x.each_row(three, {}, [&](const sql::RowView& row) -> core::Result<void> {
    ++seen;
    if (row.int64(0) == 2) return core::fail(core::ErrorCode::conflict, "stop here");
    return {};
  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, core::ErrorCode::conflict);
  EXPECT_EQ(seen, 2);
  // The statement was reset: the same query runs again from its first row.
  std::vector<std::int64_t> all;
  ASSERT_TRUE(x.each_row(three, {}, [&](const sql::RowView& row) -> core::Result<void> {
    all.push_back(row.int64(0));
    return {};
  }));
  EXPECT_EQ(all, (std::vector<std::int64_t>{1, 2, 3}));
}

// The writer offers its core to waiting threads every writer_yield_every statements; the
// readers never do.
TEST(SqliteStore, TheWriterYieldsItsCoreEveryFewStatements) {
  test::TempDir dir;
  std::atomic<int> yields{0};
  SqliteOptions options{.file = dir.path() / "praxis.db"};
  options.writer_yield_every = 4;
  options.writer_yield = [&] { ++yields; };
  auto store = SqliteStore::create(options);
  ASSERT_TRUE(store) << store.error().internal;
  const int before = yields.load();
  ASSERT_TRUE(
      with_transaction(**store, TxMode::read_write, [](Transaction& tx) -> core::Result<void> {
        for (int i = 0; i < 20; ++i) {
          if (auto r = tx.meta().put("yield.test." + std::to_string(i), "x"); !r) return r;
        }
        return {};
      }));
  EXPECT_EQ(yields.load() - before, 5);  // 20 statements, whatever the count before
  ASSERT_TRUE(
      with_transaction(**store, TxMode::read_only, [](Transaction& tx) -> core::Result<void> {
        for (int i = 0; i < 20; ++i) {
          if (auto r = tx.meta().get("yield.test." + std::to_string(i)); !r || *r != "x") {
            return core::fail(core::ErrorCode::internal, "lost");
          }
        }
        return {};
      }));
  EXPECT_EQ(yields.load() - before, 5);

  // 0: never.
  test::TempDir other;
  SqliteOptions never{.file = other.path() / "praxis.db"};
  never.writer_yield_every = 0;
  never.writer_yield = [&] { ++yields; };
  const int now = yields.load();
  ASSERT_TRUE(SqliteStore::create(never));
  EXPECT_EQ(yields.load(), now);
}

TEST(SqliteStore, RefusesADatabaseNewerThanTheBinary) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  ASSERT_TRUE(SqliteStore::create(file, Synchronous::full));
  {
    auto db = Database::open(file, OpenOptions{});
    ASSERT_TRUE(db->exec(
        "INSERT INTO schema_migrations(number, name, checksum) VALUES (9999, 'future', 'x')"));
  }
  auto r = SqliteStore::open(file, Synchronous::full);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("newer"), std::string::npos);
}

TEST(SqliteStore, RefusesAnAppliedMigrationThatChanged) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  ASSERT_TRUE(SqliteStore::create(file, Synchronous::full));
  {
    auto db = Database::open(file, OpenOptions{});
    ASSERT_TRUE(
        db->exec("UPDATE schema_migrations SET checksum = '0000000000000000' WHERE number = 1"));
  }
  auto r = SqliteStore::open(file, Synchronous::full);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("changed after it was applied"), std::string::npos)
      << r.error().message;
}

// Migration 0016 notes, for the blind-index entries a database already has, where each
// entry's patient row lies (its rowid), so the searches of an upgraded practice read their
// pages by rowid too.
TEST(SqliteStore, AnUpgradeNotesWhereTheRowOfEachIndexEntrysPatientLies) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  {
    OpenOptions create;
    create.mode = OpenMode::create;
    auto db = Database::open(file, create);
    ASSERT_TRUE(db) << db.error().internal;
    ASSERT_TRUE(schema_version(*db));  // the table of applied migrations
    for (const auto& m : migrations()) {
      if (m.number >= 16) break;
      ASSERT_TRUE(db->exec(m.sql)) << m.name;
      auto insert = Statement::prepare(
          *db, "INSERT INTO schema_migrations(number, name, checksum) VALUES (?1, ?2, ?3)");
      ASSERT_TRUE(insert);
      insert->bind(1, std::int64_t{m.number}).bind(2, m.name).bind(3, migration_checksum(m.sql));
      ASSERT_TRUE(insert->run());
    }
    ASSERT_TRUE(db->exec(
        "INSERT INTO practices(id, slug, name, kind, street, postcode, city, state, created_at) "
        "VALUES ('p-1', 'eins', 'Praxis', 'arztpraxis', '', '', '', 'BE', "
        "'2026-12-06T10:00:00Z')"));
    // Rowids in another order than the ids, with a gap.
    for (const char* id : {"pc", "gone", "pa", "pb"}) {
      ASSERT_TRUE(db->exec(
          std::string("INSERT INTO patients(practice_id, id, status, key_id, key_version, "
                      "wrapping_key_id, sealed_key, record, created_at, updated_at) VALUES "
                      "('p-1', '") +
          id + "', 'active', 1, 1, 1, x'00', x'00', '2026-12-06', '2026-12-06')"));
    }
    ASSERT_TRUE(db->exec("DELETE FROM patients WHERE id = 'gone'"));
    ASSERT_TRUE(db->exec(
        "INSERT INTO patient_index(practice_id, kind, hash, patient_id) VALUES "
        "('p-1', 1, 10, 'pa'), ('p-1', 1, 10, 'pb'), ('p-1', 2, -3, 'pb'), ('p-1', 1, 10, 'pc'), "
        "('p-1', 3, 7, 'pc')"));
  }
  ASSERT_TRUE(SqliteStore::open(file, Synchronous::full));
  auto db = Database::open(file, OpenOptions{});
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_text("SELECT count(*) FROM patient_index i JOIN patients p ON p.rowid = "
                            "i.patient_row WHERE p.practice_id = i.practice_id AND p.id = "
                            "i.patient_id"),
            "5");
  EXPECT_EQ(*db->query_text("SELECT group_concat(patient_row, ',') FROM (SELECT patient_row "
                            "FROM patient_index WHERE kind = 1 ORDER BY patient_id)"),
            "3,4,1");
}

// A patient whose index entries disagree on where its row lies (the table was rebuilt
// since some were written, then the record edited) is still one match of a rank found by
// several terms, and a page of `limit` is not cut short by it.
TEST(SqliteStore, APatientWhoseEntriesDisagreeOnItsPlaceIsMatchedOnce) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  auto store = SqliteStore::create(file, Synchronous::full);
  ASSERT_TRUE(store);
  const std::vector<IndexTerm> terms = {{1, 100}, {2, 200}};
  ASSERT_TRUE(with_transaction(**store, TxMode::read_write, [&](Transaction& tx) {
    PracticeRow practice{"p-1", "eins", "Praxis",     "arztpraxis", "",
                         "",    "",     std::nullopt, "BE",         "2026-12-06T10:00:00Z"};
    if (auto r = tx.practices().insert(practice); !r) return r;
    for (const char* id : {"pa", "pb", "pc", "pd"}) {
      PatientRow p;
      p.id = id;
      p.practice_id = "p-1";
      p.status = "active";
      p.sealed_key = {1};
      p.record = {2};
      p.created_at = p.updated_at = "2026-12-06T10:00:00Z";
      if (auto r = tx.patients().insert(p, terms); !r) return r;
    }
    return core::Result<void>{};
  }));
  {
    auto db = Database::open(file, OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("UPDATE patient_index SET patient_row = patient_row + 1000 WHERE "
                 "kind = 2 AND patient_id IN ('pb', 'pc')"));
  }
  for (std::int64_t limit : {1, 2, 3, 4, 5}) {
    std::vector<std::string> seen;
    std::string after;
    for (int page = 0; page < 10; ++page) {
      std::vector<IndexMatch> got;
      ASSERT_TRUE(with_transaction(**store, TxMode::read_only, [&](Transaction& tx) {
        auto r = tx.patients().next_matches("p-1", terms, {}, after, limit);
        if (!r) return core::Result<void>(tl::unexpected(r.error()));
        got = *r;
        return core::Result<void>{};
      }));
      ASSERT_LE(static_cast<std::int64_t>(got.size()), limit);
      if (got.empty()) break;
      if (seen.size() + static_cast<std::size_t>(limit) <= 4) {
        EXPECT_EQ(static_cast<std::int64_t>(got.size()), limit) << "a full page, after " << after;
      }
      for (const auto& m : got) seen.push_back(m.patient_id);
      after = got.back().patient_id;
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"pa", "pb", "pc", "pd"})) << "limit " << limit;
  }
}

TEST(SqliteStore, MigrationsRecordChecksums) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  ASSERT_TRUE(SqliteStore::create(file, Synchronous::full));
  auto db = Database::open(file, OpenOptions{});
  for (const auto& m : migrations()) {
    EXPECT_EQ(*db->query_text("SELECT checksum FROM schema_migrations WHERE number = " +
                              std::to_string(m.number)),
              migration_checksum(m.sql));
  }
  EXPECT_EQ(*pending_migrations(*db), 0);
}

TEST(SqliteStore, PingFailsWhenTheFileIsDeletedOrReplaced) {
  test::TempDir dir;
  const auto file = dir.path() / "praxis.db";
  auto store = SqliteStore::create(file, Synchronous::full);
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->ping());
  std::filesystem::remove(file);  // what a wiper does
  EXPECT_FALSE((*store)->ping());
  ASSERT_TRUE(SqliteStore::create(file, Synchronous::full));  // ... and a fresh empty one
  auto r = (*store)->ping();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::unavailable);
}

// FULL durability is pipelined: a full write is answered only after a WAL sync that
// began after its COMMIT (its row is visible meanwhile); a written one needs no sync.
TEST(SqliteStore, AFullWriteWaitsForTheWalSyncAWrittenOneDoesNot) {
  test::TempDir dir;
  std::mutex mutex;
  std::condition_variable cv;
  bool gate_open = false;
  int syncs_started = 0;
  SqliteOptions options;
  options.file = dir.path() / "praxis.db";
  options.before_sync = [&]() -> core::Result<void> {
    std::unique_lock lock(mutex);
    ++syncs_started;
    cv.notify_all();
    cv.wait(lock, [&] { return gate_open; });
    return {};
  };
  auto created = SqliteStore::create(options);
  ASSERT_TRUE(created) << created.error().internal;
  auto& store = **created;
  auto put = [&](std::string key, Durability durability) {
    return store.write(
        [key](Transaction& tx) -> core::Result<void> {
          if (auto r = tx.meta().put(key, "v"); !r) return r;
          return tx.commit();
        },
        durability);
  };
  const auto synced_at_start = store.stats().synced_commits;
  EXPECT_TRUE(put("written", Durability::written));
  EXPECT_EQ(store.stats().synced_commits, synced_at_start) << "a written job needs no sync";
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(syncs_started, 0);
  }
  auto full = std::async(std::launch::async, [&] { return put("full", Durability::full); });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return syncs_started > 0; }));
  }
  // The sync is held: the full write is committed (and visible) but not answered.
  EXPECT_EQ(full.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  {
    auto tx = store.read();
    ASSERT_TRUE(tx);
    EXPECT_EQ((*tx)->meta().get("full").value_or(std::nullopt), "v");
  }
  const auto synced_before = store.stats().synced_commits;
  {
    std::lock_guard lock(mutex);
    gate_open = true;
  }
  cv.notify_all();
  ASSERT_EQ(full.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(full.get());
  EXPECT_EQ(store.stats().synced_commits, synced_before + 1);
}

// The writer runs a group's jobs straight in its transaction; when one fails, the group
// is rolled back and run again with each job in its savepoint: the failing job's writes
// are gone, every other job of the group commits, and the next group is isolated too.
TEST(SqliteStore, AJobThatFailsInAGroupRollsBackAloneAfterTheGroupRunsAgain) {
  test::TempDir dir;
  auto created = SqliteStore::create(SqliteOptions{.file = dir.path() / "praxis.db"});
  ASSERT_TRUE(created) << created.error().internal;
  SqliteStore& store = **created;
  auto put = [&store](std::string key, bool fail) {
    return std::async(std::launch::async, [&store, key, fail] {
      return store.write([&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.meta().put(key, "v"); !r) return r;
        if (fail) return core::fail(core::ErrorCode::conflict, "fails after its write");
        return tx.commit();
      });
    });
  };
  // A job that holds the writer until the others queued behind it.
  std::promise<void> running;
  std::promise<void> gate;
  auto blocker = std::async(std::launch::async, [&] {
    return store.write([&](Transaction& tx) -> core::Result<void> {
      running.set_value();
      gate.get_future().wait();
      return tx.commit();
    });
  });
  running.get_future().wait();
  const auto reruns_before = store.stats().isolated_reruns;
  std::vector<std::future<core::Result<void>>> jobs;
  for (int i = 0; i < 5; ++i) {
    jobs.push_back(put("job" + std::to_string(i), i == 1 || i == 3));
    while (store.stats().queued < static_cast<std::size_t>(i + 1)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  gate.set_value();
  EXPECT_TRUE(blocker.get());
  for (int i = 0; i < 5; ++i) {
    auto r = jobs[static_cast<std::size_t>(i)].get();
    EXPECT_EQ(r.has_value(), i != 1 && i != 3) << "job" << i;
  }
  EXPECT_GE(store.stats().largest_group, 5u) << "the five queued jobs ran as one group";
  EXPECT_EQ(store.stats().isolated_reruns, reruns_before + 1);
  auto tx = store.read();
  ASSERT_TRUE(tx);
  for (int i = 0; i < 5; ++i) {
    const auto key = "job" + std::to_string(i);
    const auto value = (*tx)->meta().get(key);
    ASSERT_TRUE(value);
    EXPECT_EQ(value->has_value(), i != 1 && i != 3) << key;
  }
  tx->reset();
  // After a failure the next group starts isolated: its failing job needs no rerun.
  auto failing = put("alone", true).get();
  EXPECT_FALSE(failing);
  EXPECT_EQ(store.stats().isolated_reruns, reruns_before + 1);
  // A group without failures runs straight again, and a failure then reruns it.
  ASSERT_TRUE(put("fine", false).get());
  EXPECT_FALSE(put("after", true).get());
  EXPECT_EQ(store.stats().isolated_reruns, reruns_before + 2);
}

// A WAL sync that fails stops the store: the waiting job learns its outcome is unknown,
// and no later write is accepted (an fsync error may have dropped written pages).
TEST(SqliteStore, AFailedWalSyncStopsFurtherWrites) {
  test::TempDir dir;
  bool break_next = false;
  SqliteOptions options;
  options.file = dir.path() / "praxis.db";
  options.before_sync = [&]() -> core::Result<void> {
    if (!break_next) return {};
    return core::fail(core::ErrorCode::unavailable, "storage unavailable", "WAL sync: EIO");
  };
  auto created = SqliteStore::create(options);
  ASSERT_TRUE(created) << created.error().internal;
  auto& store = **created;
  auto put = [&](std::string key) {
    return with_transaction(store, TxMode::read_write,
                            [key](Transaction& tx) { return tx.meta().put(key, "v"); });
  };
  ASSERT_TRUE(put("before"));
  break_next = true;
  auto failed = put("during");
  break_next = false;
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, core::ErrorCode::unavailable);
  auto later = put("after");
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, core::ErrorCode::unavailable);
  EXPECT_FALSE(store.ping());
}

}  // namespace
}  // namespace praxis::store::sqlite
