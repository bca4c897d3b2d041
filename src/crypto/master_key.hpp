#pragma once
// The master key: the root of the key hierarchy (DESIGN.md §3). It wraps every
// practice key; whoever has the database but not the master key learns nothing.
//
// Two sources:
// - a key file: 32 random bytes, mode 0600, in the data directory (the default);
// - a passphrase, stretched with Argon2id; the data directory then only holds a salt
//   file (salt, cost parameters, and a check value that recognises a wrong passphrase).
// The key id identifies a master key without revealing it (BLAKE2b keyed by the key),
// so wrapped keys record which master key wrapped them (needed for rotation).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/error.hpp"
#include "crypto/secret_key.hpp"

namespace praxis::crypto {

inline constexpr std::size_t kMasterKeyBytes = kKeyBytes;
inline constexpr const char* kMasterKeyFileName = "master.key";
inline constexpr const char* kMasterSaltFileName = "master.salt";

struct MasterKey {
  SecretKey key;
  std::uint64_t id = 0;
};

// The id of any key: the first 8 bytes of BLAKE2b(key, "praxis.key.id"), little-endian.
std::uint64_t key_id_of(const SecretKey& key);

// Creates `path` with fresh random key material, mode 0600, and fsyncs it.
// Fails (and changes nothing) if the file already exists.
[[nodiscard]] core::Result<void> create_master_key_file(const std::filesystem::path& path);

// Checks what `praxis serve` and `praxis doctor` insist on: a regular file owned by
// this user, not accessible by group or others, exactly 32 bytes. The message says
// how to fix it.
[[nodiscard]] core::Result<void> check_master_key_file(const std::filesystem::path& path);

// check_master_key_file, then reads the key into guarded memory.
[[nodiscard]] core::Result<MasterKey> load_master_key_file(const std::filesystem::path& path);

// Argon2id cost for passphrase-derived master keys: libsodium's "moderate" preset
// (3 passes over 256 MiB, about half a second here). Derivation happens once per
// start, so it can afford far more than a login.
struct PassphraseCost {
  std::uint64_t opslimit = 3;
  std::size_t memlimit = std::size_t{256} * 1024 * 1024;
};

// Creates the salt file for `passphrase` (mode 0600, never overwritten) and returns
// the derived master key. Passphrases shorter than 12 characters are refused.
[[nodiscard]] core::Result<MasterKey> create_passphrase_salt_file(const std::filesystem::path& path,
                                                                  std::string_view passphrase,
                                                                  PassphraseCost cost = {});

// Derives the master key from `passphrase` and the salt file; a wrong passphrase is
// an error ("wrong passphrase"), as is a damaged or group/world-readable salt file.
[[nodiscard]] core::Result<MasterKey> derive_master_key(const std::filesystem::path& salt_path,
                                                        std::string_view passphrase);

}  // namespace praxis::crypto
