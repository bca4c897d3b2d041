#pragma once
// The backup file (issue #9): one self-contained file that a thief cannot read and
// nobody can change unnoticed.
//
//   "PRAXISBK" | u8 format (1) | u32 LE header length | header (JSON, clear)
//   "PRXSTRM1" | 24-byte secretstream header | { u32 LE length | chunk ciphertext }*
//   "PRXSIG01" | 64-byte Ed25519 signature
//
// The clear header names the installation, the time, the schema version, the
// recipient (the recovery key's public half), the file key sealed to it
// (crypto_box_seal) and the signer (the server's Ed25519 key). Nothing in it is
// patient data. The stream (crypto/stream.hpp framing, XChaCha20-Poly1305 chunks of
// 64 KiB, the last tagged FINAL) decrypts to one zstd frame of
//   "PRXBKPL1" | u32 LE manifest length | manifest (JSON) | database bytes |
//   BLAKE2b-256 of the database bytes
// where the manifest carries the installation's master-wrapped keys unwrapped (so the
// recovery key alone restores; the old master key is not needed), praxis.toml, and the
// database's size. The hash follows the bytes, so the database is read only once.
// The signature covers "praxis backup v1\n" || BLAKE2b-512(every byte before it).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "backup/recovery_key.hpp"
#include "core/error.hpp"
#include "crypto/secret_key.hpp"
#include "crypto/signature.hpp"

namespace praxis::backup {

// One key of master_wrapped_keys, unwrapped (owner "practice:<id>" or "signing:<purpose>").
struct BackupKey {
  std::string owner;
  std::uint64_t key_id = 0;
  std::uint32_t version = 1;
  crypto::SecretKey secret;
};

struct BackupHeader {
  int format = 1;
  std::string created_at;  // RFC 3339, UTC
  std::string installation_id;
  std::string praxis_version;
  int schema_version = 0;
  RecipientKey recipient{};
  crypto::PublicKey signer{};
  std::vector<std::uint8_t> sealed_key;
};

struct BackupSource {
  BackupHeader header;             // recipient, signer and sealed_key are filled in
  std::filesystem::path database;  // a consistent snapshot of the SQLite database
  const std::vector<BackupKey>* keys = nullptr;
  std::string config_text;
};

struct WriteReport {
  std::uint64_t database_bytes = 0;
  std::uint64_t file_bytes = 0;
};

// Writes `target` (which must not exist): to a hidden temporary name in the same
// directory, fsynced, then renamed without replacing anything (renameat2
// RENAME_NOREPLACE) and the directory fsynced. On error nothing is left behind.
[[nodiscard]] core::Result<WriteReport> write_backup(const BackupSource& source,
                                                     const RecipientKey& recipient,
                                                     const crypto::SigningKey& signer,
                                                     const std::filesystem::path& target);

struct VerifyReport {
  BackupHeader header;
  std::uint64_t file_bytes = 0;
  std::uint64_t chunks = 0;
};

// Structure and signature, without the recovery key. invalid_input says what is wrong
// ("not a praxis backup", "truncated", "the signature does not match").
[[nodiscard]] core::Result<VerifyReport> verify_backup(const std::filesystem::path& file);

struct OpenedBackup {
  BackupHeader header;
  std::vector<BackupKey> keys;
  std::string config_text;
  std::uint64_t database_bytes = 0;
};

// verify_backup, then decrypts with the recovery key and writes the database to
// `database_out` (created 0600; must not exist). A wrong key, a damaged or truncated
// stream, or a hash mismatch is an error, and `database_out` is removed.
[[nodiscard]] core::Result<OpenedBackup> open_backup(const std::filesystem::path& file,
                                                     const RecoveryKey& key,
                                                     const std::filesystem::path& database_out);

// fsync of a directory, so a rename or a new file in it survives a power cut.
[[nodiscard]] core::Result<void> sync_directory(const std::filesystem::path& dir);

// Writes `file` (must not exist) with `text`, mode 0600, fsynced: for sheets and keys.
[[nodiscard]] core::Result<void> write_private_file(const std::filesystem::path& file,
                                                    std::string_view text);

}  // namespace praxis::backup
