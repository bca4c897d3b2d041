// The public endpoints' token buckets (issue #7): a burst, then the refill rate; keys are
// independent; 0 means unlimited; memory stays bounded.

#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace praxis::core {
namespace {

const Instant kT0{std::chrono::seconds(1'800'000'000)};

TEST(RateLimiter, ABurstThenTheRefillRate) {
  RateLimiter limiter;
  const RateLimit limit{6, 3};  // one every 10 s, three at once
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("a", limit, kT0)) << i;
  auto wait = limiter.take("a", limit, kT0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 10);
  EXPECT_TRUE(limiter.take("a", limit, kT0 + std::chrono::seconds(9)));
  EXPECT_FALSE(limiter.take("a", limit, kT0 + std::chrono::seconds(10)));
  EXPECT_FALSE(limiter.take("b", limit, kT0)) << "another client has its own bucket";
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.take("a", limit, kT0 + std::chrono::hours(1))) << "never above burst";
  }
  EXPECT_TRUE(limiter.take("a", limit, kT0 + std::chrono::hours(1)));
}

TEST(RateLimiter, ZeroMeansUnlimited) {
  RateLimiter limiter;
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.take("a", {0, 1}, kT0));
}

TEST(RateLimiter, ManyClientsDoNotGrowItWithoutBound) {
  RateLimiter limiter(160);
  const RateLimit limit{60, 2};
  for (int i = 0; i < 10000; ++i) {
    EXPECT_FALSE(limiter.take("client-" + std::to_string(i), limit, kT0 + std::chrono::seconds(i)));
  }
  // The newest client still has its bucket (one request taken, one left).
  EXPECT_FALSE(limiter.take("client-9999", limit, kT0 + std::chrono::seconds(9999)));
  EXPECT_TRUE(limiter.take("client-9999", limit, kT0 + std::chrono::seconds(9999)));
}

}  // namespace
}  // namespace praxis::core
