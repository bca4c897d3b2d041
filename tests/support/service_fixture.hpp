#pragma once
// What a domain-service test needs: a fresh SQLite store in a temporary directory, a
// key ring over a random master key, a clock that only moves when told to (starting at
// 2026-12-23T04:26:40Z) and real randomness.

#include <chrono>
#include <memory>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/key_ring.hpp"
#include "support/temp_dir.hpp"

namespace praxis::test {

struct ServiceFixture {
  TempDir dir;
  std::unique_ptr<store::sqlite::SqliteStore> store;
  std::unique_ptr<crypto::KeyRing> keys = fresh_key_ring();
  core::ManualClock clock{core::Instant(std::chrono::seconds(1798000000))};
  core::SystemRandom random;

  ServiceFixture() {
    auto created = store::sqlite::SqliteStore::create(dir.path() / "service.db",
                                                      store::sqlite::Synchronous::full);
    if (!created) throw std::runtime_error(created.error().internal);
    store = std::move(*created);
  }
};

}  // namespace praxis::test
