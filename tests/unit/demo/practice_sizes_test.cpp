// How the scale generator spreads patients over practices (issue #12).

#include <gtest/gtest.h>

#include <numeric>

#include "demo/synthetic.hpp"

namespace praxis::demo {
namespace {

std::size_t sum(const std::vector<std::size_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::size_t{0});
}

TEST(PracticeSizes, TheIncidentsScale) {
  const auto sizes = practice_sizes(3'100'000, 2'000, 3, 100'000, 2020);
  ASSERT_EQ(sizes.size(), 2000U);
  EXPECT_EQ(sum(sizes), 3'100'000U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(sizes[i], 100'000U);
  // 2.8 million over 1,997 practices: about 1,400 each, the drawn spread kept.
  const auto [small, large] = std::minmax_element(sizes.begin() + 3, sizes.end());
  EXPECT_GE(*small, 450U);
  EXPECT_LE(*large, 3'100U);
  EXPECT_GT(*large, 2 * *small);
}

TEST(PracticeSizes, SameSeedSameSizesOtherSeedOtherSizes) {
  EXPECT_EQ(practice_sizes(50'000, 30, 1, 10'000, 7), practice_sizes(50'000, 30, 1, 10'000, 7));
  EXPECT_NE(practice_sizes(50'000, 30, 1, 10'000, 7), practice_sizes(50'000, 30, 1, 10'000, 8));
}

TEST(PracticeSizes, SmallRunsStillAddUp) {
  for (std::size_t total : {1UL, 7UL, 999UL, 20'000UL}) {
    for (std::size_t practices : {1UL, 2UL, 5UL, 40UL}) {
      const auto sizes = practice_sizes(total, practices, 1, 100'000, 1);
      EXPECT_EQ(sizes.size(), practices);
      EXPECT_EQ(sum(sizes), total) << total << " over " << practices;
      // The big one never takes more than half unless it is alone.
      if (practices > 1) {
        EXPECT_LE(sizes[0], total / 2);
      }
    }
  }
  EXPECT_TRUE(practice_sizes(10, 0, 0, 0, 1).empty());
  EXPECT_EQ(practice_sizes(10, 3, 0, 0, 1).size(), 3U);
}

}  // namespace
}  // namespace praxis::demo
