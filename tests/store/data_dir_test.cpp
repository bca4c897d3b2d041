#include "app/data_dir.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "app/backup_admin.hpp"
#include "app/doctor.hpp"
#include "backup/schedule.hpp"
#include "store/sqlite/database.hpp"
#include "support/temp_dir.hpp"

namespace praxis::app {
namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

const Finding* find(const std::vector<Finding>& findings, std::string_view check) {
  for (const auto& f : findings) {
    if (f.check == check) return &f;
  }
  return nullptr;
}

TEST(DataDir, InitCreatesPrivateDirectoryKeyConfigAndDatabase) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  EXPECT_EQ(mode_of(dir.root), 0700u);
  EXPECT_EQ(mode_of(dir.config()), 0600u);
  EXPECT_EQ(mode_of(dir.master_key()), 0600u);
  EXPECT_EQ(mode_of(dir.database()), 0600u);
  EXPECT_EQ(std::filesystem::file_size(dir.master_key()), 32u);
}

TEST(DataDir, InitTakesAnEmptyDirectoryButRefusesANonEmptyOne) {
  test::TempDir tmp;
  const DataDir empty{tmp.path() / "empty"};
  std::filesystem::create_directory(empty.root);
  ::chmod(empty.root.c_str(), 0755);
  ASSERT_TRUE(init_data_dir(empty));
  EXPECT_EQ(mode_of(empty.root), 0700u);

  const DataDir used{tmp.path() / "used"};
  std::filesystem::create_directory(used.root);
  std::ofstream(used.root / "notes.txt") << "keep me";
  auto r = init_data_dir(used);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not empty"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(used.master_key()));
  EXPECT_FALSE(std::filesystem::exists(used.config()));
}

TEST(Doctor, FreshInstallationPasses) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  for (const auto& f : run_doctor(dir)) {
    // By default backups go inside the data directory and no e-mail is set up (warnings
    // that name the fix), and tests may run as root.
    if (f.check == "backup.same_filesystem" || f.check == "notifications.transport" ||
        (f.check == "process.root" && ::geteuid() == 0)) {
      EXPECT_EQ(f.severity, Severity::warn) << f.check;
      continue;
    }
    EXPECT_EQ(f.severity, Severity::ok) << f.check << ": " << f.message;
  }
}

TEST(Doctor, NamesARootProcess) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  const auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "process.root"), nullptr);
  EXPECT_EQ(find(findings, "process.root")->severity,
            ::geteuid() == 0 ? Severity::warn : Severity::ok);
}

// A self-signed certificate whose validity ends `not_after` from now (negative: past).
void write_certificate(const std::filesystem::path& cert, const std::filesystem::path& key,
                       long not_after) {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(pkey, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -30L * 86400);
  X509_gmtime_adj(X509_getm_notAfter(x), not_after);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  ASSERT_GT(X509_sign(x, pkey, EVP_sha256()), 0);
  FILE* c = std::fopen(cert.c_str(), "w");
  PEM_write_X509(c, x);
  std::fclose(c);
  FILE* k = std::fopen(key.c_str(), "w");
  PEM_write_PrivateKey(k, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(k);
  ::chmod(key.c_str(), 0600);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

TEST(Doctor, ChecksTheCertificatesExpiry) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  const auto cert = tmp.path() / "cert.pem", key = tmp.path() / "key.pem";
  auto configure = [&] {
    std::ofstream cfg(dir.config(), std::ios::trunc);
    cfg << "[server]\nlisten = \"0.0.0.0:8443\"\ntls_certificate = \"" << cert.string()
        << "\"\ntls_private_key = \"" << key.string() << "\"\n";
  };
  write_certificate(cert, key, 90L * 86400);
  configure();
  auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "server.tls_certificate"), nullptr);
  EXPECT_EQ(find(findings, "server.tls_certificate")->severity, Severity::ok);
  EXPECT_EQ(find(findings, "server.tls_versions")->severity, Severity::ok);
  EXPECT_TRUE(start_blockers(findings).empty());

  std::filesystem::remove(cert);
  std::filesystem::remove(key);
  write_certificate(cert, key, 5L * 86400);
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "server.tls_certificate")->severity, Severity::warn);
  EXPECT_NE(find(findings, "server.tls_certificate")->message.find("expires in"),
            std::string::npos);

  std::filesystem::remove(cert);
  std::filesystem::remove(key);
  write_certificate(cert, key, -86400);
  DoctorOptions start;
  start.start = true;
  findings = run_doctor(dir, start);
  const Finding* expired = find(findings, "server.tls_certificate");
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->severity, Severity::fail);
  EXPECT_TRUE(expired->blocks_start);
  EXPECT_EQ(start_blockers(findings).size(), 1U);
}

TEST(Doctor, WarnsOfAuditEntriesLeftInTheJournal) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "audit.journal"), nullptr);
  EXPECT_EQ(find(findings, "audit.journal")->severity, Severity::ok);

  // A journal's 32-byte header alone (what a clean shutdown leaves) is nothing waiting.
  std::ofstream(dir.audit_journal(), std::ios::binary) << std::string(32, 'h');
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "audit.journal")->severity, Severity::ok);

  // Records after it, and a file a move was working on: a killed server's leftovers.
  std::ofstream(dir.audit_journal(), std::ios::binary) << std::string(32 + 100, 'r');
  std::ofstream(dir.root / "audit.journal.moving", std::ios::binary) << std::string(32 + 20, 'r');
  findings = run_doctor(dir);
  const auto* journal = find(findings, "audit.journal");
  ASSERT_NE(journal, nullptr);
  EXPECT_EQ(journal->severity, Severity::warn);
  EXPECT_FALSE(journal->blocks_start) << "the next start moves them";
  EXPECT_NE(journal->message.find("120 bytes"), std::string::npos) << journal->message;
  DoctorOptions start;
  start.start = true;
  EXPECT_TRUE(start_blockers(run_doctor(dir, start)).empty());
}

TEST(Doctor, NamesAccountsWithoutSecondFactorAndOutstandingLinks) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  auto findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "auth.users_second_factor")->severity, Severity::ok);
  EXPECT_EQ(find(findings, "auth.enrolment_links")->severity, Severity::ok);
  {
    auto db = store::sqlite::Database::open(dir.database(), store::sqlite::OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec(
        "INSERT INTO practices (id, slug, name, kind, state, street, postcode, city, "
        "created_at, version) SELECT 'p1', 'p', 'P', 'arztpraxis', 'BE', '', '', '', "
        "'2026-01-01T00:00:00Z', 1 WHERE NOT EXISTS (SELECT 1 FROM practices);"
        "INSERT INTO users (id, practice_id, email, role, status, created_at) VALUES "
        "('u1', 'p1', 'empfang@example.org', 'reception', 'active', '2026-01-01T00:00:00Z'),"
        "('u2', 'p1', 'neu@example.org', 'assistant', 'invited', '2026-01-01T00:00:00Z');"
        "INSERT INTO enrolment_tokens (token_hash, practice_id, user_id, expires_at) VALUES "
        "(x'01', 'p1', 'u2', '2999-01-01T00:00:00Z'), (x'02', 'p1', 'u2', "
        "'2001-01-01T00:00:00Z');"));
  }
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "auth.users_second_factor")->severity, Severity::warn);
  EXPECT_NE(find(findings, "auth.users_second_factor")->message.find("1 active staff"),
            std::string::npos);
  EXPECT_EQ(find(findings, "auth.enrolment_links")->severity, Severity::warn);
  EXPECT_NE(find(findings, "auth.enrolment_links")->message.find("1 enrolment link"),
            std::string::npos);  // the expired one does not count
  // An owner without a second factor behind a public listener stops the server.
  {
    auto db = store::sqlite::Database::open(dir.database(), store::sqlite::OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("UPDATE users SET role = 'owner' WHERE id = 'u1'"));
  }
  DoctorOptions public_listener;
  public_listener.config = *load_config(dir.config());
  public_listener.config->server.host = "0.0.0.0";
  public_listener.config->server.tls_certificate = "/nonexistent";
  findings = run_doctor(dir, public_listener);
  EXPECT_EQ(find(findings, "auth.users_second_factor")->severity, Severity::fail);
  EXPECT_TRUE(find(findings, "auth.users_second_factor")->blocks_start);
}

TEST(Doctor, ChecksMailSettingsAndNamesUndeliverableMessages) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  auto findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "notifications.transport")->severity, Severity::warn);
  EXPECT_EQ(find(findings, "notifications.dead_letters")->severity, Severity::ok);

  DoctorOptions options;
  options.config = *load_config(dir.config());
  options.config->mail.url = "smtp://mail.example.org:587";
  options.config->mail.from = "termine@praxis.example";
  findings = run_doctor(dir, options);
  EXPECT_EQ(find(findings, "notifications.transport"), nullptr);
  EXPECT_EQ(find(findings, "mail.settings")->severity, Severity::ok);
  // A password file others may read, or a relay spoken to in the clear, stop the server.
  options.config->mail.username = "praxis";
  options.config->mail.password_file = "relay.password";
  {
    std::ofstream f(dir.root / "relay.password");
    f << "secret\n";
  }
  std::filesystem::permissions(dir.root / "relay.password", std::filesystem::perms(0644));
  findings = run_doctor(dir, options);
  EXPECT_EQ(find(findings, "mail.settings")->severity, Severity::fail);
  EXPECT_TRUE(find(findings, "mail.settings")->blocks_start);
  EXPECT_NE(find(findings, "mail.settings")->message.find("chmod 600"), std::string::npos);
  std::filesystem::permissions(dir.root / "relay.password", std::filesystem::perms(0600));
  EXPECT_EQ(find(run_doctor(dir, options), "mail.settings")->severity, Severity::ok);
  options.config->sms.url = "http://gateway.example/send";
  findings = run_doctor(dir, options);
  EXPECT_EQ(find(findings, "sms.settings")->severity, Severity::fail);
  EXPECT_TRUE(find(findings, "sms.settings")->blocks_start);
  // The same settings the server builds (app::sms_settings): an https gateway passes.
  options.config->sms.url = "https://gateway.example/send";
  findings = run_doctor(dir, options);
  EXPECT_EQ(find(findings, "sms.settings")->severity, Severity::ok);
  options.config->sms.authorization_file = "missing.token";
  findings = run_doctor(dir, options);
  EXPECT_EQ(find(findings, "sms.settings")->severity, Severity::fail);
  EXPECT_NE(find(findings, "sms.settings")->message.find("missing.token"), std::string::npos);
  options.config->sms = {};

  {
    auto db = store::sqlite::Database::open(dir.database(), store::sqlite::OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec(
        "INSERT INTO practices (id, slug, name, kind, state, street, postcode, city, "
        "created_at, version) SELECT 'p1', 'p', 'P', 'arztpraxis', 'BE', '', '', '', "
        "'2026-01-01T00:00:00Z', 1 WHERE NOT EXISTS (SELECT 1 FROM practices);"
        "INSERT INTO outbox (practice_id, id, kind, channel, state, attempts, next_attempt_at, "
        "created_at) VALUES ((SELECT id FROM practices LIMIT 1), 'm1', 'confirmation', 'email', "
        "'dead', 8, 0, '2026-01-01T00:00:00Z')"));
  }
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "notifications.dead_letters")->severity, Severity::warn);
  EXPECT_NE(find(findings, "notifications.dead_letters")->message.find("1 message"),
            std::string::npos);
}

TEST(Doctor, ReportsBackupsMissingOldFailingOrBesideTheDatabase) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  auto findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "backup.recovery_key")->severity, Severity::ok);
  EXPECT_EQ(find(findings, "backup.age")->severity, Severity::ok);  // new: none expected yet
  EXPECT_EQ(find(findings, "backup.same_filesystem")->severity, Severity::warn);
  EXPECT_EQ(find(findings, "backup.last_run"), nullptr);

  // An installation a week old whose newest backup is two days old.
  const auto now = core::SystemClock().now();
  {
    auto db = store::sqlite::Database::open(dir.database(), store::sqlite::OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("UPDATE server_meta SET value = '" +
                         core::to_iso8601(now - std::chrono::hours(24 * 7)) +
                         "' WHERE key = 'created_at'"));
  }
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "backup.age")->severity, Severity::warn);
  std::filesystem::create_directories(dir.root / "backups");
  const auto old_name = backup::backup_file_name(now - std::chrono::hours(48));
  std::ofstream(dir.root / "backups" / old_name) << "x";
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "backup.age")->severity, Severity::warn);
  EXPECT_NE(find(findings, "backup.age")->message.find("more than 26 hours"), std::string::npos);
  std::ofstream(dir.root / "backups" / backup::backup_file_name(now - std::chrono::hours(2)))
      << "x";
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "backup.age")->severity, Severity::ok);

  // The last scheduled run failed.
  const auto failure = core::Error::make(core::ErrorCode::unavailable, "disk full");
  ASSERT_TRUE(record_backup_outcome(dir, now, &failure));
  findings = run_doctor(dir);
  ASSERT_NE(find(findings, "backup.last_run"), nullptr);
  EXPECT_EQ(find(findings, "backup.last_run")->severity, Severity::warn);
  EXPECT_NE(find(findings, "backup.last_run")->message.find("disk full"), std::string::npos);
  ASSERT_TRUE(record_backup_outcome(dir, now + std::chrono::seconds(1), nullptr));
  EXPECT_EQ(find(run_doctor(dir), "backup.last_run"), nullptr);

  // Backups on another file system (tmpfs) are fine.
  if (std::filesystem::is_directory("/dev/shm")) {
    const auto elsewhere = std::filesystem::path("/dev/shm") / tmp.path().filename();
    std::filesystem::create_directories(elsewhere);
    DoctorOptions options;
    options.config = *load_config(dir.config());
    options.config->backup.directory = elsewhere.string();
    findings = run_doctor(dir, options);
    std::filesystem::remove_all(elsewhere);
    EXPECT_EQ(find(findings, "backup.same_filesystem")->severity, Severity::ok);
  }

  // No recovery key: no backup can be made.
  {
    auto db = store::sqlite::Database::open(dir.database(), store::sqlite::OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("DELETE FROM server_meta WHERE key = 'backup.recipient'"));
  }
  findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "backup.recovery_key")->severity, Severity::fail);
  EXPECT_FALSE(find(findings, "backup.recovery_key")->blocks_start);
}

TEST(Doctor, WarnsWhenBotProtectionIsOff) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  auto findings = run_doctor(dir);
  EXPECT_EQ(find(findings, "booking.proof_of_work")->severity, Severity::ok);
  EXPECT_EQ(find(findings, "booking.rate_limits"), nullptr);
  DoctorOptions off;
  off.config = *load_config(dir.config());
  off.config->booking.proof_of_work = false;
  off.config->booking.reads_per_minute = 0;
  findings = run_doctor(dir, off);
  EXPECT_EQ(find(findings, "booking.proof_of_work")->severity, Severity::warn);
  ASSERT_NE(find(findings, "booking.rate_limits"), nullptr);
  EXPECT_EQ(find(findings, "booking.rate_limits")->severity, Severity::warn);
  EXPECT_TRUE(start_blockers(findings).empty());
}

TEST(Doctor, NamesAnUnfinishedKeyRotation) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  EXPECT_EQ(find(run_doctor(dir), "master_key.rotation"), nullptr);
  std::filesystem::copy_file(dir.master_key(), dir.root / "master.key.old");
  auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "master_key.rotation"), nullptr);
  EXPECT_NE(find(findings, "master_key.rotation")->message.find("--finish"), std::string::npos);
  std::filesystem::rename(dir.root / "master.key.old", dir.root / "master.key.next");
  findings = run_doctor(dir);
  EXPECT_NE(find(findings, "master_key.rotation")->message.find("interrupted"), std::string::npos);
}

TEST(Doctor, TheStartChecksSkipWhatReadsEverything) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  DoctorOptions start;
  start.start = true;
  const auto findings = run_doctor(dir, start);
  EXPECT_EQ(find(findings, "audit.trail"), nullptr);
  ASSERT_NE(find(findings, "database.integrity"), nullptr);
  EXPECT_NE(find(findings, "database.integrity")->message.find("schema reads"), std::string::npos);
  EXPECT_TRUE(start_blockers(findings).empty());
  // A file that is no database blocks the start too.
  {
    const DataDir broken{tmp.path() / "broken"};
    ASSERT_TRUE(init_data_dir(broken));
    std::filesystem::remove(broken.database());
    std::ofstream(broken.database()) << std::string(8192, 'x');
    ::chmod(broken.database().c_str(), 0600);
    const auto blockers = start_blockers(run_doctor(broken, start));
    ASSERT_FALSE(blockers.empty());
    EXPECT_TRUE(blockers[0].check == "database.integrity" || blockers[0].check == "database.open");
  }
  // A world-readable key blocks the start.
  ::chmod(dir.master_key().c_str(), 0644);
  const auto blocked = start_blockers(run_doctor(dir, start));
  ASSERT_EQ(blocked.size(), 1U);
  EXPECT_EQ(blocked[0].check, "master_key");
}

TEST(Doctor, FlagsWhatAnAttackerWouldLike) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  ::chmod(dir.master_key().c_str(), 0644);
  ::chmod(dir.root.c_str(), 0755);
  ::chmod(dir.database().c_str(), 0644);
  {
    std::ofstream cfg(dir.config(), std::ios::trunc);
    cfg << "[store]\nsqlite_synchronous = \"normal\"\n";
  }
  const auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "master_key"), nullptr);
  EXPECT_EQ(find(findings, "master_key")->severity, Severity::fail);
  EXPECT_EQ(find(findings, "data_dir.permissions")->severity, Severity::fail);
  EXPECT_EQ(find(findings, "database.permissions")->severity, Severity::fail);
  EXPECT_EQ(find(findings, "store.synchronous")->severity, Severity::warn);
}

TEST(Doctor, FlagsPublicListenerWithoutTls) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  {
    std::ofstream cfg(dir.config(), std::ios::trunc);
    cfg << "[server]\nlisten = \"0.0.0.0:443\"\n";
  }
  const auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "server.listener"), nullptr);
  EXPECT_EQ(find(findings, "server.listener")->severity, Severity::fail);
}

TEST(Doctor, ReportsPendingMigrationsAndJournalMode) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  {
    // As if the data came from an older praxis: the newest migration not yet applied,
    // and the journal switched away from WAL.
    auto db = store::sqlite::Database::open(dir.database(), store::sqlite::OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("DELETE FROM schema_migrations "
                 "WHERE number = (SELECT MAX(number) FROM schema_migrations); "
                 "PRAGMA journal_mode=DELETE;"));
  }
  const auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "database.schema"), nullptr);
  EXPECT_EQ(find(findings, "database.schema")->severity, Severity::warn);
  EXPECT_NE(find(findings, "database.schema")->message.find("1 migration(s) pending"),
            std::string::npos);
  EXPECT_EQ(find(findings, "database.journal")->severity, Severity::warn);
}

TEST(Doctor, FlagsDamagedDatabase) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  std::filesystem::remove(dir.database());
  std::ofstream(dir.database()) << "meow";
  ::chmod(dir.database().c_str(), 0600);
  const auto findings = run_doctor(dir);
  const Finding* f = find(findings, "database.integrity");
  if (!f) f = find(findings, "database.open");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::fail);
}

}  // namespace
}  // namespace praxis::app
