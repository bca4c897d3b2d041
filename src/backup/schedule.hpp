#pragma once
// When the server backs up, what the files are called, and which ones it keeps.
// Pure functions of the time (Europe/Berlin for days, weeks and months).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace praxis::backup {

// "praxis-20261127T023000Z.pxbak": UTC, so names sort by time.
std::string backup_file_name(core::Instant at);
// The time in such a name; nullopt for any other file.
std::optional<core::Instant> parse_backup_file_name(std::string_view name);

// The first instant after `now` at which Europe/Berlin shows hour:minute. On the day
// the clocks spring forward past that time, it is the instant the hour is skipped to;
// on the day they fall back, the first of the two.
core::Instant next_run(core::Instant now, int hour, int minute);

struct Retention {
  int daily = 7;     // the newest backup of each of the last N days that have one
  int weekly = 4;    // ... of each of N ISO weeks
  int monthly = 12;  // ... of each of N calendar months
};

// The backups (by time) that retention no longer keeps. The newest is always kept.
std::vector<core::Instant> expired_backups(std::vector<core::Instant> backups,
                                           const Retention& keep);

}  // namespace praxis::backup
