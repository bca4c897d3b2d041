#pragma once
// The master key file: 32 random bytes, mode 0600, in the data directory.
// It wraps every practice key (DESIGN.md §3); whoever has the database but not this
// file learns nothing. The full key hierarchy builds on this file (issue #3).

#include <cstddef>
#include <filesystem>

#include "core/error.hpp"

namespace praxis::crypto {

inline constexpr std::size_t kMasterKeyBytes = 32;
inline constexpr const char* kMasterKeyFileName = "master.key";

// Initialises libsodium; safe to call more than once. Throws if it cannot.
void init_sodium();

// Creates `path` with fresh random key material, mode 0600, and fsyncs it.
// Fails (and changes nothing) if the file already exists.
[[nodiscard]] core::Result<void> create_master_key_file(const std::filesystem::path& path);

// Checks what `praxis serve` and `praxis doctor` insist on: a regular file owned by
// this user, not readable or writable by group or others, exactly 32 bytes.
// The error message says how to fix it.
[[nodiscard]] core::Result<void> check_master_key_file(const std::filesystem::path& path);

}  // namespace praxis::crypto
