#pragma once
// What the conformance suite needs from an adapter: a fresh, migrated, empty store
// that can be closed and opened again (to check durability).

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace praxis::store::conformance {

class BackendInstance {
 public:
  virtual ~BackendInstance() = default;
  virtual Store& store() = 0;
  // Closes the store and opens the same database again.
  virtual void reopen() = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<BackendInstance>()> make;
};

// The fixture every conformance test uses; instantiated once per backend.
class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { instance_ = GetParam().make(); }
  Store& store() { return instance_->store(); }

  core::Result<void> put(std::string key, std::string value) {
    return with_transaction(store(), TxMode::read_write,
                            [&](Transaction& tx) { return tx.meta().put(key, value); });
  }
  std::optional<std::string> get(const std::string& key) {
    std::optional<std::string> out;
    auto r =
        with_transaction(store(), TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
          auto v = tx.meta().get(key);
          if (!v) return tl::unexpected(v.error());
          out = *v;
          return {};
        });
    EXPECT_TRUE(r) << r.error().internal;
    return out;
  }
  std::vector<WrappedKeyRow> keys() {
    std::vector<WrappedKeyRow> out;
    EXPECT_TRUE(
        with_transaction(store(), TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
          auto rows = tx.master_wrapped_keys().list();
          if (!rows) return tl::unexpected(rows.error());
          out = *rows;
          return {};
        }));
    return out;
  }

  std::unique_ptr<BackendInstance> instance_;
};

// The conformance fixture with two practices ("p-1"/eins and "p-2"/zwei) already stored,
// for ports whose rows belong to a practice.
class WithTwoPractices : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    auto r =
        with_transaction(store(), TxMode::read_write, [](Transaction& tx) -> core::Result<void> {
          for (const auto& [id, slug] : {std::pair{"p-1", "eins"}, std::pair{"p-2", "zwei"}}) {
            PracticeRow p{id,
                          slug,
                          "Praxis " + std::string(slug),
                          "arztpraxis",
                          "",
                          "",
                          "",
                          std::nullopt,
                          "BE",
                          "2026-11-27T10:00:00Z",
                          1};
            if (auto inserted = tx.practices().insert(p); !inserted) return inserted;
          }
          return {};
        });
    ASSERT_TRUE(r) << r.error().internal;
  }
};

// So test names and failure messages show "sqlite" rather than the struct's bytes.
inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

inline std::string backend_name(const testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

}  // namespace praxis::store::conformance
