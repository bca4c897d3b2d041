#pragma once
// The running server's backups (issue #9): every day at [backup] time (Europe/Berlin),
// into [backup] directory, then retention. A run that fails is logged, counted for
// /metrics and recorded for praxis doctor; the next day tries again. If the server
// starts without a backup from the last day (it was off at the scheduled time), it
// catches up a few minutes after start.
// Runs on its own thread: a backup of a large database takes minutes, and the server
// keeps answering meanwhile (the snapshot is a WAL reader).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "app/backup_admin.hpp"
#include "app/data_dir.hpp"
#include "backup/schedule.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "crypto/key_ring.hpp"
#include "store/store.hpp"

namespace praxis::app {

struct BackupSchedule {
  std::filesystem::path directory;
  int hour = 2;
  int minute = 30;
  backup::Retention keep;
  std::chrono::minutes catch_up_delay{5};
};

class BackupScheduler {
 public:
  BackupScheduler(DataDir dir, store::Store& store, crypto::KeyRing& keys, audit::Trail& trail,
                  core::Clock& clock, core::Logger& log, BackupSchedule schedule);
  ~BackupScheduler();  // stops and joins
  BackupScheduler(const BackupScheduler&) = delete;
  BackupScheduler& operator=(const BackupScheduler&) = delete;

  void start();
  void stop();
  // Re-reads the clock at once (tests with a manual clock, after advancing it).
  void wake();

  // One backup now, then retention; the outcome is counted and recorded.
  core::Result<CreatedBackup> run_once();

  core::Instant next_run() const;
  std::uint64_t successes() const { return successes_.load(); }
  std::uint64_t failures() const { return failures_.load(); }
  std::uint64_t removed() const { return removed_.load(); }
  // Unix seconds of the last success (0: none since start).
  std::int64_t last_success_unix() const { return last_success_unix_.load(); }

 private:
  void loop();
  std::size_t apply_retention();

  DataDir dir_;
  store::Store& store_;
  crypto::KeyRing& keys_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Logger& log_;
  BackupSchedule schedule_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  core::Instant next_{};
  std::thread thread_;
  std::atomic<std::uint64_t> successes_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> removed_{0};
  std::atomic<std::int64_t> last_success_unix_{0};
};

}  // namespace praxis::app
