// Backups end to end below the CLI (issue #9): create while the store is in use,
// verify, restore into a new data directory with a new master key; and every way a
// file can be wrong (a flipped bit, a cut, a wrong key, a stranger's signature).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "app/audit_admin.hpp"
#include "app/backup_admin.hpp"
#include "app/backup_scheduler.hpp"
#include "app/data_dir.hpp"
#include "app/installation.hpp"
#include "app/patient_admin.hpp"
#include "app/practice_admin.hpp"
#include "backup/schedule.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace praxis::app {
namespace {

namespace fs = std::filesystem;

// Values no synthetic patient has, to look for in the backup file.
constexpr std::string_view kFamily = "Quaxelbrunn";
constexpr std::string_view kEmail = "wiltrud.quaxelbrunn@example.org";
constexpr std::string_view kPhone = "15187654321";

std::vector<std::uint8_t> read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

bool contains(const std::vector<std::uint8_t>& hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// Every table's rows in a stable order, as text (blobs hex): what "identical" means.
std::map<std::string, std::vector<std::string>> dump(const fs::path& db_file,
                                                     const std::set<std::string>& skip) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::vector<std::string> tables;
  sqlite3_stmt* list = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name", -1,
                     &list, nullptr);
  while (sqlite3_step(list) == SQLITE_ROW) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
  }
  sqlite3_finalize(list);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& t : tables) {
    if (skip.contains(t)) continue;
    sqlite3_stmt* s = nullptr;
    const std::string sql = "SELECT * FROM \"" + t + "\"";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << t;
    auto& rows = out[t];
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(s, c));
        const int n = sqlite3_column_bytes(s, c);
        row += std::to_string(sqlite3_column_type(s, c)) + ":";
        for (int i = 0; i < n; ++i) {
          static constexpr char kHex[] = "0123456789abcdef";
          row += kHex[p[i] >> 4];
          row += kHex[p[i] & 15];
        }
        row += "|";
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    std::sort(rows.begin(), rows.end());
  }
  sqlite3_close(db);
  return out;
}

std::int64_t count_rows(const fs::path& db_file, const std::string& from_where) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  const std::string sql = "SELECT count(*) FROM " + from_where;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
  std::int64_t n = -1;
  if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

PassphraseSource no_passphrase() {
  return
      [] { return core::Result<std::string>(core::fail(core::ErrorCode::invalid_input, "none")); };
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = init_data_dir(dir);
    ASSERT_TRUE(init) << init.error().message;
    auto key = backup::parse_recovery_key(init->recovery_key);
    ASSERT_TRUE(key);
    recovery = std::make_unique<backup::RecoveryKey>(std::move(*key));
    practices::NewPractice p{"Praxis Sicherung", "sicherung",      "arztpraxis", "BE",
                             std::nullopt,       "Musterstraße 1", "10115",      "Berlin"};
    auto created = create_practice(dir, p, std::string("chefin@example.org"), no_passphrase());
    ASSERT_TRUE(created) << created.error().message;
    auto seeded = seed_demo(dir, created->practice.id, no_passphrase());
    ASSERT_TRUE(seeded) << seeded.error().message;
    const auto csv = tmp.path() / "import.csv";
    std::ofstream(csv) << "family_name;given_names;birth_date;phone_mobile;email\n"
                       << kFamily << ";Wiltrud;1961-04-05;0" << kPhone << ";" << kEmail << "\n";
    auto imported = import_patients(dir, "sicherung", csv, {}, no_passphrase(), {});
    ASSERT_TRUE(imported) << imported.error().message;
    ASSERT_EQ(imported->created, 1U);
  }

  core::Result<CreatedBackup> make_backup(const fs::path& to) {
    auto in = Installation::open(dir, &passphrase_);
    if (!in) return tl::unexpected(in.error());
    return create_backup(dir, (*in)->store(), (*in)->keys(), (*in)->trail(), to,
                         core::SystemClock().now());
  }

  test::TempDir tmp;
  DataDir dir{tmp.path() / "data"};
  std::unique_ptr<backup::RecoveryKey> recovery;
  PassphraseSource passphrase_ = no_passphrase();
};

TEST_F(BackupTest, RestoreGivesEveryRecordBackUnderANewMasterKeyAndTheAuditTrailVerifies) {
  const std::set<std::string> audit_tables = {"master_wrapped_keys", "audit_entries", "audit_nodes",
                                              "audit_heads", "audit_checkpoints"};
  const auto before = dump(dir.database(), audit_tables);
  const auto entries_before = dump(dir.database(), {})["audit_entries"];
  const auto keys_before = dump(dir.database(), {})["master_wrapped_keys"];
  auto made = make_backup(tmp.path() / "backups");
  ASSERT_TRUE(made) << made.error().message << made.error().internal;
  EXPECT_EQ(made->file.parent_path(), tmp.path() / "backups");
  EXPECT_TRUE(backup::parse_backup_file_name(made->file.filename().string()));
  // The practice's trail records the backup (after the snapshot, so not inside it).
  EXPECT_EQ(count_rows(dir.database(),
                       "audit_entries WHERE action = 'backup.create' AND "
                       "resource_id = '" +
                           made->file.filename().string() + "'"),
            1);

  // The wiper: the database files are gone.
  for (const auto* suffix : {"", "-wal", "-shm"}) fs::remove(dir.database().string() + suffix);

  const DataDir restored{tmp.path() / "restored"};
  auto report = restore_backup(made->file, *recovery, restored);
  ASSERT_TRUE(report) << report.error().message << report.error().internal;
  EXPECT_EQ(report->counts.practices, 1);
  EXPECT_EQ(report->counts.patients, 301);
  EXPECT_GT(report->counts.appointments, 0);
  EXPECT_GT(report->counts.audit_entries, 0);
  EXPECT_EQ(report->practices_verified, 1U);
  EXPECT_EQ(report->audit_entries_verified,
            static_cast<std::uint64_t>(report->counts.audit_entries));

  // Every row of every table is identical (ciphertexts included) ...
  EXPECT_EQ(dump(restored.database(), audit_tables), before);
  // ... the audit trail is the one of the snapshot, plus the restore itself ...
  const auto entries_after = dump(restored.database(), {})["audit_entries"];
  EXPECT_EQ(entries_after.size(), entries_before.size() + 1);
  EXPECT_TRUE(std::includes(entries_after.begin(), entries_after.end(), entries_before.begin(),
                            entries_before.end()));
  EXPECT_EQ(count_rows(restored.database(), "audit_entries WHERE action = 'backup.restore'"), 1);
  EXPECT_EQ(count_rows(restored.database(), "audit_entries WHERE action = 'backup.create'"), 0);
  // ... except the key wrappings: the same keys, sealed under a different master key.
  const auto keys_after = dump(restored.database(), {})["master_wrapped_keys"];
  ASSERT_EQ(keys_after.size(), keys_before.size());
  EXPECT_NE(keys_after, keys_before);
  EXPECT_NE(read_bytes(restored.master_key()), read_bytes(dir.master_key()));
  for (const auto* file : {"praxis.toml", "master.key", "praxis.db"}) {
    EXPECT_EQ(fs::status(restored.root / file).permissions() & fs::perms::group_all,
              fs::perms::none)
        << file;
  }
  // The restored installation reads its data with its own key: the import finds the
  // patient already present (decrypting every candidate), and audit verify passes.
  const auto csv = tmp.path() / "again.csv";
  std::ofstream(csv) << "family_name;given_names;birth_date\n"
                     << kFamily << ";Wiltrud;1961-04-05\n";
  auto again = import_patients(restored, "sicherung", csv, {}, no_passphrase(), {});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->already_present, 1U);
  auto audits = verify_audit(restored, no_passphrase());
  ASSERT_TRUE(audits);
  for (const auto& a : *audits) EXPECT_TRUE(a.result.ok) << a.result.problem;
  // The recovery key stays the installation's: the restored one backs up to it.
  auto in = Installation::open(restored, &passphrase_);
  ASSERT_TRUE(in);
  auto second = create_backup(restored, (*in)->store(), (*in)->keys(), (*in)->trail(),
                              tmp.path() / "b2", core::SystemClock().now());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(deep_verify_backup(second->file, *recovery));
}

TEST_F(BackupTest, TheFileRevealsNoPatientValueAndNoKey) {
  auto made = make_backup(tmp.path() / "backups");
  ASSERT_TRUE(made);
  const auto bytes = read_bytes(made->file);
  for (auto needle :
       {kFamily, kEmail, kPhone, std::string_view("Wiltrud"), std::string_view("Praxis Sicherung"),
        std::string_view("chefin@example.org"), std::string_view("SQLite format")}) {
    EXPECT_FALSE(contains(bytes, needle)) << needle;
  }
  // Nor the master key.
  const auto master = read_bytes(dir.master_key());
  EXPECT_EQ(std::search(bytes.begin(), bytes.end(), master.begin(), master.end()), bytes.end());
  EXPECT_EQ(fs::status(made->file).permissions() & fs::perms::group_all, fs::perms::none);
  // The plain database would have shown the practice name: the test can find things.
  EXPECT_TRUE(contains(read_bytes(dir.database()), "Praxis Sicherung"));
}

TEST_F(BackupTest, AFlippedBitAnywhereIsRefusedAndNothingIsRestored) {
  auto made = make_backup(tmp.path() / "backups");
  ASSERT_TRUE(made);
  const auto good = read_bytes(made->file);
  ASSERT_TRUE(backup::verify_backup(made->file));
  const std::size_t positions[] = {
      3, 20, good.size() / 3, good.size() / 2, good.size() - 80, good.size() - 1};
  for (const std::size_t at : positions) {
    auto bad = good;
    bad[at] ^= 0x04;
    const auto file = tmp.path() / ("flipped-" + std::to_string(at) + ".pxbak");
    write_bytes(file, bad);
    auto verified = backup::verify_backup(file);
    ASSERT_FALSE(verified) << at;
    EXPECT_EQ(verified.error().code, core::ErrorCode::invalid_input);
    const DataDir target{tmp.path() / ("r-" + std::to_string(at))};
    auto restored = restore_backup(file, *recovery, target);
    ASSERT_FALSE(restored) << at;
    EXPECT_FALSE(fs::exists(target.root)) << at;
  }
  // Nothing of the attempts is left beside the targets either.
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".restore-"), std::string::npos);
  }
}

TEST_F(BackupTest, ATruncatedFileIsRefused) {
  auto made = make_backup(tmp.path() / "backups");
  ASSERT_TRUE(made);
  const auto good = read_bytes(made->file);
  for (const std::size_t keep : {std::size_t{0}, std::size_t{10}, std::size_t{200}, good.size() / 2,
                                 good.size() - 72, good.size() - 1}) {
    const auto file = tmp.path() / ("cut-" + std::to_string(keep) + ".pxbak");
    write_bytes(file,
                std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<long>(keep)));
    auto verified = backup::verify_backup(file);
    ASSERT_FALSE(verified) << keep;
    EXPECT_FALSE(restore_backup(file, *recovery, DataDir{tmp.path() / "r"})) << keep;
    EXPECT_FALSE(fs::exists(tmp.path() / "r"));
  }
  // A file cut after the last chunk and re-signed by the same server would need the
  // server key; without it, the missing FINAL chunk is still caught on decryption.
}

TEST_F(BackupTest, AWrongRecoveryKeyIsRefusedClearly) {
  auto made = make_backup(tmp.path() / "backups");
  ASSERT_TRUE(made);
  const auto other = backup::generate_recovery_key();
  const DataDir target{tmp.path() / "r"};
  auto restored = restore_backup(made->file, other, target);
  ASSERT_FALSE(restored);
  EXPECT_NE(restored.error().message.find("does not belong"), std::string::npos)
      << restored.error().message;
  EXPECT_FALSE(fs::exists(target.root));
  EXPECT_FALSE(deep_verify_backup(made->file, other));
  EXPECT_TRUE(deep_verify_backup(made->file, *recovery));
}

TEST_F(BackupTest, RestoreRefusesADirectoryThatIsNotEmpty) {
  auto made = make_backup(tmp.path() / "backups");
  ASSERT_TRUE(made);
  const DataDir used{tmp.path() / "used"};
  fs::create_directories(used.root);
  std::ofstream(used.root / "keep.txt") << "mine";
  auto restored = restore_backup(made->file, *recovery, used);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code, core::ErrorCode::conflict);
  EXPECT_TRUE(fs::exists(used.root / "keep.txt"));
  EXPECT_FALSE(fs::exists(used.database()));
  // An empty directory is fine.
  const DataDir empty{tmp.path() / "empty"};
  fs::create_directories(empty.root);
  EXPECT_TRUE(restore_backup(made->file, *recovery, empty));
  EXPECT_TRUE(fs::exists(empty.database()));
}

TEST_F(BackupTest, ABackupSignedByAStrangerIsNotRestored) {
  // Someone who knows only the recovery public key makes a "backup" of their own.
  auto made = make_backup(tmp.path() / "backups");
  ASSERT_TRUE(made);
  const auto snapshot = tmp.path() / "stranger.db";
  ASSERT_TRUE(backup::snapshot_database(dir.database(), snapshot));
  std::vector<backup::BackupKey> keys;
  keys.push_back({"signing:server", 1, 1, crypto::SecretKey::random()});
  backup::BackupSource source;
  source.database = snapshot;
  source.keys = &keys;
  source.header.created_at = "2026-11-27T10:00:00Z";
  const crypto::SigningKey stranger(crypto::SecretKey::random());
  const auto file = tmp.path() / "stranger.pxbak";
  ASSERT_TRUE(backup::write_backup(source, recovery->public_key, stranger, file));
  EXPECT_TRUE(backup::verify_backup(file));  // consistent in itself ...
  auto restored = restore_backup(file, *recovery, DataDir{tmp.path() / "r"});
  ASSERT_FALSE(restored);  // ... but not signed by the installation it contains
  EXPECT_NE(restored.error().message.find("not signed by the installation"), std::string::npos);
  EXPECT_FALSE(deep_verify_backup(file, *recovery));
}

TEST_F(BackupTest, ABackupNeverOverwritesAFileAndLeavesNoTemporaryFile) {
  const auto to = tmp.path() / "backups";
  auto first = make_backup(to);
  ASSERT_TRUE(first);
  const auto before = read_bytes(first->file);
  auto in = Installation::open(dir, &passphrase_);
  ASSERT_TRUE(in);
  const auto at = *backup::parse_backup_file_name(first->file.filename().string());
  auto second = create_backup(dir, (*in)->store(), (*in)->keys(), (*in)->trail(), to, at);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, core::ErrorCode::conflict);
  EXPECT_EQ(read_bytes(first->file), before);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(to)) {
    ++files;
    EXPECT_EQ(entry.path().extension(), ".pxbak");
  }
  EXPECT_EQ(files, 1U);
  // And nothing of the snapshot stays in the data directory.
  for (const auto& entry : fs::directory_iterator(dir.root)) {
    EXPECT_EQ(entry.path().filename().string().find(".backup-"), std::string::npos);
  }
}

TEST_F(BackupTest, AnOnlineBackupIsOneCommittedStateWhileWritesGoOn) {
  auto in = Installation::open(dir, &passphrase_);
  ASSERT_TRUE(in);
  auto& store = (*in)->store();
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    while (!stop) {
      const int n = written.load();
      // Two rows per transaction: a consistent copy has both or neither.
      auto r =
          store::with_transaction(store, store::TxMode::read_write, [&](store::Transaction& tx) {
            if (auto a = tx.meta().put("load.a." + std::to_string(n), "x"); !a) return a;
            return tx.meta().put("load.b." + std::to_string(n), "x");
          });
      if (r) ++written;
    }
  });
  while (written < 20) std::this_thread::yield();
  auto made = create_backup(dir, store, (*in)->keys(), (*in)->trail(), tmp.path() / "backups",
                            core::SystemClock().now());
  stop = true;
  writer.join();
  ASSERT_TRUE(made) << made.error().message;
  const DataDir restored{tmp.path() / "restored"};
  ASSERT_TRUE(restore_backup(made->file, *recovery, restored));
  const auto rows = dump(restored.database(), {})["server_meta"];
  const auto count = [&](std::string_view prefix) {
    return std::count_if(rows.begin(), rows.end(), [&](const std::string& r) {
      std::string hex;
      for (char c : prefix) {
        static constexpr char kHex[] = "0123456789abcdef";
        hex += kHex[static_cast<unsigned char>(c) >> 4];
        hex += kHex[static_cast<unsigned char>(c) & 15];
      }
      return r.find(hex) != std::string::npos;
    });
  };
  EXPECT_GE(count("load.a."), 20);
  EXPECT_EQ(count("load.a."), count("load.b."));
}

TEST_F(BackupTest, WithoutARecoveryKeyThereIsNoBackup) {
  auto in = Installation::open(dir, &passphrase_);
  ASSERT_TRUE(in);
  ASSERT_TRUE(store::with_transaction(
      (*in)->store(), store::TxMode::read_write,
      [](store::Transaction& tx) { return tx.meta().put(kRecipientMetaKey, ""); }));
  auto made = create_backup(dir, (*in)->store(), (*in)->keys(), (*in)->trail(), tmp.path() / "b",
                            core::SystemClock().now());
  ASSERT_FALSE(made);
  // A fresh one from praxis backup recovery-key works again, and the old sheet no
  // longer opens new backups.
  auto printed = install_recovery_key((*in)->store());
  ASSERT_TRUE(printed);
  auto fresh = backup::parse_recovery_key(*printed);
  ASSERT_TRUE(fresh);
  made = create_backup(dir, (*in)->store(), (*in)->keys(), (*in)->trail(), tmp.path() / "b",
                       core::SystemClock().now());
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_TRUE(deep_verify_backup(made->file, *fresh));
  EXPECT_FALSE(deep_verify_backup(made->file, *recovery));
}

}  // namespace
}  // namespace praxis::app

namespace praxis::app {
namespace {

bool eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class ScheduledBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = init_data_dir(dir);
    ASSERT_TRUE(init);
    auto in = Installation::open(dir, &passphrase);
    ASSERT_TRUE(in);
    installation = std::move(*in);
    schedule.directory = tmp.path() / "backups";
    schedule.keep = {3, 0, 0};
  }
  std::unique_ptr<BackupScheduler> scheduler() {
    return std::make_unique<BackupScheduler>(dir, installation->store(), installation->keys(),
                                             installation->trail(), clock, log, schedule);
  }
  void advance_to(core::Instant t) { clock.advance(t - clock.now()); }

  test::TempDir tmp;
  DataDir dir{tmp.path() / "data"};
  PassphraseSource passphrase = no_passphrase();
  std::unique_ptr<Installation> installation;
  // Wednesday 25 Nov 2026, 12:00 Berlin.
  core::ManualClock clock{*core::parse_iso8601("2026-11-25T11:00:00Z")};
  core::Logger log{core::LogOptions{core::LogLevel::error, (tmp.path() / "log").string()}};
  BackupSchedule schedule;
};

TEST_F(ScheduledBackupTest, CatchesUpAfterStartThenRunsDailyAtTheLocalTime) {
  auto s = scheduler();
  s->start();
  // No backup yet: one five minutes after start, not at 02:30 tomorrow.
  EXPECT_EQ(s->next_run(), clock.now() + std::chrono::minutes(5));
  clock.advance(std::chrono::minutes(4));
  s->wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(s->successes(), 0U);
  clock.advance(std::chrono::minutes(1));
  s->wake();
  ASSERT_TRUE(eventually([&] { return s->successes() == 1; }));
  EXPECT_EQ(files_in(schedule.directory),
            std::vector<std::string>{"praxis-20261125T110500Z.pxbak"});
  // Then 02:30 Berlin (01:30Z) each day.
  ASSERT_TRUE(
      eventually([&] { return s->next_run() == *core::parse_iso8601("2026-11-26T01:30:00Z"); }));
  auto status = read_backup_status(dir);
  EXPECT_EQ(status.last_success, *core::parse_iso8601("2026-11-25T11:05:00Z"));
  EXPECT_FALSE(status.last_failure);
  for (int day = 0; day < 5; ++day) {
    // The thread sets the next time just after counting the run.
    ASSERT_TRUE(eventually([&] { return s->next_run() > clock.now(); }));
    advance_to(s->next_run());
    s->wake();
    ASSERT_TRUE(eventually([&] { return s->successes() == 2U + static_cast<unsigned>(day); }));
  }
  // Retention (3 daily) removed the older ones.
  ASSERT_TRUE(eventually([&] { return files_in(schedule.directory).size() == 3; }));
  EXPECT_EQ(
      files_in(schedule.directory),
      (std::vector<std::string>{"praxis-20261128T013000Z.pxbak", "praxis-20261129T013000Z.pxbak",
                                "praxis-20261130T013000Z.pxbak"}));
  EXPECT_EQ(s->failures(), 0U);
  // The thread counts the removals after it deleted the files.
  EXPECT_TRUE(eventually([&] { return s->removed() == 3U; })) << s->removed();
  s->stop();
  // A restart with a recent backup waits for the schedule instead of catching up.
  auto again = scheduler();
  again->start();
  EXPECT_EQ(again->next_run(), *core::parse_iso8601("2026-12-01T01:30:00Z"));
}

TEST_F(ScheduledBackupTest, AFailedRunIsCountedRecordedAndRetriedNextDay) {
  // An unwritable backup directory: a file is in its place.
  std::ofstream(schedule.directory) << "not a directory";
  auto s = scheduler();
  auto r = s->run_once();
  ASSERT_FALSE(r);
  EXPECT_EQ(s->failures(), 1U);
  auto status = read_backup_status(dir);
  EXPECT_EQ(status.last_failure, clock.now());
  EXPECT_NE(status.last_error.find("cannot be created"), std::string::npos) << status.last_error;
  EXPECT_FALSE(status.last_success);
  fs::remove(schedule.directory);
  clock.advance(std::chrono::hours(1));
  ASSERT_TRUE(s->run_once());
  status = read_backup_status(dir);
  EXPECT_EQ(status.last_success, clock.now());
  EXPECT_TRUE(status.last_failure);  // the failure stays on record
}

}  // namespace
}  // namespace praxis::app
