#include "app/doctor.hpp"

#include <sys/stat.h>

#include "app/audit_admin.hpp"
#include "app/config.hpp"
#include "app/keys.hpp"
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
    out.push_back({Severity::fail, check, file.string() + " is missing"});
  } else if ((st.st_mode & 077) != 0) {
    out.push_back({Severity::fail, check,
                   file.string() + " has mode " + octal_mode(st.st_mode) +
                       "; others may read it. Fix: chmod 600 " + file.string()});
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

void check_database(std::vector<Finding>& out, const DataDir& dir, bool synchronous_full) {
  namespace sq = store::sqlite;
  check_private_file(out, "database.permissions", dir.database());
  sq::OpenOptions options;
  options.mode = sq::OpenMode::read_only;
  auto db = sq::Database::open(dir.database(), options);
  if (!db) {
    out.push_back(
        {Severity::fail, "database.open", "cannot open the database: " + db.error().internal});
    return;
  }
  auto check = db->query_text("PRAGMA integrity_check");
  if (!check || *check != "ok") {
    out.push_back({Severity::fail, "database.integrity",
                   "the database is damaged (" + (check ? *check : check.error().internal) +
                       "); restore the latest backup"});
    return;
  }
  out.push_back({Severity::ok, "database.integrity", "integrity check passed"});
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
}

// Verifies the audit trail when that needs nothing doctor may not do: the master key
// is a file (no passphrase to ask for) and the schema is current (opening the store
// would otherwise migrate it).
void check_audit(std::vector<Finding>& out, const DataDir& dir) {
  const bool schema_current = std::any_of(out.begin(), out.end(), [](const Finding& f) {
    return f.check == "database.schema" && f.severity == Severity::ok;
  });
  const bool healthy = std::none_of(out.begin(), out.end(),
                                    [](const Finding& f) { return f.severity == Severity::fail; });
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

}  // namespace

std::vector<Finding> run_doctor(const DataDir& dir) {
  std::vector<Finding> out;
  struct stat st {};
  if (::stat(dir.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    out.push_back({Severity::fail, "data_dir.exists",
                   dir.root.string() + " is not a data directory; create one with praxis init"});
    return out;
  }
  if ((st.st_mode & 077) != 0) {
    out.push_back({Severity::fail, "data_dir.permissions",
                   dir.root.string() + " has mode " + octal_mode(st.st_mode) +
                       "; other users can look inside. Fix: chmod 700 " + dir.root.string()});
  } else {
    out.push_back({Severity::ok, "data_dir.permissions", dir.root.string() + " is private"});
  }

  auto config = load_config(dir.config());
  if (!config) {
    out.push_back({Severity::fail, "config.valid", config.error().message});
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
                 " without TLS; praxis serve will refuse to start. "
                 "Set [server] tls_certificate and tls_private_key, or listen on 127.0.0.1"});
      }
    } else {
      out.push_back({Severity::ok, "server.listener", "TLS is configured"});
      check_private_file(out, "server.tls_private_key", s.tls_private_key);
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
    out.push_back({Severity::fail, "master_key", r.error().message});
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
                   "praxis serve refuses to start; install cracklib-runtime"});
  }
  if (config && config->store.backend == "postgres") {
    // The database lives on a PostgreSQL server; doctor only reads, so it does not
    // connect (connecting would migrate). It checks what it can see from here.
    if (auto r = store::postgres::check_dsn_security(config->store.postgres_dsn); !r) {
      out.push_back({Severity::fail, "database.postgres", r.error().message});
    } else {
      out.push_back({Severity::ok, "database.postgres",
                     "PostgreSQL backend; the connection is local or verified TLS"});
    }
  } else {
    check_database(out, dir, !config || config->store.sqlite_synchronous != "normal");
    check_audit(out, dir);
  }
  return out;
}

}  // namespace praxis::app
