#include "app/store_migrate.hpp"

#include <algorithm>

#include "app/config.hpp"
#include "app/installation.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace praxis::app {

core::Result<StoreMigration> migrate_store_to_postgres(const DataDir& dir, const std::string& dsn,
                                                       const std::string& owner_dsn,
                                                       const PassphraseSource& passphrase,
                                                       const store::CopyProgress& progress) {
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  if (config->store.backend != "sqlite") {
    return core::fail(core::ErrorCode::invalid_input,
                      "this installation already uses backend = \"" + config->store.backend +
                          "\"; store migrate copies the SQLite database of a data directory");
  }
  auto lock = DataDirLock::acquire(dir);
  if (!lock) return tl::unexpected(lock.error());
  auto masters = load_master_keys(dir, passphrase);
  if (!masters) return tl::unexpected(masters.error());
  // Both schemas at their newest migration before the copy compares them.
  if (auto source = store::sqlite::SqliteStore::open({.file = dir.database()}); !source) {
    return tl::unexpected(source.error());
  }
  auto target = store::postgres::PgStore::open({dsn, 2, owner_dsn});
  if (!target) return tl::unexpected(target.error());

  StoreMigration out;
  auto copied = store::copy_sqlite_to_postgres(dir.database(), **target, progress);
  if (!copied) return tl::unexpected(copied.error());
  out.tables = std::move(*copied);
  auto counts = store::compare_counts(dir.database(), **target);
  if (!counts) return tl::unexpected(counts.error());
  out.counts = std::move(*counts);
  out.ok = std::ranges::all_of(out.counts,
                               [](const store::TableCount& c) { return c.source == c.target; });

  crypto::KeyRing keys(std::move(*masters));
  core::SystemClock clock;
  audit::Trail trail(keys, clock, trail_options(*config));
  auto audits = verify_every_practice(**target, trail);
  if (!audits) return tl::unexpected(audits.error());
  out.audits = std::move(*audits);
  out.ok =
      out.ok && std::ranges::all_of(out.audits, [](const PracticeAudit& a) { return a.result.ok; });
  return out;
}

}  // namespace praxis::app
