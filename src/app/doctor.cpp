#include "app/doctor.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "api/web_routes.hpp"
#include "app/audit_admin.hpp"
#include "app/backup_admin.hpp"
#include "app/config.hpp"
#include "app/keys.hpp"
#include "app/notifications.hpp"
#include "audit/journal.hpp"
#include "auth/password_policy.hpp"
#include "crypto/master_key.hpp"
#include "http/server.hpp"
#include "store/postgres/connection.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/migrate.hpp"

namespace praxis::app {
namespace {

std::string octal_mode(mode_t mode) {
  char buf[8];
  (void)std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

void check_private_file(std::vector<Finding>& out, const std::string& check,
                        const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    out.push_back({Severity::fail, check, file.string() + " is missing", true});
  } else if ((st.st_mode & 077) != 0) {
    out.push_back({Severity::fail, check,
                   file.string() + " has mode " + octal_mode(st.st_mode) +
                       "; others may read it. Fix: chmod 600 " + file.string(),
                   true});
  } else {
    out.push_back(
        {Severity::ok, check, file.string() + " is private (" + octal_mode(st.st_mode) + ")"});
  }
}

// The owner of a practice may let the reception role sign in without a second factor
// (issue #5). That is a weaker set-up, so doctor names the practices that do.
void check_second_factor(std::vector<Finding>& out, store::sqlite::Database& db, int version) {
  constexpr int kSecondFactorSetting = 5;  // migration 0005 added the column
  if (version < kSecondFactorSetting) return;
  auto relaxed = db.query_text(
      "SELECT COALESCE(group_concat(slug, ', '), '') FROM "
      "(SELECT slug FROM practices WHERE reception_second_factor_optional = 1 ORDER BY slug)");
  if (!relaxed) {
    out.push_back({Severity::warn, "auth.second_factor",
                   "cannot read the second-factor settings: " + relaxed.error().internal});
  } else if (!relaxed->empty()) {
    out.push_back({Severity::warn, "auth.second_factor",
                   "reception may sign in without a second factor in: " + *relaxed +
                       ". Every role sees patient data; the owner can require it again under "
                       "Praxis → Sicherheit (PATCH /api/v1/practice "
                       "reception_second_factor_optional=false)"});
  } else {
    out.push_back(
        {Severity::ok, "auth.second_factor", "every staff account signs in with a second factor"});
  }
}

// Staff accounts without a second factor, and enrolment links nobody used yet: each
// is a way in with less than a password and a code.
void check_accounts(std::vector<Finding>& out, store::sqlite::Database& db, bool public_listener) {
  auto missing = db.query_text(
      "SELECT count(*) || ',' || coalesce(sum(role = 'owner'), 0) FROM users "
      "WHERE status = 'active' AND totp_secret IS NULL");
  if (!missing) {
    out.push_back({Severity::warn, "auth.users_second_factor",
                   "cannot read the staff accounts: " + missing.error().internal});
  } else {
    const auto comma = missing->find(',');
    const long users = std::stol(missing->substr(0, comma));
    const long owners = std::stol(missing->substr(comma + 1));
    if (owners > 0 && public_listener) {
      out.push_back({Severity::fail, "auth.users_second_factor",
                     std::to_string(owners) +
                         " owner account(s) have no second factor while the server is reachable "
                         "from other machines. Fix: praxis user reset --email … and enrol again "
                         "with an authenticator app",
                     true});
    } else if (users > 0) {
      out.push_back({Severity::warn, "auth.users_second_factor",
                     std::to_string(users) +
                         " active staff account(s) sign in without a second factor (allowed for "
                         "reception by the owner); each should enrol an authenticator app"});
    } else {
      out.push_back({Severity::ok, "auth.users_second_factor",
                     "every active staff account has a second factor"});
    }
  }
  auto open_links = db.query_text(
      "SELECT count(*) FROM enrolment_tokens WHERE used_at IS NULL AND expires_at > "
      "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')");
  if (open_links && *open_links != "0") {
    out.push_back({Severity::warn, "auth.enrolment_links",
                   *open_links +
                       " enrolment link(s) are outstanding: whoever holds one sets the account's "
                       "password. Let them be used soon, or withdraw them (praxis user reset, or "
                       "disable the invited account in the app)"});
  } else if (open_links) {
    out.push_back({Severity::ok, "auth.enrolment_links", "no enrolment link is outstanding"});
  }
}

// Backups: a recovery key to seal them to, recent ones, none failing, and not only on
// the disk of the database.
// Messages the outbox gave up on: staff see them in the app; the operator should know.
void check_dead_letters(std::vector<Finding>& out, store::sqlite::Database& db) {
  auto dead = db.query_text("SELECT count(*) FROM outbox WHERE state = 'dead'");
  if (!dead) return;  // an older schema: nothing to report
  if (*dead != "0") {
    out.push_back({Severity::warn, "notifications.dead_letters",
                   *dead + " message(s) could not be delivered (see GET "
                           "/api/v1/notifications?state=dead and the log's notification_dead "
                           "codes); fix the relay or gateway, then send them again"});
  } else {
    out.push_back({Severity::ok, "notifications.dead_letters", "no undeliverable messages"});
  }
}

// [mail] and [sms]: settings that would send in the clear or cannot work refuse to
// start, like the server does.
void check_transports(std::vector<Finding>& out, const DataDir& dir, const Config& config) {
  if (config.mail.url.empty() && config.sms.url.empty()) {
    out.push_back({Severity::warn, "notifications.transport",
                   "neither [mail] nor [sms] is configured: patients get no booking "
                   "confirmations, reminders or cancellation notices"});
    return;
  }
  if (auto mail = mail_settings(config, dir); !mail) {
    out.push_back({Severity::fail, "mail.settings", mail.error().message, true});
  } else if (*mail) {
    out.push_back({Severity::ok, "mail.settings",
                   notify::loopback_url(config.mail.url)
                       ? "e-mail goes to a relay on this machine"
                       : "e-mail goes to " + config.mail.url + " with TLS required"});
  }
  if (auto sms = sms_settings(config, dir); !sms) {
    out.push_back({Severity::fail, "sms.settings", sms.error().message, true});
  } else if (*sms) {
    out.push_back({Severity::ok, "sms.settings", "text messages go to " + config.sms.url});
  }
}

// The booking page and staff app are files the build writes; without them patients
// cannot book online (the API still answers).
void check_web_assets(std::vector<Finding>& out, const Config& config) {
  const auto dir = web_directory(config.web);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / api::kBookingPage, ec) ||
      !std::filesystem::is_regular_file(dir / api::kWidgetScript, ec)) {
    out.push_back({Severity::warn, "web.assets",
                   "the booking page is missing in " + dir.string() +
                       ": build it with 'make build' or set [web] dir"});
    return;
  }
  out.push_back({Severity::ok, "web.assets", "booking page and widget in " + dir.string()});
}

void check_backups(std::vector<Finding>& out, const DataDir& dir, const Config& config,
                   store::sqlite::Database& db) {
  auto recipient = db.query_text("SELECT value FROM server_meta WHERE key = '" +
                                 std::string(kRecipientMetaKey) + "'");
  if (!recipient || recipient->empty()) {
    out.push_back({Severity::fail, "backup.recovery_key",
                   "there is no backup recovery key, so no backup can be made. Fix: praxis backup "
                   "recovery-key --data " +
                       dir.root.string() + " and keep the sheet offline"});
  } else {
    out.push_back({Severity::ok, "backup.recovery_key",
                   "backups are sealed to the recovery key (its secret is not on this machine)"});
  }
  const auto directory = backup_directory(dir, config);
  const auto now = core::SystemClock().now();
  const auto newest = newest_backup(directory);
  const auto status = read_backup_status(dir);
  auto created = db.query_text("SELECT value FROM server_meta WHERE key = 'created_at'");
  const auto installed = created ? core::parse_iso8601(*created) : std::nullopt;
  constexpr auto kMaxAge = std::chrono::hours(26);
  if (!config.backup.scheduled) {
    out.push_back({Severity::warn, "backup.schedule",
                   "[backup] scheduled = false: the server makes no backups by itself; run praxis "
                   "backup create daily (cron, systemd timer)"});
  }
  if (newest && now - *newest <= kMaxAge) {
    out.push_back(
        {Severity::ok, "backup.age",
         "the newest backup in " + directory.string() + " is from " + core::to_iso8601(*newest)});
  } else if (!newest && installed && now - *installed <= kMaxAge) {
    out.push_back({Severity::ok, "backup.age",
                   "no backup yet; the running server makes the first within minutes"});
  } else {
    out.push_back({Severity::warn, "backup.age",
                   (newest ? "the newest backup in " + directory.string() + " is from " +
                                 core::to_iso8601(*newest) + ", more than 26 hours ago"
                           : "there is no backup in " + directory.string()) +
                       ". Is the server running? Make one now: praxis backup create --data " +
                       dir.root.string()});
  }
  if (status.last_failure &&
      (!status.last_success || *status.last_failure > *status.last_success)) {
    out.push_back({Severity::warn, "backup.last_run",
                   "the last scheduled backup failed at " + core::to_iso8601(*status.last_failure) +
                       ": " + status.last_error});
  }
  struct stat db_st {
  }, backup_st{};
  std::error_code ec;
  auto existing = directory;
  while (!existing.empty() && !std::filesystem::exists(existing, ec)) {
    existing = existing.parent_path();
  }
  if (::stat(dir.database().c_str(), &db_st) == 0 && !existing.empty() &&
      ::stat(existing.c_str(), &backup_st) == 0) {
    if (db_st.st_dev == backup_st.st_dev) {
      out.push_back({Severity::warn, "backup.same_filesystem",
                     "backups go to " + directory.string() +
                         ", on the same file system as the database: a disk failure or a wiper "
                         "takes both. Set [backup] directory to another disk or a mounted share, "
                         "and copy backups off site"});
    } else {
      out.push_back({Severity::ok, "backup.same_filesystem",
                     "backups go to another file system than the database"});
    }
  }
}

void check_tls(std::vector<Finding>& out, const ServerConfig& s) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(s.tls_certificate.c_str(), "r"),
                                                &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
  if (!cert) {
    out.push_back({Severity::fail, "server.tls_certificate",
                   "cannot read the certificate " + s.tls_certificate + " (PEM)", true});
    return;
  }
  int days = 0, seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())) != 1) {
    out.push_back({Severity::warn, "server.tls_certificate", "cannot read the expiry date"});
  } else if (days < 0 || (days == 0 && seconds <= 0)) {
    out.push_back({Severity::fail, "server.tls_certificate",
                   "the certificate " + s.tls_certificate +
                       " has expired; browsers refuse it. Renew it (e.g. certbot renew)",
                   true});
  } else if (days < 21) {
    out.push_back({Severity::warn, "server.tls_certificate",
                   "the certificate expires in " + std::to_string(days) +
                       " day(s); renew it now (automatic renewal, e.g. certbot, avoids this)"});
  } else {
    out.push_back({Severity::ok, "server.tls_certificate",
                   "the certificate is valid for " + std::to_string(days) + " more days"});
  }
  out.push_back({Severity::ok, "server.tls_versions",
                 "TLS 1.2 and 1.3 only, forward-secret AEAD ciphers (fixed in praxis)"});
}

void check_database(std::vector<Finding>& out, const DataDir& dir, const Config* config,
                    bool full) {
  namespace sq = store::sqlite;
  const bool synchronous_full = !config || config->store.sqlite_synchronous != "normal";
  check_private_file(out, "database.permissions", dir.database());
  sq::OpenOptions options;
  options.mode = sq::OpenMode::read_only;
  auto db = sq::Database::open(dir.database(), options);
  if (!db) {
    out.push_back({Severity::fail, "database.open",
                   "cannot open the database: " + db.error().internal, true});
    return;
  }
  // At start only what is cheap at any size: the file is a database and its schema reads
  // (quick_check would still read every page).
  auto check = full ? db->query_text("PRAGMA integrity_check")
                    : db->query_text(
                          "SELECT CASE WHEN count(*) > 0 THEN 'ok' ELSE 'no tables' END FROM "
                          "sqlite_schema");
  if (!check || *check != "ok") {
    out.push_back({Severity::fail, "database.integrity",
                   "the database is damaged (" + (check ? *check : check.error().internal) +
                       "); restore the latest backup (praxis backup restore)",
                   true});
    return;
  }
  out.push_back({Severity::ok, "database.integrity",
                 full ? "integrity check passed" : "the database opens and its schema reads"});
  auto journal = db->query_text("PRAGMA journal_mode");
  if (journal && *journal == "wal") {
    out.push_back({Severity::ok, "database.journal", "write-ahead log (WAL)"});
  } else {
    out.push_back({Severity::warn, "database.journal",
                   "journal mode is " + (journal ? *journal : std::string("unknown")) +
                       ", not WAL; praxis serve switches it back on start"});
  }
  out.push_back({synchronous_full ? Severity::ok : Severity::warn, "database.synchronous",
                 synchronous_full
                     ? "synchronous=FULL: every commit is on disk before it is acknowledged"
                     : "synchronous=NORMAL: a power cut may lose the last commits"});
  auto version = sq::schema_version(*db);
  auto pending =
      version ? sq::pending_migrations(*db) : core::Result<int>(tl::unexpected(version.error()));
  if (!version || !pending) {
    out.push_back({Severity::fail, "database.schema",
                   "cannot read schema_migrations: " +
                       (version ? pending.error() : version.error()).internal});
  } else if (*pending > 0) {
    out.push_back({Severity::warn, "database.schema",
                   "schema version " + std::to_string(*version) + ", " + std::to_string(*pending) +
                       " migration(s) pending: praxis serve applies them on start"});
  } else {
    out.push_back({Severity::ok, "database.schema",
                   "schema version " + std::to_string(*version) + ", up to date"});
  }
  check_second_factor(out, *db, version ? *version : 0);
  if (version && pending && *pending == 0 && config) {
    check_accounts(out, *db, !http::is_loopback_host(config->server.host));
    check_backups(out, dir, *config, *db);
    check_dead_letters(out, *db);
  }
}

// Verifies the audit trail when that needs nothing doctor may not do: the master key
// is a file (no passphrase to ask for) and the schema is current (opening the store
// would otherwise migrate it).
void check_audit(std::vector<Finding>& out, const DataDir& dir) {
  const bool schema_current = std::any_of(out.begin(), out.end(), [](const Finding& f) {
    return f.check == "database.schema" && f.severity == Severity::ok;
  });
  const bool healthy = std::none_of(out.begin(), out.end(), [](const Finding& f) {
    return f.severity == Severity::fail && f.blocks_start;
  });
  if (!schema_current || !healthy) {
    out.push_back({Severity::warn, "audit.trail",
                   "not verified: fix the findings above first, then run praxis audit verify"});
    return;
  }
  if (uses_passphrase(dir)) {
    out.push_back({Severity::warn, "audit.trail",
                   "not verified (the master key needs the passphrase): run praxis audit verify"});
    return;
  }
  auto results = verify_audit(dir, [] {
    return core::Result<std::string>(
        tl::unexpected(core::Error::make(core::ErrorCode::invalid_input, "no passphrase here")));
  });
  if (!results) {
    out.push_back(
        {Severity::fail, "audit.trail",
         "cannot verify the audit trail: " + results.error().message + results.error().internal});
    return;
  }
  std::uint64_t entries = 0;
  for (const auto& [slug, r] : *results) {
    if (!r.ok) {
      out.push_back({Severity::fail, "audit.trail",
                     "practice " + slug + ": the audit trail was changed (first bad entry " +
                         std::to_string(r.first_bad.value_or(0)) + ": " + r.problem +
                         "); restore the latest backup and investigate"});
      return;
    }
    entries += r.entries;
  }
  out.push_back({Severity::ok, "audit.trail",
                 "audit trail verified: " + std::to_string(results->size()) + " practice(s), " +
                     std::to_string(entries) + " entries, every checkpoint signature valid"});
}

// Entries a server left in the audit journal are in no tree yet: verification does not
// see them until the next start moves them.
void check_audit_journal(std::vector<Finding>& out, const DataDir& dir) {
  const auto bytes = audit::journal_bytes_waiting(dir.audit_journal());
  if (bytes == 0) {
    out.push_back({Severity::ok, "audit.journal", "no audit entries wait in the journal"});
    return;
  }
  out.push_back({Severity::warn, "audit.journal",
                 std::to_string(bytes) +
                     " bytes of audit entries wait in audit.journal: a server that did not stop "
                     "cleanly left them (or one is running now). The next start moves them into "
                     "the trail; run praxis audit verify after it"});
}

}  // namespace

std::vector<Finding> start_blockers(const std::vector<Finding>& findings) {
  std::vector<Finding> out;
  for (const auto& f : findings) {
    if (f.severity == Severity::fail && f.blocks_start) out.push_back(f);
  }
  return out;
}

std::vector<Finding> run_doctor(const DataDir& dir, const DoctorOptions& options) {
  std::vector<Finding> out;
  struct stat st {};
  if (::stat(dir.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    out.push_back({Severity::fail, "data_dir.exists",
                   dir.root.string() + " is not a data directory; create one with praxis init",
                   true});
    return out;
  }
  if ((st.st_mode & 077) != 0) {
    out.push_back({Severity::fail, "data_dir.permissions",
                   dir.root.string() + " has mode " + octal_mode(st.st_mode) +
                       "; other users can look inside. Fix: chmod 700 " + dir.root.string(),
                   true});
  } else {
    out.push_back({Severity::ok, "data_dir.permissions", dir.root.string() + " is private"});
  }
  if (::geteuid() == 0) {
    out.push_back({Severity::warn, "process.root",
                   "praxis runs as root: a flaw in it would own the whole machine. Run it as its "
                   "own user (e.g. systemd User=praxis) that owns only the data directory"});
  } else {
    out.push_back({Severity::ok, "process.root", "praxis does not run as root"});
  }

  auto config = options.config ? core::Result<Config>(*options.config) : load_config(dir.config());
  if (!config) {
    out.push_back({Severity::fail, "config.valid", config.error().message, true});
  } else {
    out.push_back({Severity::ok, "config.valid", dir.config().string() + " is valid"});
    const auto& s = config->server;
    if (s.tls_certificate.empty()) {
      if (http::is_loopback_host(s.host)) {
        out.push_back({Severity::ok, "server.listener",
                       "listens on loopback only (" + s.host +
                           "); put a TLS reverse proxy in "
                           "front for access from other machines"});
      } else {
        out.push_back(
            {Severity::fail, "server.listener",
             "listens on " + s.host +
                 " without TLS; praxis serve refuses to start. "
                 "Set [server] tls_certificate and tls_private_key, or listen on 127.0.0.1",
             true});
      }
    } else {
      out.push_back({Severity::ok, "server.listener", "TLS is configured"});
      check_private_file(out, "server.tls_private_key", s.tls_private_key);
      check_tls(out, s);
    }
    if (!config->booking.proof_of_work) {
      out.push_back({Severity::warn, "booking.proof_of_work",
                     "[booking] proof_of_work = false: public bookings need no proof-of-work, "
                     "so bots can book freely. Switch it off only for load tests"});
    } else {
      out.push_back(
          {Severity::ok, "booking.proof_of_work", "public bookings carry a solved proof-of-work"});
    }
    if (config->booking.reads_per_minute == 0 || config->booking.writes_per_hour == 0) {
      out.push_back({Severity::warn, "booking.rate_limits",
                     "a public rate limit in [booking] is 0 (unlimited); use that only for load "
                     "tests"});
    }
    check_transports(out, dir, *config);
    check_web_assets(out, *config);
    if (config->store.sqlite_synchronous == "normal") {
      out.push_back({Severity::warn, "store.synchronous",
                     "sqlite_synchronous = \"normal\": a power cut may lose the last commits. "
                     "Use \"full\" unless the disk has a battery-backed cache"});
    }
  }

  if (uses_passphrase(dir)) {
    check_private_file(out, "master_key", dir.master_salt());
    out.push_back({Severity::ok, "master_key.mode",
                   "the master key is derived from a passphrase; no key is stored on disk"});
  } else if (auto r = crypto::check_master_key_file(dir.master_key()); !r) {
    out.push_back({Severity::fail, "master_key", r.error().message, true});
  } else {
    out.push_back({Severity::ok, "master_key", "master key file is present and private"});
  }
  std::error_code ec;
  if (std::filesystem::exists(dir.root / "master.key.next", ec) ||
      std::filesystem::exists(dir.root / "master.salt.next", ec)) {
    out.push_back({Severity::warn, "master_key.rotation",
                   "a key rotation was interrupted; run praxis keys rotate to complete it"});
  } else if (std::filesystem::exists(dir.root / "master.key.old", ec) ||
             std::filesystem::exists(dir.root / "master.salt.old", ec)) {
    out.push_back({Severity::warn, "master_key.rotation",
                   "the previous master key is still on disk; store the new master.key offline, "
                   "then run praxis keys rotate --finish"});
  }
  if (auth::password_dictionary_available()) {
    out.push_back({Severity::ok, "auth.password_dictionary",
                   "cracklib dictionary present: weak passwords are refused"});
  } else {
    out.push_back({Severity::fail, "auth.password_dictionary",
                   "the cracklib dictionary is missing, so nobody can set a password and "
                   "praxis serve refuses to start; install cracklib-runtime",
                   true});
  }
  if (config && config->store.backend == "postgres") {
    // The database lives on a PostgreSQL server; doctor only reads, so it does not
    // connect (connecting would migrate). It checks what it can see from here.
    auto secure = store::postgres::check_dsn_security(config->store.postgres_dsn);
    if (secure) secure = store::postgres::check_dsn_security(config->store.postgres_owner_dsn);
    if (!secure) {
      out.push_back({Severity::fail, "database.postgres", secure.error().message, true});
    } else {
      out.push_back({Severity::ok, "database.postgres",
                     "PostgreSQL backend; the connection is local or verified TLS"});
    }
  } else {
    check_database(out, dir, config ? &*config : nullptr, !options.start);
    if (!options.start) check_audit(out, dir);
  }
  if (!options.start) check_audit_journal(out, dir);
  return out;
}

}  // namespace praxis::app
