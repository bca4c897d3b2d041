#pragma once
// Per-key limits (issue #7 public endpoints, issue #9 deletes per user): a token bucket per
// key (e.g. "book:<client address>") that refills at `per_minute` and holds at most
// `burst`. Memory is bounded: past max_keys, full buckets (idle clients) are dropped
// first. Per process, like the login throttle. Thread-safe; sharded so concurrent
// clients rarely share a lock.

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace praxis::core {

struct RateLimit {
  double per_minute = 60;  // 0: unlimited
  double burst = 20;
};

class RateLimiter {
 public:
  explicit RateLimiter(std::size_t max_keys = 100000)
      : max_keys_per_shard_(max_keys / kShards + 1) {}

  // nullopt when the request may go ahead (one token taken); otherwise how long until
  // the next token.
  std::optional<std::chrono::seconds> take(std::string_view key, const RateLimit& limit,
                                           Instant now);

 private:
  static constexpr std::size_t kShards = 16;
  struct Bucket {
    double tokens = 0;
    Instant updated{};
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  std::size_t max_keys_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace praxis::core
