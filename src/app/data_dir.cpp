#include "app/data_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "app/backup_admin.hpp"
#include "app/config.hpp"
#include "app/keys.hpp"
#include "backup/backup_file.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/master_key.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace praxis::app {

using core::ErrorCode;

std::filesystem::path DataDir::master_key() const { return root / crypto::kMasterKeyFileName; }
std::filesystem::path DataDir::master_salt() const { return root / crypto::kMasterSaltFileName; }
std::filesystem::path DataDir::database() const { return root / store::sqlite::kDatabaseFileName; }

core::Result<InitResult> init_data_dir(const DataDir& dir, std::optional<std::string> passphrase) {
  if (passphrase && passphrase->size() < 12) {
    return core::fail(ErrorCode::invalid_input, "the passphrase must have at least 12 characters");
  }
  std::error_code ec;
  if (std::filesystem::exists(dir.root, ec)) {
    if (!std::filesystem::is_directory(dir.root, ec)) {
      return core::fail(ErrorCode::invalid_input,
                        dir.root.string() + " exists and is not a directory");
    }
    if (!std::filesystem::is_empty(dir.root, ec)) {
      return core::fail(ErrorCode::conflict,
                        dir.root.string() +
                            " is not empty; praxis init only creates new data directories "
                            "(nothing was changed)");
    }
  } else {
    if (!dir.root.parent_path().empty())
      std::filesystem::create_directories(dir.root.parent_path(), ec);
    if (::mkdir(dir.root.c_str(), 0700) != 0) {
      return core::fail(ErrorCode::internal,
                        "cannot create " + dir.root.string() + ": " + core::errno_text(errno));
    }
  }
  if (::chmod(dir.root.c_str(), 0700) != 0) {
    return core::fail(ErrorCode::internal, "cannot restrict " + dir.root.string() + " to 0700");
  }
  if (auto r = backup::write_private_file(dir.config(), default_config_text()); !r)
    return tl::unexpected(r.error());
  std::vector<crypto::MasterKey> masters;
  if (passphrase) {
    auto created = crypto::create_passphrase_salt_file(dir.master_salt(), *passphrase);
    if (!created) return tl::unexpected(created.error());
    masters.push_back(std::move(*created));
  } else {
    if (auto r = crypto::create_master_key_file(dir.master_key()); !r)
      return tl::unexpected(r.error());
    auto loaded = crypto::load_master_key_file(dir.master_key());
    if (!loaded) return tl::unexpected(loaded.error());
    masters.push_back(std::move(*loaded));
  }
  auto db = store::sqlite::SqliteStore::create(dir.database(), store::sqlite::Synchronous::full);
  if (!db) return tl::unexpected(db.error());
  core::SystemRandom random;
  const std::string installation_id = core::random_hex(random, 16);
  const std::string created_at = core::to_iso8601(core::SystemClock().now());
  auto meta = store::with_transaction(**db, store::TxMode::read_write, [&](store::Transaction& tx) {
    if (auto r = tx.meta().put("installation_id", installation_id); !r) return r;
    return tx.meta().put("created_at", created_at);
  });
  if (!meta) return tl::unexpected(meta.error());
  crypto::KeyRing keys(std::move(masters));
  if (auto r = ensure_server_signing_key(**db, keys); !r) return tl::unexpected(r.error());
  auto recovery = install_recovery_key(**db);
  if (!recovery) return tl::unexpected(recovery.error());
  return InitResult{std::move(*recovery), installation_id, created_at};
}

}  // namespace praxis::app
