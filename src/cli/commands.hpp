#pragma once
// The subcommands. Each returns the process exit code (see docs/operations.md).

#include <filesystem>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace praxis::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCannotCreate = 73;  // EX_CANTCREAT
inline constexpr int kExitConfig = 78;        // EX_CONFIG

// Errors go to the operator's terminal, so the internal detail is shown too.
void print_error(const core::Error& e);

struct PracticeFlags {
  std::string name;
  std::string slug;
  std::string kind = "arztpraxis";
  std::string state;
  std::string bsnr;
  std::string street;
  std::string postcode;
  std::string city;
  std::optional<std::string> owner_email;
};

// With `demo`, the practice is filled with the demo data (demo::seed_practice).
// The recovery sheet goes to `recovery_sheet`, or beside the data directory
// (default_recovery_sheet_path) when that is empty.
int run_init(const std::filesystem::path& data_dir, bool passphrase,
             const std::optional<PracticeFlags>& practice, bool json, bool demo = false,
             const std::filesystem::path& recovery_sheet = {});
int run_patients_import(const std::filesystem::path& data_dir, const std::string& practice_slug,
                        const std::filesystem::path& file, const std::string& encoding,
                        const std::filesystem::path& report);
int run_user_reset(const std::filesystem::path& data_dir, const std::string& email, bool json);
int run_user_invite(const std::filesystem::path& data_dir, const std::string& practice_slug,
                    const std::string& email, const std::string& role, bool json);
int run_practice_create(const std::filesystem::path& data_dir, const PracticeFlags& practice,
                        bool json);
int run_serve(const std::filesystem::path& data_dir, const std::optional<std::string>& listen);
int run_doctor(const std::filesystem::path& data_dir, bool json = false);
// Exit 1 when any practice's trail fails verification.
int run_audit_verify(const std::filesystem::path& data_dir, bool json);
int run_store_migrate(const std::filesystem::path& data_dir, const std::string& dsn,
                      const std::string& owner_dsn, bool json);
int run_version();

// Backups (cli/backup_commands.cpp).
struct BackupFlags {
  std::filesystem::path data_dir;
  std::filesystem::path to;            // create: target directory ([backup] directory)
  std::filesystem::path file;          // verify, restore
  std::filesystem::path recovery_key;  // verify --deep, restore
  std::filesystem::path sheet;         // recovery-key
  bool deep = false;
  bool json = false;
  bool passphrase = false;  // restore: derive the new master key from one
};
int run_backup_create(const BackupFlags& flags);
int run_backup_verify(const BackupFlags& flags);
int run_backup_restore(const BackupFlags& flags);
int run_backup_recovery_key(const BackupFlags& flags);

// "<data dir>-recovery-sheet.svg" beside the data directory, never inside it.
std::filesystem::path default_recovery_sheet_path(const std::filesystem::path& data_dir);
// Writes the printable sheet (mode 0600, never overwriting).
[[nodiscard]] core::Result<void> write_recovery_sheet(const std::filesystem::path& file,
                                                      const std::string& printed,
                                                      const std::string& installation_id,
                                                      const std::string& created_at);
// Shows the key once, with what to do with it.
void print_recovery_key(const std::string& printed, const std::filesystem::path& sheet);
int run_keys_rotate(const std::filesystem::path& data_dir, bool finish);

}  // namespace praxis::cli
