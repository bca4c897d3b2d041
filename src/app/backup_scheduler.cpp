#include "app/backup_scheduler.hpp"

namespace praxis::app {

BackupScheduler::BackupScheduler(DataDir dir, store::Store& store, crypto::KeyRing& keys,
                                 audit::Trail& trail, core::Clock& clock, core::Logger& log,
                                 BackupSchedule schedule)
    : dir_(std::move(dir)),
      store_(store),
      keys_(keys),
      trail_(trail),
      clock_(clock),
      log_(log),
      schedule_(std::move(schedule)) {}

BackupScheduler::~BackupScheduler() { stop(); }

void BackupScheduler::start() {
  const auto now = clock_.now();
  auto next = backup::next_run(now, schedule_.hour, schedule_.minute);
  // Off at the last scheduled time? Catch up soon instead of waiting a day.
  const auto newest = newest_backup(schedule_.directory);
  if (!newest || *newest < now - std::chrono::hours(24)) {
    next = std::min(next, now + schedule_.catch_up_delay);
  }
  {
    std::lock_guard lock(mutex_);
    next_ = next;
  }
  log_.info("backup_scheduled", {{"next", core::to_iso8601(next)}});
  thread_ = std::thread([this] { loop(); });
}

void BackupScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackupScheduler::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

core::Instant BackupScheduler::next_run() const {
  std::lock_guard lock(mutex_);
  return next_;
}

void BackupScheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = clock_.now();
    if (now >= next_) {
      lock.unlock();
      // The backup's buffers (its snapshot connection's page cache, compression) are freed
      // afterwards; jemalloc, the server's allocator, returns their pages to the system by
      // itself within seconds (glibc's kept them: RSS stayed some 60 MiB higher after the
      // first backup until the server called malloc_trim here).
      (void)run_once();
      const auto after = clock_.now();
      lock.lock();
      next_ = backup::next_run(std::max(after, next_), schedule_.hour, schedule_.minute);
      log_.info("backup_scheduled", {{"next", core::to_iso8601(next_)}});
      continue;
    }
    // Sleep until due, but look at the clock at least every minute (suspend, clock
    // changes) and whenever woken.
    const auto wait = std::min<std::chrono::microseconds>(next_ - now, std::chrono::minutes(1));
    cv_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

core::Result<CreatedBackup> BackupScheduler::run_once() {
  const auto started = std::chrono::steady_clock::now();
  const auto at = clock_.now();
  auto created = create_backup(dir_, store_, keys_, trail_, schedule_.directory, at);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (!created) {
    failures_.fetch_add(1);
    log_.error("backup_failed", {{"error", created.error().message},
                                 {"detail", created.error().internal},
                                 {"directory", schedule_.directory.string()}});
    if (auto r = record_backup_outcome(dir_, at, &created.error()); !r) {
      log_.error("backup_status_unwritable", {{"error", r.error().message}});
    }
    return created;
  }
  successes_.fetch_add(1);
  last_success_unix_.store(
      std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
  log_.info("backup_written", {{"file", created->file.string()},
                               {"database_bytes", created->report.database_bytes},
                               {"file_bytes", created->report.file_bytes},
                               {"ms", ms}});
  if (auto r = record_backup_outcome(dir_, at, nullptr); !r) {
    log_.error("backup_status_unwritable", {{"error", r.error().message}});
  }
  const auto removed = apply_retention();
  if (removed > 0) log_.info("backups_expired", {{"removed", removed}});
  return created;
}

std::size_t BackupScheduler::apply_retention() {
  std::vector<core::Instant> present;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(schedule_.directory, ec)) {
    if (auto t = backup::parse_backup_file_name(entry.path().filename().string())) {
      present.push_back(*t);
    }
  }
  std::size_t removed = 0;
  for (const auto& t : backup::expired_backups(present, schedule_.keep)) {
    const auto file = schedule_.directory / backup::backup_file_name(t);
    if (std::filesystem::remove(file, ec)) {
      ++removed;
    } else if (ec) {
      log_.warn("backup_expiry_failed", {{"file", file.string()}, {"error", ec.message()}});
    }
  }
  removed_.fetch_add(removed);
  return removed;
}

}  // namespace praxis::app
