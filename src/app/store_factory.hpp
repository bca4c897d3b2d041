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

[[nodiscard]] core::Result<std::unique_ptr<store::Store>> open_store(const Config& config,
                                                                     const DataDir& dir);

}  // namespace praxis::app
