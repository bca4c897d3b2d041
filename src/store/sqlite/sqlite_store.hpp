#pragma once
// The embedded SQLite store (DESIGN.md §4): the database file in the data directory.
//
// One writer connection on its own thread runs every write job, grouping concurrent
// jobs into one transaction (a savepoint each, one COMMIT, one fsync); a lone job is
// not delayed: the writer takes whatever is queued when it becomes free. A pool of
// read-only connections serves read transactions on the callers' threads (WAL lets
// them read while the writer writes). A third thread checkpoints the WAL back into the
// database file (PASSIVE, beside the writer) once kCheckpointPages have gathered, so the
// writer never stops to copy pages.
// Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "store/sqlite/database.hpp"

struct sqlite3;
#include "store/store.hpp"

namespace praxis::store::sqlite {

inline constexpr const char* kDatabaseFileName = "praxis.db";
// WAL pages (4 KiB each) after which the checkpointer copies them back (PASSIVE), and
// after which it waits for readers and restarts the WAL so the file stays bounded.
inline constexpr int kCheckpointPages = 4000;
inline constexpr int kRestartPages = 50000;
// How long a RESTART waits for old readers while it keeps writers out (milliseconds).
inline constexpr int kRestartWaitMs = 50;

struct SqliteOptions {
  std::filesystem::path file;
  Synchronous synchronous = Synchronous::full;
  int readers = 4;
  int busy_timeout_ms = 5000;
  std::size_t max_batch = 256;  // jobs per group commit
  std::string vfs{};            // empty: SQLite's default VFS
  // Readers map the file (OpenOptions::mmap_bytes): for commands that read the whole
  // database once (`praxis audit verify`), where copying each page out of the kernel is
  // a tenth of the time. The server leaves it at 0: it reads the same pages again and
  // again (the page cache serves them) and its RSS would count every mapped page read.
  std::int64_t reader_mmap_bytes = 0;
  // The writer offers its core to waiting threads after this many statements
  // (OpenOptions::yield_every): an audit move runs some 600 statements in one job, and
  // yielding every 64 took the search bench's p99 at 1,000,000 patients from 4.9-8.6
  // (median 5.1) to 4.3-4.5 ms (docs/benchmarks.md). 0: never.
  int writer_yield_every = 64;
  std::function<void()> writer_yield{};  // tests count the yields
  // Tests: runs before each WAL sync of the pipelined mode; an error it returns stands
  // for a failed sync.
  std::function<core::Result<void>()> before_sync{};
};
// reader_mmap_bytes for a scan: the whole file (SQLite caps it at its own maximum).
inline constexpr std::int64_t kScanMmapBytes = std::int64_t{1} << 40;

class SqliteStore final : public Store {
 public:
  // Creates a new database file (0600) and applies all migrations.
  [[nodiscard]] static core::Result<std::unique_ptr<SqliteStore>> create(
      const SqliteOptions& options);
  // Opens an existing database and applies pending migrations (refusing a database
  // newer than this binary or one whose applied migrations changed).
  [[nodiscard]] static core::Result<std::unique_ptr<SqliteStore>> open(
      const SqliteOptions& options);
  static core::Result<std::unique_ptr<SqliteStore>> create(const std::filesystem::path& file,
                                                           Synchronous synchronous);
  static core::Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file,
                                                         Synchronous synchronous);

  // Finishes queued write jobs, then closes.
  ~SqliteStore() override;

  core::Result<std::unique_ptr<Transaction>> read() override;
  using Store::write;
  // Durability::full with synchronous=FULL configured (the default) on SQLite's default
  // VFS is pipelined: every group commits with NORMAL (WAL frames written, not synced)
  // and, when more jobs wait, the writer goes on with the next group while a syncer
  // thread fdatasyncs the WAL (when none wait, it syncs itself, sparing the hand-off);
  // full jobs are answered after the sync that follows their COMMIT, written ones at
  // once. Their changes are visible to readers during that sync (a power cut in it loses
  // them, but nobody was told they were kept). Otherwise (another VFS), a group commits
  // with FULL when one of its jobs asks for it, else with NORMAL, and a job that raises
  // its durability inside a NORMAL group has the WAL synced after the COMMIT.
  core::Result<void> write(const WriteJob& job, Durability durability) override;
  core::Result<void> ping() override;

  const std::filesystem::path& file() const { return options_.file; }

  struct Stats {
    std::uint64_t jobs = 0;
    std::uint64_t commits = 0;  // group commits (each one fsync)
    std::uint64_t largest_group = 0;
    std::uint64_t synced_commits = 0;   // commits that waited for the disk
    std::uint64_t isolated_reruns = 0;  // groups run again, each job in a savepoint
    std::size_t queued = 0;             // jobs waiting for the writer now
  };
  Stats stats() const;

 private:
  struct Job {
    const WriteJob* fn;
    Durability durability;
    std::promise<core::Result<void>> done;
    bool needs_sync = false;  // committed, and full durability was asked or raised
  };

  SqliteStore(SqliteOptions options, Database writer, std::uint64_t inode);
  static core::Result<std::unique_ptr<SqliteStore>> finish_open(const SqliteOptions& options,
                                                                Database writer);
  core::Result<void> open_readers();
  void writer_loop();
  void run_group(std::vector<Job*>& group);
  // Runs jobs from group[ran] on, each in its savepoint (`isolated`) or straight in the
  // group's transaction, where the first failing job ends the run (the group is then run
  // again, isolated, skipping that job, whose result stays); returns what ends the group
  // early. Sets Job::needs_sync for each job that committed wanting full durability.
  std::optional<core::Error> run_jobs(std::vector<Job*>& group,
                                      std::vector<core::Result<void>>& results, std::size_t& ran,
                                      bool isolated, std::optional<std::size_t> skip = {});
  // The syncer (pipelined mode): answers committed jobs once an fdatasync of the WAL that
  // began after their COMMIT has returned.
  void sync_loop();
  // Syncs the WAL, then answers `jobs` (on the syncer, or on the writer when no group
  // waits for it).
  void answer_after_sync(const std::vector<Job*>& jobs);
  core::Result<void> sync_wal_file();
  std::unique_ptr<Database> acquire_reader();
  void release_reader(std::unique_ptr<Database> db);

  SqliteOptions options_;
  std::uint64_t inode_;

  Database writer_;
  Synchronous writer_synchronous_;  // the writer connection's current setting
  // FULL durability on SQLite's default VFS: the writer commits with NORMAL and goes on
  // with the next group while the syncer thread syncs the WAL for the jobs that need it.
  bool pipelined_;
  // Jobs run straight in the group's transaction: a savepoint per job made SQLite copy
  // every page a job changed into a statement journal (a temporary file past 64 KiB), a
  // third of an import's writer time. After a group in which a job failed, the next one
  // runs isolated from the start. Writer thread only.
  bool isolate_next_group_ = false;
  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread writer_thread_;

  // The checkpointer: its own connection, woken by the writer's WAL hook.
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
  void checkpoint_loop();
  std::unique_ptr<Database> checkpointer_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_due_ = false;
  bool checkpoint_stop_ = false;
  std::thread checkpoint_thread_;

  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  std::vector<Job*> sync_queue_;
  bool sync_stop_ = false;
  std::atomic<bool> sync_failed_{false};  // a WAL sync failed: no further writes
  int wal_fd_ = -1;  // praxis' own descriptor of the WAL, opened with the store
  std::thread sync_thread_;

  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Database>> readers_;
};

}  // namespace praxis::store::sqlite
