#include <gtest/gtest.h>

#include "backend.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace praxis::store::conformance {
namespace {

class SqliteInstance final : public BackendInstance {
 public:
  SqliteInstance() {
    auto s = sqlite::SqliteStore::create(dir_.path() / "conformance.db", sqlite::Synchronous::full);
    if (!s) throw std::runtime_error(s.error().internal);
    store_ = std::move(*s);
  }
  Store& store() override { return *store_; }
  void reopen() override {
    store_.reset();
    auto s = sqlite::SqliteStore::open(dir_.path() / "conformance.db", sqlite::Synchronous::full);
    if (!s) throw std::runtime_error(s.error().internal);
    store_ = std::move(*s);
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<sqlite::SqliteStore> store_;
};

Backend sqlite_backend() {
  return Backend{"sqlite", [] { return std::make_unique<SqliteInstance>(); }};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(sqlite_backend()),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, WithTwoPractices, ::testing::Values(sqlite_backend()),
                         backend_name);

}  // namespace praxis::store::conformance
