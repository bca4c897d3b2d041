// The availability cache: when an entry may be reused (same configuration snapshot, no
// change of its owners' busy times in its window since it was read, younger than the
// TTL), the clock's limits cut per answer, the size bound and the joined texts.

#include "scheduling/availability_cache.hpp"

#include <gtest/gtest.h>

#include <random>

namespace praxis::scheduling {
namespace {

using std::chrono::minutes;
using Steady = std::chrono::steady_clock;

constexpr std::int64_t kHour = 3600;

Instant at(std::int64_t seconds) { return Instant(std::chrono::seconds(seconds)); }

// An entry of `count` slots every 15 minutes from t=0 for practitioner "p1" needing room
// "r1", read over [0, 100 h).
std::shared_ptr<FreeStarts> entry(std::size_t count = 4,
                                  std::shared_ptr<const void> snapshot = nullptr) {
  auto e = std::make_shared<FreeStarts>();
  for (std::size_t i = 0; i < count; ++i) {
    e->slots.push_back({at(static_cast<std::int64_t>(i) * 900), "p1"});
  }
  e->owners = {"p1", "r1"};
  e->window_from = 0;
  e->window_to = 100 * kHour;
  e->snapshot = snapshot;
  return e;
}

struct Fixture : ::testing::Test {
  AvailabilityCache cache;
  std::shared_ptr<const int> config = std::make_shared<int>(0);  // a configuration snapshot
  Steady::time_point now = Steady::now();

  void put(const std::string& key, std::shared_ptr<FreeStarts> e, std::uint64_t sequence) {
    cache.put("practice", key, std::move(e), sequence, now);
  }
  bool hit(const std::string& key) {
    return cache.find(key, config.get(), now) != nullptr;
  }
};

TEST_F(Fixture, AnEntryIsReusedUntilItsSnapshotIsReplacedOrItIsTooOld) {
  put("k", entry(4, config), cache.sequence("practice"));
  EXPECT_TRUE(hit("k"));
  const auto other = std::make_shared<int>(0);
  EXPECT_EQ(cache.find("k", other.get(), now), nullptr);  // a new configuration
  EXPECT_FALSE(hit("k"));                                             // and the entry is gone
  put("k", entry(4, config), cache.sequence("practice"));
  now += AvailabilityCache::kTtl - std::chrono::milliseconds(1);
  EXPECT_TRUE(hit("k"));
  now += std::chrono::milliseconds(1);
  EXPECT_FALSE(hit("k"));  // another server may have booked in the meantime
  EXPECT_FALSE(hit("never stored"));
}

// Snapshots are compared by address: a replaced snapshot's memory must not be reused for
// its successor while an entry computed from it could still be found.
TEST_F(Fixture, AnEntryKeepsItsSnapshotAlive) {
  auto old_config = std::make_shared<int>(1);
  const std::weak_ptr<int> watch = old_config;
  put("k", entry(4, old_config), cache.sequence("practice"));
  old_config.reset();  // the service replaced its snapshot
  EXPECT_FALSE(watch.expired());
  EXPECT_FALSE(hit("k"));  // another snapshot: the entry goes, and its snapshot with it
  EXPECT_TRUE(watch.expired());
}

TEST_F(Fixture, AChangeDropsOnlyTheEntriesOfItsOwnersInTheirWindow) {
  put("k", entry(4, config), cache.sequence("practice"));
  cache.changed("practice", {"p2"}, 0, 10 * kHour);  // another practitioner
  EXPECT_TRUE(hit("k"));
  cache.changed("practice", {"p1"}, 100 * kHour, 101 * kHour);  // after the window
  cache.changed("practice", {"p1"}, -kHour, 0);                 // before it (half-open)
  EXPECT_TRUE(hit("k"));
  cache.changed("other practice", {"p1"}, 0, kHour);
  EXPECT_TRUE(hit("k"));
  cache.changed("practice", {"p9", "r1"}, 99 * kHour, 100 * kHour);  // its room, last hour
  EXPECT_FALSE(hit("k"));

  put("k", entry(4, config), cache.sequence("practice"));
  cache.changed("practice", {}, 50 * kHour, 51 * kHour);  // everyone's
  EXPECT_FALSE(hit("k"));
}

TEST_F(Fixture, AChangeBetweenTheReadAndThePutKeepsTheEntryOut) {
  const auto before = cache.sequence("practice");
  cache.changed("practice", {"p1"}, 0, kHour);  // committed while the entry was computed
  put("k", entry(4, config), before);
  EXPECT_FALSE(hit("k"));
  EXPECT_EQ(cache.size(), 0U);
  // An unrelated change in between does not.
  const auto later = cache.sequence("practice");
  cache.changed("practice", {"p2"}, 0, kHour);
  put("k", entry(4, config), later);
  EXPECT_TRUE(hit("k"));
}

TEST_F(Fixture, AnEntryOlderThanTheChangeLogIsNotTrusted) {
  put("k", entry(4, config), cache.sequence("practice"));
  for (std::size_t i = 0; i <= AvailabilityCache::kLogSize; ++i) {
    cache.changed("practice", {"p2"}, 0, kHour);
  }
  EXPECT_FALSE(hit("k"));
  // Checked entries keep up with the log: unrelated changes never drop them.
  put("k", entry(4, config), cache.sequence("practice"));
  for (std::size_t i = 0; i < 3 * AvailabilityCache::kLogSize; ++i) {
    cache.changed("practice", {"p2"}, 0, kHour);
    if (i % (AvailabilityCache::kLogSize / 2) == 0) {
      ASSERT_TRUE(hit("k")) << i;
    }
  }
}

TEST(AvailabilityCache, HoldsAtMostItsSlotBudgetDroppingTheLeastRecentlyUsed) {
  AvailabilityCache cache(10);
  const auto now = Steady::now();
  cache.put("p", "a", entry(4), 0, now);
  cache.put("p", "b", entry(4), 0, now);
  EXPECT_NE(cache.find("a", nullptr, now), nullptr);  // a is now the most recent
  cache.put("p", "c", entry(4), 0, now);                   // 12 slots: b must go
  EXPECT_EQ(cache.find("b", nullptr, now), nullptr);
  EXPECT_NE(cache.find("a", nullptr, now), nullptr);
  EXPECT_NE(cache.find("c", nullptr, now), nullptr);
  EXPECT_EQ(cache.slots_held(), 8U);
  cache.put("p", "huge", entry(11), 0, now);  // larger than the budget: not kept
  EXPECT_EQ(cache.find("huge", nullptr, now), nullptr);
  cache.put("p", "a", entry(2), 0, now);  // replacing an entry frees its slots
  EXPECT_EQ(cache.slots_held(), 6U);
  EXPECT_EQ(cache.size(), 2U);
}

// current() must give exactly the starts the slot engine gives at `now`: at or after
// now + notice, before now + horizon.
TEST(FreeStarts, CurrentCutsNoticeAndHorizonAsTheSlotEngineDoes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    FreeStarts f;
    std::int64_t t = 0;
    const int count = static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      t += static_cast<std::int64_t>(rng() % 4) * 300;  // equal starts happen ("any")
      f.slots.push_back({at(t), "p" + std::to_string(rng() % 3)});
    }
    f.min_notice = minutes(static_cast<int>(rng() % 120));
    f.horizon = date::days(static_cast<int>(rng() % 2));
    const Instant now = at(static_cast<std::int64_t>(rng() % 20000) - 5000);
    std::vector<Slot> want;
    for (const auto& s : f.slots) {
      if (s.start >= now + f.min_notice && s.start < now + f.horizon) want.push_back(s);
    }
    const auto [first, last] = f.current(now);
    ASSERT_LE(first, last);
    const std::vector<Slot> got(f.slots.begin() + static_cast<std::ptrdiff_t>(first),
                                f.slots.begin() + static_cast<std::ptrdiff_t>(last));
    ASSERT_EQ(got, want) << "round " << round;
  }
}

TEST(FreeStarts, JoinedRendersEachSlotOnceAndCutsAnyRange) {
  auto f = entry(3);
  int calls = 0;
  const FreeStarts::Render render = [&](std::string& out, const Slot& s) {
    ++calls;
    out += "<" + std::to_string(s.start.time_since_epoch().count()) + ">";
  };
  EXPECT_EQ(f->joined(0, 3, render), "<0>,<900>,<1800>");
  EXPECT_EQ(f->joined(1, 3, render), "<900>,<1800>");
  EXPECT_EQ(f->joined(0, 1, render), "<0>");
  EXPECT_EQ(f->joined(1, 2, render), "<900>");
  EXPECT_EQ(f->joined(2, 2, render), "");
  EXPECT_EQ(calls, 3);
  FreeStarts none;
  EXPECT_EQ(none.joined(0, 0, render), "");
}

}  // namespace
}  // namespace praxis::scheduling
