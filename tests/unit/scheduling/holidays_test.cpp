// German public holidays per ../shared/reference/german-domain.md §7.

#include "scheduling/holidays.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace praxis::scheduling {
namespace {

using date::sys_days;

sys_days d(int y, unsigned m, unsigned day) {
  return sys_days(date::year(y) / date::month(m) / date::day(day));
}

bool has(const std::vector<Holiday>& list, sys_days day, std::string_view name = {}) {
  return std::any_of(list.begin(), list.end(), [&](const Holiday& h) {
    return h.day == day && (name.empty() || h.name == name);
  });
}

TEST(Holidays, EasterByTheGregorianAlgorithm) {
  EXPECT_EQ(easter_sunday(2024), date::year(2024) / 3 / 31);
  EXPECT_EQ(easter_sunday(2025), date::year(2025) / 4 / 20);
  EXPECT_EQ(easter_sunday(2026), date::year(2026) / 4 / 5);
  EXPECT_EQ(easter_sunday(2027), date::year(2027) / 3 / 28);
  EXPECT_EQ(easter_sunday(2038), date::year(2038) / 4 / 25);
  EXPECT_EQ(easter_sunday(2285), date::year(2285) / 3 / 22);
}

TEST(Holidays, NineNationwideHolidaysInEveryState) {
  for (const char* state : {"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL",
                            "SN", "ST", "SH", "TH"}) {
    SCOPED_TRACE(state);
    EXPECT_TRUE(known_state(state));
    const auto list = holidays(2026, state);
    for (auto day : {d(2026, 1, 1), d(2026, 4, 3), d(2026, 4, 6), d(2026, 5, 1), d(2026, 5, 14),
                     d(2026, 5, 25), d(2026, 10, 3), d(2026, 12, 25), d(2026, 12, 26)}) {
      EXPECT_TRUE(has(list, day));
    }
  }
  EXPECT_FALSE(known_state("XX"));
  EXPECT_EQ(holidays(2026, "XX").size(), 9u);
}

TEST(Holidays, StateHolidaysWithTheYearsTheyApply) {
  EXPECT_TRUE(has(holidays(2026, "BY"), d(2026, 1, 6), "Heilige Drei Könige"));
  EXPECT_FALSE(has(holidays(2026, "BE"), d(2026, 1, 6)));
  EXPECT_TRUE(has(holidays(2019, "BE"), d(2019, 3, 8)));
  EXPECT_FALSE(has(holidays(2018, "BE"), d(2018, 3, 8))) << "Frauentag in BE since 2019";
  EXPECT_TRUE(has(holidays(2023, "MV"), d(2023, 3, 8)));
  EXPECT_FALSE(has(holidays(2022, "MV"), d(2022, 3, 8))) << "in MV since 2023";
  EXPECT_TRUE(has(holidays(2026, "NW"), d(2026, 6, 4), "Fronleichnam"));
  EXPECT_FALSE(has(holidays(2026, "BE"), d(2026, 6, 4)));
  EXPECT_FALSE(has(holidays(2026, "SN"), d(2026, 6, 4))) << "only in Catholic municipalities";
  EXPECT_TRUE(has(holidays(2026, "SN", {.fronleichnam = true}), d(2026, 6, 4)));
  EXPECT_FALSE(has(holidays(2026, "BE", {.fronleichnam = true}), d(2026, 6, 4)))
      << "the switch is for SN and TH";
  EXPECT_TRUE(has(holidays(2026, "SL"), d(2026, 8, 15), "Mariä Himmelfahrt"));
  EXPECT_FALSE(has(holidays(2026, "BY"), d(2026, 8, 15)));
  EXPECT_TRUE(has(holidays(2026, "BY", {.mariae_himmelfahrt = true}), d(2026, 8, 15)));
  EXPECT_TRUE(has(holidays(2026, "BY", {.augsburger_friedensfest = true}), d(2026, 8, 8)));
  EXPECT_FALSE(has(holidays(2026, "BY"), d(2026, 8, 8)));
  EXPECT_TRUE(has(holidays(2019, "TH"), d(2019, 9, 20), "Weltkindertag"));
  EXPECT_FALSE(has(holidays(2018, "TH"), d(2018, 9, 20)));
  EXPECT_TRUE(has(holidays(2016, "BB"), d(2016, 10, 31), "Reformationstag"));
  EXPECT_FALSE(has(holidays(2016, "NI"), d(2016, 10, 31)));
  EXPECT_TRUE(has(holidays(2017, "NI"), d(2017, 10, 31))) << "nationwide in 2017";
  EXPECT_TRUE(has(holidays(2017, "BY"), d(2017, 10, 31)));
  EXPECT_FALSE(has(holidays(2018, "BY"), d(2018, 10, 31)));
  EXPECT_TRUE(has(holidays(2018, "HH"), d(2018, 10, 31))) << "HB, HH, NI, SH since 2018";
  EXPECT_TRUE(has(holidays(2026, "RP"), d(2026, 11, 1), "Allerheiligen"));
  EXPECT_FALSE(has(holidays(2026, "HE"), d(2026, 11, 1)));
  EXPECT_TRUE(has(holidays(2026, "BB"), d(2026, 4, 5), "Ostersonntag"));
  EXPECT_TRUE(has(holidays(2026, "BB"), d(2026, 5, 24), "Pfingstsonntag"));
}

TEST(Holidays, BussUndBettagIsTheWednesdayBeforeTheTwentyThirdOfNovember) {
  EXPECT_TRUE(has(holidays(2023, "SN"), d(2023, 11, 22), "Buß- und Bettag"));
  EXPECT_TRUE(has(holidays(2024, "SN"), d(2024, 11, 20)));
  EXPECT_TRUE(has(holidays(2025, "SN"), d(2025, 11, 19)));
  EXPECT_FALSE(has(holidays(2025, "BY"), d(2025, 11, 19))) << "SN only since 1995";
  EXPECT_TRUE(has(holidays(1994, "BY"), d(1994, 11, 16))) << "nationwide until 1994";
}

TEST(Holidays, OneOffDaysAndTwoNamesOnOneDate) {
  EXPECT_TRUE(has(holidays(2025, "BE"), d(2025, 5, 8)));
  EXPECT_TRUE(has(holidays(2028, "BE"), d(2028, 6, 17)));
  EXPECT_FALSE(has(holidays(2026, "BE"), d(2026, 5, 8)));
  EXPECT_FALSE(has(holidays(2025, "BB"), d(2025, 5, 8)));
  const auto y2008 = holidays(2008, "BE");
  EXPECT_TRUE(has(y2008, d(2008, 5, 1), "Tag der Arbeit"));
  EXPECT_TRUE(has(y2008, d(2008, 5, 1), "Christi Himmelfahrt"));
  EXPECT_TRUE(std::is_sorted(y2008.begin(), y2008.end(),
                             [](const Holiday& a, const Holiday& b) { return a.day < b.day; }));
}

}  // namespace
}  // namespace praxis::scheduling
