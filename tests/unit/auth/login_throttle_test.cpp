#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

namespace praxis::auth {
namespace {

using std::chrono::seconds;
const core::Instant kStart{std::chrono::seconds(1798000000)};

TEST(LoginThrottle, FreeFailuresThenExponentialBackOffUpToTheCap) {
  LoginThrottle t({3, seconds(1), seconds(8)});
  auto now = kStart;
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(t.blocked("account:a", now));
    t.record_failure("account:a", now);
  }
  EXPECT_FALSE(t.blocked("account:a", now)) << "free failures";
  std::vector<long> waits;
  for (int i = 0; i < 6; ++i) {
    t.record_failure("account:a", now);
    auto wait = t.blocked("account:a", now);
    ASSERT_TRUE(wait) << "the third failure and every later one make the next attempt wait";
    waits.push_back(static_cast<long>(wait->count()));
    now += *wait;
    EXPECT_FALSE(t.blocked("account:a", now)) << "free again once the wait is over";
  }
  EXPECT_EQ(waits, (std::vector<long>{1, 2, 4, 8, 8, 8}));
  EXPECT_FALSE(t.blocked("account:b", now)) << "other keys are unaffected";
}

TEST(LoginThrottle, SuccessClearsAndOldFailuresAreForgotten) {
  LoginThrottle t({1, seconds(1), seconds(60), std::chrono::hours(1)});
  t.record_failure("k", kStart);
  EXPECT_TRUE(t.blocked("k", kStart));
  t.record_success("k");
  EXPECT_FALSE(t.blocked("k", kStart));
  EXPECT_EQ(t.failures("k"), 0);
  t.record_failure("k", kStart);
  t.record_failure("k", kStart + std::chrono::hours(2));
  EXPECT_EQ(t.failures("k"), 1) << "a failure two hours later starts afresh";
}

TEST(LoginThrottle, MemoryIsBounded) {
  LoginThrottle t({1, seconds(1), seconds(1), std::chrono::hours(1), 100});
  for (int i = 0; i < 1000; ++i) t.record_failure("k" + std::to_string(i), kStart);
  auto later = kStart + std::chrono::hours(2);
  for (int i = 0; i < 1000; ++i) t.record_failure("n" + std::to_string(i), later);
  EXPECT_EQ(t.failures("k5"), 0) << "idle entries were dropped";
}

TEST(PasswordGate, AdmitsAtMostCapacity) {
  PasswordGate gate(2);
  auto a = gate.try_enter();
  auto b = gate.try_enter();
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(gate.try_enter());
  a.reset();
  EXPECT_TRUE(gate.try_enter());
}

}  // namespace
}  // namespace praxis::auth
