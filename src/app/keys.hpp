#pragma once
// Master keys of a data directory and their rotation (`praxis keys rotate`).
//
// Files: master.key (current) — or master.salt for a passphrase-derived key — and during
// a rotation master.key.next / master.salt.next (the new material, written first) and
// master.key.old / master.salt.old (the previous one, kept until --finish).
//
// Rotation, each step durable before the next (fsync of file and directory):
//   1. write master.key.next (a fresh random key)
//   2. re-wrap every row of master_wrapped_keys under it, in one transaction
//   3. hard-link master.key to master.key.old
//   4. rename master.key.next over master.key
// A crash anywhere leaves keys that open the database: load_master_keys accepts all
// three files, and running `praxis keys rotate` again resumes where it stopped.
// Data and the data keys themselves never change; only their wrapping does.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/data_dir.hpp"
#include "core/error.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/master_key.hpp"
#include "crypto/signature.hpp"
#include "store/store.hpp"

namespace praxis::app {

// An exclusive lock on the data directory (praxis.lock, flock): one server, or one
// maintenance command, at a time. Released on destruction.
class DataDirLock {
 public:
  [[nodiscard]] static core::Result<DataDirLock> acquire(const DataDir& dir);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Supplies the passphrase of a passphrase-derived master key (terminal prompt, stdin,
// systemd credential); only asked when the data directory has master.salt.
using PassphraseSource = std::function<core::Result<std::string>()>;

// True if the master key is derived from a passphrase (master.salt, no master.key).
bool uses_passphrase(const DataDir& dir);

// The current master key first, then keys an unfinished rotation left behind.
// In passphrase mode the key is derived from `passphrase()`; a wrong one is refused.
[[nodiscard]] core::Result<std::vector<crypto::MasterKey>> load_master_keys(
    const DataDir& dir, const PassphraseSource& passphrase = {});

// Creates the server-wide signing seed (backups, exports) if the database has none.
[[nodiscard]] core::Result<void> ensure_server_signing_key(store::Store& store,
                                                           crypto::KeyRing& keys);

// What a master_wrapped_keys row's owner ("practice:<id>", "signing:<purpose>") binds
// its key to; nullopt for an unknown owner.
std::optional<crypto::KeyOwner> key_owner_of(std::string_view owner);

// Unwraps a master_wrapped_keys row with whichever of the ring's master keys sealed it.
[[nodiscard]] core::Result<crypto::KeyPtr> unwrap_master_wrapped(crypto::KeyRing& keys,
                                                                 const store::WrappedKeyRow& row);

// The server-wide Ed25519 key that signs backups (created by ensure_server_signing_key).
[[nodiscard]] core::Result<crypto::SigningKey> server_signing_key(store::Store& store,
                                                                  crypto::KeyRing& keys);

enum class RotationStep { wrote_next_key, rewrapped, kept_old_key, replaced };

struct RotationReport {
  std::size_t rewrapped = 0;
  std::uint64_t old_key_id = 0;
  std::uint64_t new_key_id = 0;
};

// For passphrase installations: the current passphrase and the new one.
struct RotationSecrets {
  PassphraseSource current;
  PassphraseSource next;
};

// Runs (or resumes) a rotation. `stop_after` ends it early, as a crash would (tests).
// With a key file the new key is random; with a passphrase it is derived from the new
// passphrase (master.salt.next, then master.salt), and the old salt is kept as
// master.salt.old until --finish.
[[nodiscard]] core::Result<RotationReport> rotate_master_key(
    const DataDir& dir, std::optional<RotationStep> stop_after = std::nullopt,
    const RotationSecrets& secrets = {});

// Deletes the old key material once no key is wrapped by it any more (passphrase
// installations give the current passphrase to prove which key is current).
[[nodiscard]] core::Result<void> finish_rotation(const DataDir& dir,
                                                 const PassphraseSource& passphrase = {});

// Refuses keys that do not open the database (every master-wrapped key must be wrapped
// by one of them): e.g. the old passphrase after a passphrase change.
[[nodiscard]] core::Result<void> check_keys_open_store(store::Store& store,
                                                       const crypto::KeyRing& keys);

}  // namespace praxis::app
