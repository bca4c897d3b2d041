#pragma once
// Opens the store the configuration names: the SQLite file in the data directory, or
// the PostgreSQL server of [store] postgres_dsn. Either way pending migrations are
// applied, and the caller sees only the ports of store/store.hpp.

#include <memory>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "core/error.hpp"
#include "store/store.hpp"

namespace praxis::app {

// What the store is opened for. `scan`: a command that reads the whole database once
// (`praxis audit verify`, which doctor and the restore drill run); a SQLite store then
// maps its file for the readers (SqliteOptions::reader_mmap_bytes).
enum class StoreUse { serve, scan };

[[nodiscard]] core::Result<std::unique_ptr<store::Store>> open_store(
    const Config& config, const DataDir& dir, StoreUse use = StoreUse::serve);

}  // namespace praxis::app
