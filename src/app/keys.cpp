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

namespace praxis::app {

using core::ErrorCode;

namespace {

constexpr std::string_view kPracticePrefix = "practice:";
constexpr std::string_view kSigningPrefix = "signing:";
constexpr std::string_view kServerSigningPurpose = "server";

std::filesystem::path next_key_path(const DataDir& dir) { return dir.root / "master.key.next"; }
std::filesystem::path old_key_path(const DataDir& dir) { return dir.root / "master.key.old"; }

bool file_exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

core::Result<void> sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return core::fail(ErrorCode::internal, "cannot sync directory " + dir.string(),
                      core::errno_text(errno));
  }
  ::close(fd);
  return {};
}

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

bool uses_passphrase(const DataDir& dir) {
  return !file_exists(dir.master_key()) && file_exists(dir.master_salt());
}

core::Result<std::vector<crypto::MasterKey>> load_master_keys(const DataDir& dir,
                                                              const PassphraseSource& passphrase) {
  if (uses_passphrase(dir)) {
    if (!passphrase) {
      return core::fail(ErrorCode::invalid_input,
                        "this installation's master key is derived from a passphrase, and none "
                        "was given");
    }
    auto text = passphrase();
    if (!text) return tl::unexpected(text.error());
    struct Wipe {
      std::string& secret;
      ~Wipe() { sodium_memzero(secret.data(), secret.size()); }
    } wipe{*text};
    auto key = crypto::derive_master_key(dir.master_salt(), wipe.secret);
    if (!key) return tl::unexpected(key.error());
    std::vector<crypto::MasterKey> keys;
    keys.push_back(std::move(*key));
    return keys;
  }
  // master.key is current; if a crash left only master.key.next, that one is.
  std::vector<std::filesystem::path> paths;
  paths.push_back(!file_exists(dir.master_key()) && file_exists(next_key_path(dir))
                      ? next_key_path(dir)
                      : dir.master_key());
  for (const auto& extra : {next_key_path(dir), old_key_path(dir)}) {
    if (extra != paths.front() && file_exists(extra)) paths.push_back(extra);
  }
  std::vector<crypto::MasterKey> keys;
  for (const auto& path : paths) {
    auto key = crypto::load_master_key_file(path);
    if (!key) return tl::unexpected(key.error());
    const bool duplicate = std::any_of(keys.begin(), keys.end(),
                                       [&](const crypto::MasterKey& k) { return k.id == key->id; });
    if (!duplicate) keys.push_back(std::move(*key));
  }
  return keys;
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

core::Result<RotationReport> rotate_master_key(const DataDir& dir,
                                               std::optional<RotationStep> stop_after) {
  auto lock = DataDirLock::acquire(dir);
  if (!lock) return tl::unexpected(lock.error());
  if (uses_passphrase(dir)) {
    return core::fail(ErrorCode::invalid_input,
                      "this installation derives its master key from a passphrase; rotating it "
                      "(a new passphrase) is not supported yet. Nothing was changed");
  }
  const bool have_next = file_exists(next_key_path(dir));
  if (file_exists(old_key_path(dir)) && !have_next) {
    return core::fail(ErrorCode::conflict,
                      "a previous rotation is not finished: store the new master.key offline, "
                      "then run praxis keys rotate --finish");
  }
  // 1. The new key, durable before anything is wrapped under it.
  if (!have_next) {
    if (auto r = crypto::create_master_key_file(next_key_path(dir)); !r)
      return tl::unexpected(r.error());
    if (auto r = sync_directory(dir.root); !r) return tl::unexpected(r.error());
  }
  if (stop_after == RotationStep::wrote_next_key) return RotationReport{};
  auto next = crypto::load_master_key_file(next_key_path(dir));
  if (!next) return tl::unexpected(next.error());
  auto loaded = load_master_keys(dir);
  if (!loaded) return tl::unexpected(loaded.error());
  RotationReport report;
  report.new_key_id = next->id;
  report.old_key_id = loaded->front().id;
  std::vector<crypto::MasterKey> masters;
  masters.push_back(std::move(*next));
  for (auto& k : *loaded) {
    if (k.id != report.new_key_id) masters.push_back(std::move(k));
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

  // 3. Keep the old key under its own name; master.key stays valid meanwhile.
  if (file_exists(dir.master_key()) && !file_exists(old_key_path(dir))) {
    if (::link(dir.master_key().c_str(), old_key_path(dir).c_str()) != 0) {
      return core::fail(ErrorCode::internal, "cannot keep the old master key",
                        core::errno_text(errno));
    }
    if (auto r = sync_directory(dir.root); !r) return tl::unexpected(r.error());
  }
  if (stop_after == RotationStep::kept_old_key) return report;

  // 4. The new key takes the old one's place, atomically.
  if (::rename(next_key_path(dir).c_str(), dir.master_key().c_str()) != 0) {
    return core::fail(ErrorCode::internal, "cannot install the new master key",
                      core::errno_text(errno));
  }
  if (auto r = sync_directory(dir.root); !r) return tl::unexpected(r.error());
  return report;
}

core::Result<void> finish_rotation(const DataDir& dir) {
  auto lock = DataDirLock::acquire(dir);
  if (!lock) return tl::unexpected(lock.error());
  if (file_exists(next_key_path(dir))) {
    return core::fail(ErrorCode::conflict,
                      "the rotation itself is not complete; run praxis keys rotate first");
  }
  if (!file_exists(old_key_path(dir))) {
    return core::fail(ErrorCode::not_found, "there is no old master key to remove");
  }
  auto current = crypto::load_master_key_file(dir.master_key());
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
  if (std::filesystem::equivalent(old_key_path(dir), dir.master_key())) {
    return core::fail(ErrorCode::conflict,
                      "master.key.old is the current key; nothing was removed");
  }
  // Overwrite before unlinking, so the old key does not linger in free blocks as easily.
  const int fd = ::open(old_key_path(dir).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    std::uint8_t zeros[crypto::kMasterKeyBytes] = {};
    (void)!::write(fd, zeros, sizeof zeros);
    ::fsync(fd);
    ::close(fd);
  }
  if (::unlink(old_key_path(dir).c_str()) != 0) {
    return core::fail(ErrorCode::internal, "cannot remove the old master key",
                      core::errno_text(errno));
  }
  return sync_directory(dir.root);
}

}  // namespace praxis::app
