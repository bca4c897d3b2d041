#pragma once
// Backups of an installation (issue #9, DESIGN.md §7): the recovery key, `praxis backup
// create|verify|restore`, and the status the server's schedule leaves for doctor.
// The file format is backup/backup_file.hpp; this layer knows the data directory,
// the keys and the store.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "audit/trail.hpp"
#include "backup/backup_file.hpp"
#include "backup/recovery_key.hpp"
#include "backup/snapshot.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/key_ring.hpp"
#include "store/store.hpp"

namespace praxis::app {

// server_meta key of the recovery key's public half (base64).
inline constexpr std::string_view kRecipientMetaKey = "backup.recipient";

// A fresh recovery key pair: stores the public half (replacing an earlier one; older
// backups still need the older key) and returns the secret's printed form, which is
// stored nowhere.
[[nodiscard]] core::Result<std::string> install_recovery_key(store::Store& store);

// The installation's recovery public key; not_found when it has none yet.
[[nodiscard]] core::Result<backup::RecipientKey> recovery_public_key(store::Store& store);

// [backup] directory, resolved against the data directory.
std::filesystem::path backup_directory(const DataDir& dir, const Config& config);

struct CreatedBackup {
  std::filesystem::path file;
  backup::WriteReport report;
};

// An online backup of the SQLite database (the server may be running) into `to_dir`,
// named after `now` (backup/schedule.hpp). The snapshot is taken inside the data
// directory and removed afterwards.
// Every practice's audit trail records it (backup.create, the file name as resource).
[[nodiscard]] core::Result<CreatedBackup> create_backup(const DataDir& dir, store::Store& live,
                                                        crypto::KeyRing& keys, audit::Trail& trail,
                                                        const std::filesystem::path& to_dir,
                                                        core::Instant now);

struct DeepVerifyReport {
  backup::VerifyReport file;
  backup::DatabaseCounts counts;
};

// Decrypts into a private temporary directory, checks the signer against the
// backed-up server key and the database's integrity, and counts; removes the copy.
[[nodiscard]] core::Result<DeepVerifyReport> deep_verify_backup(const std::filesystem::path& file,
                                                                const backup::RecoveryKey& key);

struct RestoreReport {
  backup::DatabaseCounts counts;
  std::size_t practices_verified = 0;
  std::uint64_t audit_entries_verified = 0;
  bool passphrase = false;
};

// Restores into `target` (must not exist, or be an empty directory) with a new master
// key (a key file, or derived from `passphrase`): the backed-up keys are wrapped under
// it, the signer is checked, and every practice's audit trail is verified. Everything
// happens in a hidden sibling directory that is renamed into place at the end; on any
// error it is removed and `target` is untouched. Every practice's audit trail then
// records the restore (backup.restore).
[[nodiscard]] core::Result<RestoreReport> restore_backup(
    const std::filesystem::path& file, const backup::RecoveryKey& key, const DataDir& target,
    const std::optional<std::string>& passphrase = std::nullopt);

// The outcome of the last scheduled backup, kept in the data directory
// (backup-status, one key=value per line) for praxis doctor.
struct BackupStatus {
  std::optional<core::Instant> last_success;
  std::optional<core::Instant> last_failure;
  std::string last_error;  // never patient data: file system and key problems only
};
[[nodiscard]] core::Result<void> record_backup_outcome(const DataDir& dir, core::Instant at,
                                                       const core::Error* error);
BackupStatus read_backup_status(const DataDir& dir);

// The newest backup file in `directory` (by the time in its name).
std::optional<core::Instant> newest_backup(const std::filesystem::path& directory);

}  // namespace praxis::app
