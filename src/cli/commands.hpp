#pragma once
// The subcommands. Each returns the process exit code (see docs/operations.md).

#include <filesystem>
#include <optional>
#include <string>

namespace praxis::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCannotCreate = 73;  // EX_CANTCREAT
inline constexpr int kExitConfig = 78;        // EX_CONFIG

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
int run_init(const std::filesystem::path& data_dir, bool passphrase,
             const std::optional<PracticeFlags>& practice, bool json, bool demo = false);
int run_patients_import(const std::filesystem::path& data_dir, const std::string& practice_slug,
                        const std::filesystem::path& file, const std::string& encoding,
                        const std::filesystem::path& report);
int run_user_reset(const std::filesystem::path& data_dir, const std::string& email, bool json);
int run_user_invite(const std::filesystem::path& data_dir, const std::string& practice_slug,
                    const std::string& email, const std::string& role, bool json);
int run_practice_create(const std::filesystem::path& data_dir, const PracticeFlags& practice,
                        bool json);
int run_serve(const std::filesystem::path& data_dir, const std::optional<std::string>& listen);
int run_doctor(const std::filesystem::path& data_dir);
// Exit 1 when any practice's trail fails verification.
int run_audit_verify(const std::filesystem::path& data_dir, bool json);
int run_version();
int run_keys_rotate(const std::filesystem::path& data_dir, bool finish);

}  // namespace praxis::cli
