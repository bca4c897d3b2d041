#include "scheduling/holidays.hpp"

#include <algorithm>
#include <array>

namespace praxis::scheduling {

namespace {

using date::days;
using date::sys_days;

constexpr std::array<std::string_view, 16> kStates{"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV",
                                                   "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"};

bool in(std::string_view state, std::initializer_list<std::string_view> states) {
  return std::find(states.begin(), states.end(), state) != states.end();
}

sys_days on(int year, unsigned month, unsigned day) {
  return sys_days(date::year(year) / date::month(month) / date::day(day));
}

// The Wednesday before 23 November.
sys_days buss_und_bettag(int year) {
  const sys_days nov22 = on(year, 11, 22);
  const date::weekday wd(nov22);
  return nov22 - (wd - date::Wednesday);
}

}  // namespace

date::year_month_day easter_sunday(int year) {
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return date::year(year) / date::month(static_cast<unsigned>(month)) /
         date::day(static_cast<unsigned>(day));
}

bool known_state(std::string_view state) {
  return std::find(kStates.begin(), kStates.end(), state) != kStates.end();
}

std::vector<Holiday> holidays(int year, std::string_view state, const RegionalHolidays& regional) {
  const sys_days easter(easter_sunday(year));
  std::vector<Holiday> out;
  auto add = [&](sys_days d, std::string name) { out.push_back({d, std::move(name)}); };

  add(on(year, 1, 1), "Neujahr");
  if (in(state, {"BW", "BY", "ST"})) add(on(year, 1, 6), "Heilige Drei Könige");
  if ((state == "BE" && year >= 2019) || (state == "MV" && year >= 2023)) {
    add(on(year, 3, 8), "Internationaler Frauentag");
  }
  add(easter - days(2), "Karfreitag");
  if (state == "BB") add(easter, "Ostersonntag");
  add(easter + days(1), "Ostermontag");
  add(on(year, 5, 1), "Tag der Arbeit");
  if (state == "BE" && (year == 2020 || year == 2025)) {
    add(on(year, 5, 8), "Tag der Befreiung");
  }
  add(easter + days(39), "Christi Himmelfahrt");
  if (state == "BB") add(easter + days(49), "Pfingstsonntag");
  add(easter + days(50), "Pfingstmontag");
  if (in(state, {"BW", "BY", "HE", "NW", "RP", "SL"}) ||
      (regional.fronleichnam && in(state, {"SN", "TH"}))) {
    add(easter + days(60), "Fronleichnam");
  }
  if (state == "BE" && year == 2028) add(on(year, 6, 17), "Jahrestag des Volksaufstandes");
  if (state == "BY" && regional.augsburger_friedensfest) {
    add(on(year, 8, 8), "Augsburger Hohes Friedensfest");
  }
  if (state == "SL" || (state == "BY" && regional.mariae_himmelfahrt)) {
    add(on(year, 8, 15), "Mariä Himmelfahrt");
  }
  if (state == "TH" && year >= 2019) add(on(year, 9, 20), "Weltkindertag");
  if (year >= 1990) add(on(year, 10, 3), "Tag der Deutschen Einheit");
  if (year == 2017 || in(state, {"BB", "MV", "SN", "ST", "TH"}) ||
      (year >= 2018 && in(state, {"HB", "HH", "NI", "SH"}))) {
    add(on(year, 10, 31), "Reformationstag");
  }
  if (in(state, {"BW", "BY", "NW", "RP", "SL"})) add(on(year, 11, 1), "Allerheiligen");
  if (year <= 1994 || state == "SN") add(buss_und_bettag(year), "Buß- und Bettag");
  add(on(year, 12, 25), "1. Weihnachtstag");
  add(on(year, 12, 26), "2. Weihnachtstag");
  std::stable_sort(out.begin(), out.end(),
                   [](const Holiday& a, const Holiday& b) { return a.day < b.day; });
  return out;
}

}  // namespace praxis::scheduling
