#pragma once
// A key ring over a fresh random master key, for tests that need keys but no data
// directory.

#include <memory>
#include <vector>

#include "crypto/key_ring.hpp"

namespace praxis::test {

inline std::unique_ptr<crypto::KeyRing> fresh_key_ring() {
  std::vector<crypto::MasterKey> masters;
  auto key = crypto::SecretKey::random();
  const auto id = crypto::key_id_of(key);
  masters.push_back({std::move(key), id});
  return std::make_unique<crypto::KeyRing>(std::move(masters));
}

}  // namespace praxis::test
