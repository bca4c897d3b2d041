#include "backup/schedule.hpp"

#include <date/date.h>
#include <date/iso_week.h>
#include <date/tz.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

namespace praxis::backup {

namespace {

constexpr std::string_view kPrefix = "praxis-";
constexpr std::string_view kSuffix = ".pxbak";

const date::time_zone* berlin() {
  static const date::time_zone* zone = date::locate_zone("Europe/Berlin");
  return zone;
}

date::local_days local_day(core::Instant t) {
  return date::floor<date::days>(berlin()->to_local(t));
}

bool read_int(std::string_view text, int& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

}  // namespace

std::string backup_file_name(core::Instant at) {
  const auto secs = date::floor<std::chrono::seconds>(at);
  const auto day = date::floor<date::days>(secs);
  const date::year_month_day ymd(day);
  const date::hh_mm_ss<std::chrono::seconds> tod(secs - day);
  char buf[32];
  (void)std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<int>(tod.hours().count()),
                      static_cast<int>(tod.minutes().count()),
                      static_cast<int>(tod.seconds().count()));
  return std::string(kPrefix) + buf + std::string(kSuffix);
}

std::optional<core::Instant> parse_backup_file_name(std::string_view name) {
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  name.remove_suffix(kSuffix.size());
  // YYYYMMDDTHHMMSSZ
  if (name.size() != 16 || name[8] != 'T' || name[15] != 'Z') return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_int(name.substr(0, 4), y) || !read_int(name.substr(4, 2), mo) ||
      !read_int(name.substr(6, 2), d) || !read_int(name.substr(9, 2), h) ||
      !read_int(name.substr(11, 2), mi) || !read_int(name.substr(13, 2), s)) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(mo)),
                                 date::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return core::Instant(date::sys_days(ymd)) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s);
}

core::Instant next_run(core::Instant now, int hour, int minute) {
  auto day = local_day(now);
  for (int i = 0; i < 3; ++i, day += date::days(1)) {
    const date::local_seconds wall = day + std::chrono::hours(hour) + std::chrono::minutes(minute);
    const auto info = berlin()->get_info(wall);
    core::Instant at;
    if (info.result == date::local_info::nonexistent) {
      // Spring forward: the wall time does not exist; run when the clock jumps.
      at = std::chrono::time_point_cast<std::chrono::microseconds>(info.first.end);
    } else {
      at = std::chrono::time_point_cast<std::chrono::microseconds>(
          berlin()->to_sys(wall, date::choose::earliest));
    }
    if (at > now) return at;
  }
  return now + std::chrono::hours(24);  // unreachable: some day in three has the time
}

std::vector<core::Instant> expired_backups(std::vector<core::Instant> backups,
                                           const Retention& keep) {
  std::sort(backups.begin(), backups.end(), std::greater<>());
  std::set<core::Instant> kept;
  if (!backups.empty()) kept.insert(backups.front());
  // For each rule: walk newest first and keep the first backup of each new period.
  auto apply = [&](int count, auto period_of) {
    std::optional<decltype(period_of(backups.front()))> last;
    int used = 0;
    for (const auto& t : backups) {
      if (used >= count) break;
      const auto p = period_of(t);
      if (last && *last == p) continue;
      last = p;
      kept.insert(t);
      ++used;
    }
  };
  if (!backups.empty()) {
    apply(keep.daily, [](core::Instant t) { return local_day(t); });
    apply(keep.weekly, [](core::Instant t) {
      const iso_week::year_weeknum_weekday w(local_day(t));
      return std::pair(static_cast<int>(w.year()), static_cast<unsigned>(w.weeknum()));
    });
    apply(keep.monthly, [](core::Instant t) {
      const date::year_month_day ymd(local_day(t));
      return std::pair(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
    });
  }
  std::vector<core::Instant> expired;
  for (const auto& t : backups) {
    if (!kept.contains(t)) expired.push_back(t);
  }
  return expired;
}

}  // namespace praxis::backup
