#pragma once
// The data directory: everything one installation owns.
//   praxis.toml   configuration (0600)
//   master.key    the master key (0600); never inside a backup together with the data
//   praxis.db     the SQLite database (0600), with -wal and -shm beside it
// The directory itself is 0700.

#include <filesystem>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace praxis::app {

struct DataDir {
  std::filesystem::path root;
  std::filesystem::path config() const { return root / "praxis.toml"; }
  std::filesystem::path master_key() const;
  std::filesystem::path master_salt() const;  // passphrase mode instead of master.key
  std::filesystem::path database() const;
  // The SQLite server's audit journal (audit/journal.hpp).
  std::filesystem::path audit_journal() const { return root / "audit.journal"; }
};

struct InitResult {
  // The backup recovery key's secret in printed form (backup/recovery_key.hpp). Only
  // its public half is stored; the caller shows this once and forgets it.
  std::string recovery_key;
  std::string installation_id;
  std::string created_at;
};

// `praxis init`: creates the directory (0700) or takes an existing empty one, then
// writes the commented configuration, a fresh master key, the migrated database and
// the backup recovery key's public half.
// With a passphrase, master.salt replaces master.key: nothing on disk opens the data.
// Refuses a non-empty directory and changes nothing in that case.
[[nodiscard]] core::Result<InitResult> init_data_dir(
    const DataDir& dir, std::optional<std::string> passphrase = std::nullopt);

}  // namespace praxis::app
