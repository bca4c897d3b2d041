#include "app/store_factory.hpp"

#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace praxis::app {

core::Result<std::unique_ptr<store::Store>> open_store(const Config& config, const DataDir& dir,
                                                       StoreUse use) {
  if (config.store.backend == "postgres") {
    auto pg = store::postgres::PgStore::open({config.store.postgres_dsn,
                                              static_cast<int>(config.store.postgres_connections),
                                              config.store.postgres_owner_dsn});
    if (!pg) return tl::unexpected(pg.error());
    return std::unique_ptr<store::Store>(std::move(*pg));
  }
  store::sqlite::SqliteOptions options;
  options.file = dir.database();
  options.synchronous = config.store.sqlite_synchronous == "normal"
                            ? store::sqlite::Synchronous::normal
                            : store::sqlite::Synchronous::full;
  if (use == StoreUse::scan) options.reader_mmap_bytes = store::sqlite::kScanMmapBytes;
  auto sqlite = store::sqlite::SqliteStore::open(options);
  if (!sqlite) return tl::unexpected(sqlite.error());
  return std::unique_ptr<store::Store>(std::move(*sqlite));
}

}  // namespace praxis::app
