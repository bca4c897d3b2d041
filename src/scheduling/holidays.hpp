#pragma once
// German public holidays (issue #7; ../shared/reference/german-domain.md §7): the nine
// nationwide ones, those of each Bundesland with the years they apply, and the regional
// ones a practice switches on (Fronleichnam in Catholic municipalities of SN and TH,
// Mariä Himmelfahrt in Catholic municipalities of BY, the Augsburger Friedensfest).

#include <date/date.h>

#include <string>
#include <string_view>
#include <vector>

namespace praxis::scheduling {

struct RegionalHolidays {
  bool fronleichnam = false;             // SN, TH: Catholic municipalities
  bool mariae_himmelfahrt = false;       // BY: Catholic municipalities
  bool augsburger_friedensfest = false;  // BY: the city of Augsburg
};

struct Holiday {
  date::sys_days day;
  std::string name;  // German
  bool operator==(const Holiday&) const = default;
};

// Meeus/Jones/Butcher (Gregorian).
date::year_month_day easter_sunday(int year);

// The 16 state codes (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH).
bool known_state(std::string_view state);

// The holidays of `state` in `year`, by date; a date can appear twice (2008-05-01 was
// both Maifeiertag and Christi Himmelfahrt). An unknown state gets the nationwide ones.
std::vector<Holiday> holidays(int year, std::string_view state,
                              const RegionalHolidays& regional = {});

}  // namespace praxis::scheduling
