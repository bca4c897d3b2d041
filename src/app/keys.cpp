#include "app/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "app/config.hpp"
#include "app/store_factory.hpp"
#include "backup/backup_file.hpp"

namespace praxis::app {

using core::ErrorCode;

namespace {

constexpr std::string_view kPracticePrefix = "practice:";
constexpr std::string_view kSigningPrefix = "signing:";
constexpr std::string_view kServerSigningPurpose = "server";

bool file_exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

// Reads a passphrase and wipes it when done.
core::Result<std::string> ask(const PassphraseSource& source, std::string_view what) {
  if (!source) {
    return core::fail(ErrorCode::invalid_input,
                      "this installation's master key is derived from a "
                      "passphrase, and no " +
                          std::string(what) + " was given");
  }
  return source();
}

struct Wipe {
  std::string& secret;
  ~Wipe() { sodium_memzero(secret.data(), secret.size()); }
};

// The files that hold (or, with a passphrase, derive) the master key: the current one,
// and the new and old ones a rotation keeps beside it.
struct KeyMaterial {
  bool passphrase = false;
  std::filesystem::path current, next, old;

  static KeyMaterial of(const DataDir& dir) {
    const bool salted =
        !file_exists(dir.master_key()) &&
        (file_exists(dir.master_salt()) || file_exists(dir.root / "master.salt.next"));
    const std::filesystem::path base = salted ? dir.master_salt() : dir.master_key();
    return {salted, base, base.string() + ".next", base.string() + ".old"};
  }

  core::Result<crypto::MasterKey> load(const std::filesystem::path& file,
                                       const std::string* secret) const {
    if (!passphrase) return crypto::load_master_key_file(file);
    return crypto::derive_master_key(file, *secret);
  }

  core::Result<void> create_next(const std::string* new_passphrase) const {
    if (!passphrase) return crypto::create_master_key_file(next);
    auto created = crypto::create_passphrase_salt_file(next, *new_passphrase);
    if (!created) return tl::unexpected(created.error());
    return {};
  }
};

crypto::WrappedKey to_wrapped(const store::WrappedKeyRow& row) {
  return crypto::WrappedKey{row.key_id, row.version, row.wrapping_key_id, row.sealed};
}

store::WrappedKeyRow to_row(std::string owner, const crypto::WrappedKey& w) {
  return store::WrappedKeyRow{std::move(owner), w.key_id, w.version, w.wrapping_key_id, w.sealed};
}

core::Result<crypto::WrappedKey> rewrap(crypto::KeyRing& ring, const store::WrappedKeyRow& row) {
  const std::string_view owner = row.owner;
  crypto::CryptoResult<crypto::WrappedKey> r = tl::unexpected(crypto::CryptoError::malformed);
  if (owner.starts_with(kPracticePrefix)) {
    r = ring.rewrap_practice_key(owner.substr(kPracticePrefix.size()), to_wrapped(row));
  } else if (owner.starts_with(kSigningPrefix)) {
    r = ring.rewrap_signing_seed(owner.substr(kSigningPrefix.size()), to_wrapped(row));
  }
  if (!r) {
    return core::fail(ErrorCode::internal, "cannot re-wrap the key of " + row.owner + " (" +
                                               std::string(crypto::crypto_error_name(r.error())) +
                                               "); nothing was changed");
  }
  return *r;
}

core::Result<std::unique_ptr<store::Store>> open_configured_store(const DataDir& dir) {
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  return open_store(*config, dir);
}

}  // namespace

core::Result<DataDirLock> DataDirLock::acquire(const DataDir& dir) {
  const auto path = dir.root / "praxis.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::fail(ErrorCode::internal, "cannot open " + path.string(), core::errno_text(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return core::fail(ErrorCode::conflict, "the data directory " + dir.root.string() +
                                               " is in use by another praxis process (a running "
                                               "server?); stop it first");
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

bool uses_passphrase(const DataDir& dir) { return KeyMaterial::of(dir).passphrase; }

core::Result<std::vector<crypto::MasterKey>> load_master_keys(const DataDir& dir,
                                                              const PassphraseSource& passphrase) {
  const KeyMaterial m = KeyMaterial::of(dir);
  // The current file; if a crash left only the new one, that one is current.
  std::vector<std::filesystem::path> files;
  files.push_back(!file_exists(m.current) && file_exists(m.next) ? m.next : m.current);
  for (const auto& extra : {m.next, m.old}) {
    if (extra != files.front() && file_exists(extra)) files.push_back(extra);
  }
  std::vector<crypto::MasterKey> keys;
  if (m.passphrase) {
    // One passphrase opens one of the files: during a rotation either the old or the new.
    auto text = ask(passphrase, "passphrase");
    if (!text) return tl::unexpected(text.error());
    Wipe wipe{*text};
    std::optional<core::Error> first_error;
    for (const auto& file : files) {
      auto key = m.load(file, &wipe.secret);
      if (key) {
        keys.push_back(std::move(*key));
        return keys;
      }
      if (!first_error) first_error = key.error();
    }
    return tl::unexpected(*first_error);
  }
  for (const auto& file : files) {
    auto key = m.load(file, nullptr);
    if (!key) return tl::unexpected(key.error());
    const bool duplicate = std::any_of(keys.begin(), keys.end(),
                                       [&](const crypto::MasterKey& k) { return k.id == key->id; });
    if (!duplicate) keys.push_back(std::move(*key));
  }
  return keys;
}

core::Result<void> check_keys_open_store(store::Store& store, const crypto::KeyRing& keys) {
  std::optional<std::string> foreign;
  auto r = store::with_transaction(store, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto rows = tx.master_wrapped_keys().list();
                                     if (!rows) return tl::unexpected(rows.error());
                                     for (const auto& row : *rows) {
                                       if (!keys.knows_master(row.wrapping_key_id))
                                         foreign = row.owner;
                                     }
                                     return {};
                                   });
  if (!r) return r;
  if (foreign) {
    return core::fail(ErrorCode::invalid_input,
                      "the master key does not open this database (the key of " + *foreign +
                          " is wrapped by another one). After a passphrase change use the new "
                          "passphrase; otherwise restore the matching master key");
  }
  return {};
}

core::Result<void> ensure_server_signing_key(store::Store& store, crypto::KeyRing& keys) {
  const std::string owner = std::string(kSigningPrefix) + std::string(kServerSigningPurpose);
  return store::with_transaction(
      store, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        auto existing = tx.master_wrapped_keys().find(owner);
        if (!existing) return tl::unexpected(existing.error());
        if (*existing) return {};
        auto created = keys.create_signing_seed(kServerSigningPurpose);
        return tx.master_wrapped_keys().insert(to_row(owner, created.wrapped));
      });
}

std::optional<crypto::KeyOwner> key_owner_of(std::string_view owner) {
  if (owner.starts_with(kPracticePrefix)) {
    return crypto::KeyOwner{crypto::KeyKind::practice, owner.substr(kPracticePrefix.size()), {}};
  }
  if (owner.starts_with(kSigningPrefix)) {
    return crypto::KeyOwner{crypto::KeyKind::signing, {}, owner.substr(kSigningPrefix.size())};
  }
  return std::nullopt;
}

core::Result<crypto::KeyPtr> unwrap_master_wrapped(crypto::KeyRing& keys,
                                                   const store::WrappedKeyRow& row) {
  const auto owner = key_owner_of(row.owner);
  crypto::CryptoResult<crypto::KeyPtr> key = tl::unexpected(crypto::CryptoError::malformed);
  if (owner && owner->kind == crypto::KeyKind::practice) {
    key = keys.practice_key(owner->practice_id, to_wrapped(row));
  } else if (owner) {
    key = keys.signing_seed(owner->subject, to_wrapped(row));
  }
  if (!key) {
    return core::fail(ErrorCode::internal, "cannot unwrap the key of " + row.owner,
                      std::string(crypto::crypto_error_name(key.error())));
  }
  return *key;
}

core::Result<crypto::SigningKey> server_signing_key(store::Store& store, crypto::KeyRing& keys) {
  const std::string owner = std::string(kSigningPrefix) + std::string(kServerSigningPurpose);
  std::optional<store::WrappedKeyRow> row;
  auto r = store::with_transaction(store, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto found = tx.master_wrapped_keys().find(owner);
                                     if (!found) return tl::unexpected(found.error());
                                     row = std::move(*found);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  if (!row) return core::fail(ErrorCode::not_found, "the server has no signing key yet");
  auto seed = keys.signing_seed(kServerSigningPurpose, to_wrapped(*row));
  if (!seed) {
    return core::fail(ErrorCode::internal, "cannot unwrap the server's signing key",
                      std::string(crypto::crypto_error_name(seed.error())));
  }
  return crypto::SigningKey((*seed)->secret);
}

core::Result<RotationReport> rotate_master_key(const DataDir& dir,
                                               std::optional<RotationStep> stop_after,
                                               const RotationSecrets& secrets) {
  auto lock = DataDirLock::acquire(dir);
  if (!lock) return tl::unexpected(lock.error());
  const KeyMaterial m = KeyMaterial::of(dir);
  const bool have_next = file_exists(m.next);
  if (file_exists(m.old) && !have_next) {
    return core::fail(ErrorCode::conflict,
                      "a previous rotation is not finished: store the new key material offline, "
                      "then run praxis keys rotate --finish");
  }
  std::string current_secret, new_secret;
  Wipe wipe_current{current_secret}, wipe_new{new_secret};
  if (m.passphrase) {
    auto current = ask(secrets.current, "current passphrase");
    if (!current) return tl::unexpected(current.error());
    current_secret = std::move(*current);
    auto fresh = ask(secrets.next, "new passphrase");
    if (!fresh) return tl::unexpected(fresh.error());
    new_secret = std::move(*fresh);
  }
  // 1. The new key material, durable before anything is wrapped under it.
  if (!have_next) {
    if (auto r = m.create_next(&new_secret); !r) return tl::unexpected(r.error());
    if (auto r = backup::sync_directory(dir.root); !r) return tl::unexpected(r.error());
  }
  if (stop_after == RotationStep::wrote_next_key) return RotationReport{};
  auto next = m.load(m.next, &new_secret);
  if (!next) return tl::unexpected(next.error());
  RotationReport report;
  report.new_key_id = next->id;
  std::vector<crypto::MasterKey> masters;
  masters.push_back(std::move(*next));
  for (const auto& file : {m.current, m.old}) {
    if (!file_exists(file)) continue;
    auto key = m.load(file, &current_secret);
    if (!key) return tl::unexpected(key.error());
    if (report.old_key_id == 0) report.old_key_id = key->id;
    if (key->id != report.new_key_id) masters.push_back(std::move(*key));
  }
  crypto::KeyRing ring(std::move(masters));

  // 2. Re-wrap everything the master key wraps, all or nothing.
  auto store = open_configured_store(dir);
  if (!store) return tl::unexpected(store.error());
  auto rewrapped = store::with_transaction(
      **store, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        report.rewrapped = 0;
        auto rows = tx.master_wrapped_keys().list();
        if (!rows) return tl::unexpected(rows.error());
        for (const auto& row : *rows) {
          if (row.wrapping_key_id == report.new_key_id) continue;
          auto wrapped = rewrap(ring, row);
          if (!wrapped) return tl::unexpected(wrapped.error());
          if (auto r = tx.master_wrapped_keys().update(to_row(row.owner, *wrapped)); !r) return r;
          ++report.rewrapped;
        }
        return {};
      });
  store->reset();
  if (!rewrapped) return tl::unexpected(rewrapped.error());
  if (stop_after == RotationStep::rewrapped) return report;

  // 3. Keep the old material under its own name; the current file stays valid meanwhile.
  if (file_exists(m.current) && !file_exists(m.old)) {
    if (::link(m.current.c_str(), m.old.c_str()) != 0) {
      return core::fail(ErrorCode::internal, "cannot keep the old master key",
                        core::errno_text(errno));
    }
    if (auto r = backup::sync_directory(dir.root); !r) return tl::unexpected(r.error());
  }
  if (stop_after == RotationStep::kept_old_key) return report;

  // 4. The new material takes the old one's place, atomically.
  if (::rename(m.next.c_str(), m.current.c_str()) != 0) {
    return core::fail(ErrorCode::internal, "cannot install the new master key",
                      core::errno_text(errno));
  }
  if (auto r = backup::sync_directory(dir.root); !r) return tl::unexpected(r.error());
  return report;
}

core::Result<void> finish_rotation(const DataDir& dir, const PassphraseSource& passphrase) {
  auto lock = DataDirLock::acquire(dir);
  if (!lock) return tl::unexpected(lock.error());
  const KeyMaterial m = KeyMaterial::of(dir);
  if (file_exists(m.next)) {
    return core::fail(ErrorCode::conflict,
                      "the rotation itself is not complete; run praxis keys rotate first");
  }
  if (!file_exists(m.old)) {
    return core::fail(ErrorCode::not_found, "there is no old master key to remove");
  }
  std::string secret;
  Wipe wipe{secret};
  if (m.passphrase) {
    auto text = ask(passphrase, "passphrase");
    if (!text) return tl::unexpected(text.error());
    secret = std::move(*text);
  }
  auto current = m.load(m.current, &secret);
  if (!current) return tl::unexpected(current.error());
  auto store = open_configured_store(dir);
  if (!store) return tl::unexpected(store.error());
  std::optional<std::string> stale;
  auto checked = store::with_transaction(**store, store::TxMode::read_only,
                                         [&](store::Transaction& tx) -> core::Result<void> {
                                           auto rows = tx.master_wrapped_keys().list();
                                           if (!rows) return tl::unexpected(rows.error());
                                           for (const auto& row : *rows) {
                                             if (row.wrapping_key_id != current->id)
                                               stale = row.owner;
                                           }
                                           return {};
                                         });
  store->reset();
  if (!checked) return tl::unexpected(checked.error());
  if (stale) {
    return core::fail(ErrorCode::conflict, "the key of " + *stale +
                                               " is still wrapped by an older master key; run "
                                               "praxis keys rotate again");
  }
  if (std::filesystem::equivalent(m.old, m.current)) {
    return core::fail(ErrorCode::conflict,
                      "master.key.old is the current key; nothing was removed");
  }
  // Overwrite before unlinking, so the old key does not linger in free blocks as easily.
  const int fd = ::open(m.old.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    std::uint8_t zeros[crypto::kMasterKeyBytes] = {};
    (void)!::write(fd, zeros, sizeof zeros);
    ::fsync(fd);
    ::close(fd);
  }
  if (::unlink(m.old.c_str()) != 0) {
    return core::fail(ErrorCode::internal, "cannot remove the old master key",
                      core::errno_text(errno));
  }
  return backup::sync_directory(dir.root);
}

}  // namespace praxis::app
