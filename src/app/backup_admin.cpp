#include "app/backup_admin.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "app/audit_admin.hpp"
#include "backup/schedule.hpp"
#include "core/random.hpp"
#include "core/version.hpp"
#include "store/sqlite/migrate.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace praxis::app {

using core::ErrorCode;

namespace {

constexpr std::string_view kServerSigningOwner = "signing:server";

core::Result<std::optional<std::string>> read_meta(store::Store& store, std::string_view key) {
  std::optional<std::string> value;
  auto r = store::with_transaction(store, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto v = tx.meta().get(key);
                                     if (!v) return tl::unexpected(v.error());
                                     value = std::move(*v);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  return value;
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Removes a directory tree on scope exit unless disarmed.
struct RemoveTree {
  std::filesystem::path path;
  bool armed = true;
  ~RemoveTree() {
    if (!armed || path.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

core::Result<std::filesystem::path> private_temp_dir(const std::filesystem::path& parent,
                                                     std::string_view prefix) {
  std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return core::fail(ErrorCode::internal, "cannot create a directory in " + parent.string(),
                      core::errno_text(errno));
  }
  return std::filesystem::path(pattern);
}

// The backed-up keys must include the server's signing key, and its public half must
// be the backup's signer: then the file came from that installation, not from someone
// who only knew the recovery public key.
core::Result<void> check_signer(const backup::OpenedBackup& opened) {
  for (const auto& k : opened.keys) {
    if (k.owner != kServerSigningOwner) continue;
    const crypto::SigningKey signer(k.secret);
    if (sodium_memcmp(signer.public_key().data(), opened.header.signer.data(),
                      opened.header.signer.size()) == 0) {
      return {};
    }
    break;
  }
  return core::fail(ErrorCode::invalid_input,
                    "the backup was not signed by the installation it contains; do not use it");
}

// Reads the snapshot's master-wrapped keys and unwraps them with the live master keys.
core::Result<std::vector<backup::BackupKey>> unwrap_snapshot_keys(store::Store& snapshot,
                                                                  crypto::KeyRing& keys) {
  std::vector<store::WrappedKeyRow> rows;
  auto r = store::with_transaction(snapshot, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto list = tx.master_wrapped_keys().list();
                                     if (!list) return tl::unexpected(list.error());
                                     rows = std::move(*list);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  std::vector<backup::BackupKey> out;
  for (const auto& row : rows) {
    auto key = unwrap_master_wrapped(keys, row);
    if (!key) return tl::unexpected(key.error());
    out.push_back(backup::BackupKey{row.owner, (*key)->id, (*key)->version,
                                    crypto::SecretKey::from_bytes((*key)->secret.bytes())});
  }
  return out;
}

// One entry in every practice's trail, in one transaction.
core::Result<void> record_for_every_practice(store::Store& store, audit::Trail& trail,
                                             std::string_view action, std::string_view file) {
  return store::with_transaction(
      store, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        auto practices = tx.practices().list();
        if (!practices) return tl::unexpected(practices.error());
        const auto context = audit::Context::system("backup");
        for (const auto& p : *practices) {
          auto r = trail.record(tx, p.id, context,
                                audit::Event{std::string(action), "backup", std::string(file)});
          if (!r) return tl::unexpected(r.error());
        }
        return {};
      });
}

}  // namespace

core::Result<std::string> install_recovery_key(store::Store& store) {
  auto key = backup::generate_recovery_key();
  const std::string recipient = backup::recipient_to_text(key.public_key);
  auto r = store::with_transaction(store, store::TxMode::read_write, [&](store::Transaction& tx) {
    return tx.meta().put(kRecipientMetaKey, recipient);
  });
  if (!r) return tl::unexpected(r.error());
  return backup::format_recovery_key(key.secret);
}

core::Result<backup::RecipientKey> recovery_public_key(store::Store& store) {
  auto text = read_meta(store, kRecipientMetaKey);
  if (!text) return tl::unexpected(text.error());
  if (!*text) {
    return core::fail(ErrorCode::not_found,
                      "this installation has no recovery key, so it cannot make backups; create "
                      "one with praxis backup recovery-key --data DIR and keep the sheet offline");
  }
  return backup::recipient_from_text(**text);
}

std::filesystem::path backup_directory(const DataDir& dir, const Config& config) {
  const std::filesystem::path configured(config.backup.directory);
  return configured.is_absolute() ? configured : dir.root / configured;
}

core::Result<CreatedBackup> create_backup(const DataDir& dir, store::Store& live,
                                          crypto::KeyRing& keys, audit::Trail& trail,
                                          const std::filesystem::path& to_dir, core::Instant now) {
  auto recipient = recovery_public_key(live);
  if (!recipient) return tl::unexpected(recipient.error());
  auto signer = server_signing_key(live, keys);
  if (!signer) return tl::unexpected(signer.error());
  std::error_code ec;
  std::filesystem::create_directories(to_dir, ec);
  if (ec || !std::filesystem::is_directory(to_dir, ec)) {
    return core::fail(ErrorCode::unavailable,
                      "the backup directory " + to_dir.string() + " cannot be created");
  }
  const auto target = to_dir / backup::backup_file_name(now);

  // The snapshot lives beside the database, as protected as the database itself.
  auto work = private_temp_dir(dir.root, ".backup-");
  if (!work) return tl::unexpected(work.error());
  RemoveTree cleanup{*work};
  const auto snapshot_file = *work / "snapshot.db";
  // The server's audit journal holds the latest reads; they belong in the backup.
  if (auto f = trail.flush(); !f) return tl::unexpected(f.error());
  if (auto r = backup::snapshot_database(dir.database(), snapshot_file); !r) {
    return tl::unexpected(r.error());
  }

  backup::BackupSource source;
  std::vector<backup::BackupKey> backup_keys;
  {
    auto snapshot =
        store::sqlite::SqliteStore::open(snapshot_file, store::sqlite::Synchronous::normal);
    if (!snapshot) return tl::unexpected(snapshot.error());
    auto unwrapped = unwrap_snapshot_keys(**snapshot, keys);
    if (!unwrapped) return tl::unexpected(unwrapped.error());
    backup_keys = std::move(*unwrapped);
    auto id = read_meta(**snapshot, "installation_id");
    if (!id) return tl::unexpected(id.error());
    source.header.installation_id = id->value_or("");
  }
  {
    store::sqlite::OpenOptions options;
    auto db = store::sqlite::Database::open(snapshot_file, options);
    if (!db) return tl::unexpected(db.error());
    auto version = store::sqlite::schema_version(*db);
    if (!version) return tl::unexpected(version.error());
    source.header.schema_version = *version;
    // One file, no -wal beside it.
    if (auto r = db->exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;"); !r) {
      return tl::unexpected(r.error());
    }
  }
  source.header.created_at = core::to_iso8601(now);
  source.header.praxis_version = core::kVersion;
  source.database = snapshot_file;
  source.keys = &backup_keys;
  source.config_text = read_text_file(dir.config());
  auto written = backup::write_backup(source, *recipient, *signer, target);
  if (!written) return tl::unexpected(written.error());
  if (auto r = record_for_every_practice(live, trail, "backup.create", target.filename().string());
      !r) {
    return tl::unexpected(r.error());
  }
  return CreatedBackup{target, *written};
}

core::Result<DeepVerifyReport> deep_verify_backup(const std::filesystem::path& file,
                                                  const backup::RecoveryKey& key) {
  auto shallow = backup::verify_backup(file);
  if (!shallow) return tl::unexpected(shallow.error());
  auto work = private_temp_dir(std::filesystem::temp_directory_path(), "praxis-verify-");
  if (!work) return tl::unexpected(work.error());
  RemoveTree cleanup{*work};
  const auto db = *work / "praxis.db";
  auto opened = backup::open_backup(file, key, db);
  if (!opened) return tl::unexpected(opened.error());
  if (auto r = check_signer(*opened); !r) return tl::unexpected(r.error());
  auto counts = backup::check_database_file(db);
  if (!counts) return tl::unexpected(counts.error());
  return DeepVerifyReport{std::move(*shallow), *counts};
}

core::Result<RestoreReport> restore_backup(const std::filesystem::path& file,
                                           const backup::RecoveryKey& key, const DataDir& target,
                                           const std::optional<std::string>& passphrase) {
  std::error_code ec;
  const bool target_exists = std::filesystem::exists(target.root, ec);
  if (target_exists && (!std::filesystem::is_directory(target.root, ec) ||
                        !std::filesystem::is_empty(target.root, ec))) {
    return core::fail(ErrorCode::conflict,
                      target.root.string() +
                          " is not empty; restore only into a new data directory (nothing was "
                          "changed)");
  }
  if (passphrase && passphrase->size() < 12) {
    return core::fail(ErrorCode::invalid_input, "the passphrase must have at least 12 characters");
  }
  const auto parent = std::filesystem::absolute(target.root).parent_path();
  std::filesystem::create_directories(parent, ec);
  auto staging_path = private_temp_dir(parent, "." + target.root.filename().string() + ".restore-");
  if (!staging_path) return tl::unexpected(staging_path.error());
  RemoveTree cleanup{*staging_path};
  const DataDir staging{*staging_path};

  auto opened = backup::open_backup(file, key, staging.database());
  if (!opened) return tl::unexpected(opened.error());
  if (auto r = check_signer(*opened); !r) return tl::unexpected(r.error());
  auto counts = backup::check_database_file(staging.database());
  if (!counts) return tl::unexpected(counts.error());
  const std::string config_text =
      opened->config_text.empty() ? default_config_text() : opened->config_text;
  if (auto r = backup::write_private_file(staging.config(), config_text); !r) {
    return tl::unexpected(r.error());
  }

  // A new master key, and every backed-up key wrapped under it.
  std::optional<crypto::MasterKey> master;
  if (passphrase) {
    auto created = crypto::create_passphrase_salt_file(staging.master_salt(), *passphrase);
    if (!created) return tl::unexpected(created.error());
    master = std::move(*created);
  } else {
    if (auto r = crypto::create_master_key_file(staging.master_key()); !r) {
      return tl::unexpected(r.error());
    }
    auto loaded = crypto::load_master_key_file(staging.master_key());
    if (!loaded) return tl::unexpected(loaded.error());
    master = std::move(*loaded);
  }
  {
    auto store =
        store::sqlite::SqliteStore::open(staging.database(), store::sqlite::Synchronous::full);
    if (!store) return tl::unexpected(store.error());
    auto rewrapped = store::with_transaction(
        **store, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
          auto rows = tx.master_wrapped_keys().list();
          if (!rows) return tl::unexpected(rows.error());
          for (const auto& row : *rows) {
            const auto found = std::find_if(
                opened->keys.begin(), opened->keys.end(), [&](const backup::BackupKey& k) {
                  return k.owner == row.owner && k.key_id == row.key_id && k.version == row.version;
                });
            if (found == opened->keys.end()) {
              return core::fail(ErrorCode::invalid_input,
                                "the backup lacks the key of " + row.owner);
            }
            const auto owner = key_owner_of(row.owner);
            if (!owner) {
              return core::fail(ErrorCode::invalid_input, "unknown key owner " + row.owner);
            }
            const crypto::Key plain{crypto::SecretKey::from_bytes(found->secret.bytes()),
                                    found->key_id, found->version};
            const auto wrapped = crypto::wrap_key(master->key, master->id, plain, *owner);
            auto updated = tx.master_wrapped_keys().update(
                store::WrappedKeyRow{row.owner, wrapped.key_id, wrapped.version,
                                     wrapped.wrapping_key_id, wrapped.sealed});
            if (!updated) return updated;
          }
          return {};
        });
    if (!rewrapped) return tl::unexpected(rewrapped.error());
  }

  RestoreReport report;
  report.counts = *counts;
  report.passphrase = passphrase.has_value();
  auto audits = verify_audit(staging, [&]() -> core::Result<std::string> {
    if (!passphrase) return core::fail(ErrorCode::invalid_input, "no passphrase");
    return *passphrase;
  });
  if (!audits) return tl::unexpected(audits.error());
  for (const auto& a : *audits) {
    if (!a.result.ok) {
      return core::fail(ErrorCode::invalid_input, "the audit trail of practice " + a.slug +
                                                      " in the backup does not verify (" +
                                                      a.result.problem + "); nothing was restored");
    }
    ++report.practices_verified;
    report.audit_entries_verified += a.result.entries;
  }

  {
    auto store =
        store::sqlite::SqliteStore::open(staging.database(), store::sqlite::Synchronous::full);
    if (!store) return tl::unexpected(store.error());
    std::vector<crypto::MasterKey> masters;
    masters.push_back(
        crypto::MasterKey{crypto::SecretKey::from_bytes(master->key.bytes()), master->id});
    crypto::KeyRing ring(std::move(masters));
    core::SystemClock clock;
    audit::Trail trail(ring, clock);
    if (auto r =
            record_for_every_practice(**store, trail, "backup.restore", file.filename().string());
        !r) {
      return tl::unexpected(r.error());
    }
  }

  // Into place: the empty target (if any) goes, the staging directory takes its name.
  if (target_exists && ::rmdir(target.root.c_str()) != 0) {
    return core::fail(ErrorCode::conflict, "cannot replace the empty " + target.root.string(),
                      core::errno_text(errno));
  }
  if (::renameat2(AT_FDCWD, staging_path->c_str(), AT_FDCWD, target.root.c_str(),
                  RENAME_NOREPLACE) != 0) {
    return core::fail(ErrorCode::conflict,
                      "cannot move the restored data to " + target.root.string(),
                      core::errno_text(errno));
  }
  cleanup.armed = false;
  if (auto r = backup::sync_directory(parent); !r) return tl::unexpected(r.error());
  return report;
}

core::Result<void> record_backup_outcome(const DataDir& dir, core::Instant at,
                                         const core::Error* error) {
  BackupStatus status = read_backup_status(dir);
  if (error) {
    status.last_failure = at;
    status.last_error = error->message;
  } else {
    status.last_success = at;
  }
  std::string text = "# written by praxis after each scheduled backup; read by praxis doctor\n";
  if (status.last_success) text += "last_success=" + core::to_iso8601(*status.last_success) + "\n";
  if (status.last_failure) text += "last_failure=" + core::to_iso8601(*status.last_failure) + "\n";
  if (!status.last_error.empty()) {
    std::string one_line = status.last_error;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    text += "last_error=" + one_line + "\n";
  }
  const auto file = dir.root / "backup-status";
  const auto temp = dir.root / ".backup-status.new";
  std::filesystem::remove(temp);
  if (auto r = backup::write_private_file(temp, text); !r) return r;
  std::error_code ec;
  std::filesystem::rename(temp, file, ec);
  if (ec) return core::fail(ErrorCode::internal, "cannot write " + file.string(), ec.message());
  return {};
}

BackupStatus read_backup_status(const DataDir& dir) {
  BackupStatus status;
  std::ifstream in(dir.root / "backup-status");
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "last_success") status.last_success = core::parse_iso8601(value);
    if (key == "last_failure") status.last_failure = core::parse_iso8601(value);
    if (key == "last_error") status.last_error = value;
  }
  return status;
}

std::optional<core::Instant> newest_backup(const std::filesystem::path& directory) {
  std::optional<core::Instant> newest;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    auto at = backup::parse_backup_file_name(entry.path().filename().string());
    if (at && (!newest || *at > *newest)) newest = at;
  }
  return newest;
}

}  // namespace praxis::app
