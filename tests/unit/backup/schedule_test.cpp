#include "backup/schedule.hpp"

#include <date/date.h>
#include <gtest/gtest.h>

namespace praxis::backup {
namespace {

core::Instant at(std::string_view iso) { return *core::parse_iso8601(iso); }

TEST(BackupSchedule, FileNamesCarryTheUtcTimeAndParseBack) {
  const auto t = at("2026-11-27T01:30:05Z");
  EXPECT_EQ(backup_file_name(t), "praxis-20261127T013005Z.pxbak");
  EXPECT_EQ(parse_backup_file_name("praxis-20261127T013005Z.pxbak"), t);
  for (auto other : {"praxis-20261127T013005Z.pxbak.partial", ".praxis-20261127T013005Z.pxbak",
                     "praxis-20261327T013005Z.pxbak", "praxis-2026112T013005Z.pxbak", "notes.txt",
                     "praxis-20261127T253005Z.pxbak"}) {
    EXPECT_FALSE(parse_backup_file_name(other)) << other;
  }
}

TEST(BackupSchedule, NextRunIsTheNextLocalWallClockTime) {
  // Winter (UTC+1): 02:30 local is 01:30Z.
  EXPECT_EQ(next_run(at("2026-11-27T00:00:00Z"), 2, 30), at("2026-11-27T01:30:00Z"));
  EXPECT_EQ(next_run(at("2026-11-27T01:30:00Z"), 2, 30), at("2026-11-28T01:30:00Z"));
  // Summer (UTC+2): 02:30 local is 00:30Z.
  EXPECT_EQ(next_run(at("2026-07-01T12:00:00Z"), 2, 30), at("2026-07-02T00:30:00Z"));
}

TEST(BackupSchedule, DaylightSavingDaysRunOnceAndNeverSkip) {
  // 29 March 2026: 02:00 → 03:00; 02:30 does not exist, the run happens at the jump.
  EXPECT_EQ(next_run(at("2026-03-28T12:00:00Z"), 2, 30), at("2026-03-29T01:00:00Z"));
  // 25 October 2026: 02:30 happens twice; the run is at the first (00:30Z) only.
  const auto first = next_run(at("2026-10-24T12:00:00Z"), 2, 30);
  EXPECT_EQ(first, at("2026-10-25T00:30:00Z"));
  EXPECT_EQ(next_run(first, 2, 30), at("2026-10-26T01:30:00Z"));
}

TEST(BackupRetention, KeepsDailyWeeklyAndMonthlyAndDeletesTheRest) {
  // One backup a day at 01:30Z for 400 days, plus a second one on the last day.
  std::vector<core::Instant> all;
  const auto start = at("2025-10-24T01:30:00Z");
  for (int d = 0; d < 400; ++d) all.push_back(start + std::chrono::hours(24 * d));
  const auto newest = all.back() + std::chrono::hours(3);
  all.push_back(newest);
  const auto expired = expired_backups(all, Retention{7, 4, 12});
  const std::set<core::Instant> gone(expired.begin(), expired.end());
  std::vector<core::Instant> kept;
  for (const auto& t : all) {
    if (!gone.contains(t)) kept.push_back(t);
  }
  // The newest; 7 days (the newest counts for its day), 4 weeks, 12 months; weeks and
  // months reuse the newest of their period where it is already kept.
  EXPECT_TRUE(!gone.contains(newest));
  EXPECT_TRUE(gone.contains(newest - std::chrono::hours(3)));  // same day, older
  for (int d = 1; d < 7; ++d) {
    EXPECT_FALSE(gone.contains(all[399 - d])) << d;  // the six days before
  }
  // Older ones are kept only as the newest of their week (a Sunday) or month (its last day).
  for (const auto& t : kept) {
    if (t >= all[399 - 6]) continue;
    const date::year_month_day ymd(date::floor<date::days>(t));
    const date::weekday wd(date::floor<date::days>(t));
    const bool sunday = wd == date::Sunday;
    const bool month_end =
        ymd.day() == date::year_month_day_last(ymd.year(), date::month_day_last(ymd.month())).day();
    EXPECT_TRUE(sunday || month_end) << core::to_iso8601(t);
  }
  EXPECT_GE(kept.size(), 12U);
  EXPECT_LE(kept.size(), 7U + 4U + 12U);
  // Every kept month is distinct, and the oldest kept one is about 11 months back.
  EXPECT_LT(kept.front(), newest - std::chrono::hours(24 * 300));
  EXPECT_GT(kept.front(), newest - std::chrono::hours(24 * 370));
  // Applying retention again removes nothing more.
  EXPECT_TRUE(expired_backups(kept, Retention{7, 4, 12}).empty());
}

TEST(BackupRetention, FewBackupsAreAllKeptAndTheNewestAlways) {
  std::vector<core::Instant> two = {at("2026-11-26T01:30:00Z"), at("2026-11-27T01:30:00Z")};
  EXPECT_TRUE(expired_backups(two, Retention{7, 4, 12}).empty());
  // Several on one day: only the newest of the day stays (daily rule), and with
  // keep_daily=1 and nothing else, only the newest overall.
  std::vector<core::Instant> day = {at("2026-11-27T08:00:00Z"), at("2026-11-27T09:00:00Z"),
                                    at("2026-11-27T10:00:00Z"), at("2026-11-20T10:00:00Z")};
  const auto expired = expired_backups(day, Retention{1, 0, 0});
  EXPECT_EQ(expired.size(), 3U);
  EXPECT_EQ(std::count(expired.begin(), expired.end(), at("2026-11-27T10:00:00Z")), 0);
  EXPECT_TRUE(expired_backups({}, Retention{}).empty());
}

}  // namespace
}  // namespace praxis::backup
