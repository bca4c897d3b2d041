#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace praxis::core {

std::optional<std::chrono::seconds> RateLimiter::take(std::string_view key, const RateLimit& limit,
                                                      Instant now) {
  if (limit.per_minute <= 0) return std::nullopt;
  const double burst = std::max(1.0, limit.burst);
  const double per_second = limit.per_minute / 60.0;
  auto& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto refill = [&](Bucket& b) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    if (elapsed > 0) b.tokens = std::min(burst, b.tokens + elapsed * per_second);
    b.updated = now;
  };
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_keys_per_shard_) {
      // Drop the buckets that have refilled (clients gone quiet); if none, the oldest.
      for (auto b = shard.buckets.begin(); b != shard.buckets.end();) {
        refill(b->second);
        b = b->second.tokens >= burst ? shard.buckets.erase(b) : std::next(b);
      }
      if (shard.buckets.size() >= max_keys_per_shard_) {
        shard.buckets.erase(std::min_element(
            shard.buckets.begin(), shard.buckets.end(),
            [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; }));
      }
    }
    it = shard.buckets.emplace(std::string(key), Bucket{burst, now}).first;
  }
  Bucket& b = it->second;
  refill(b);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / per_second;
  return std::chrono::seconds(static_cast<long>(std::ceil(wait)));
}

}  // namespace praxis::core
