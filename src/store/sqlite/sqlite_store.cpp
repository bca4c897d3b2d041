#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "core/thread_name.hpp"
#include "store/sql/ports.hpp"
#include "store/sqlite/executor.hpp"
#include "store/sqlite/migrate.hpp"
#include "store/sqlite/ports.hpp"

namespace praxis::store::sqlite {

using core::ErrorCode;

namespace {

std::optional<std::uint64_t> inode_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_ino);
}

// A transaction on one connection: a snapshot (BEGIN … COMMIT/ROLLBACK) for readers, or
// a write job inside the writer's group transaction: in its own savepoint, or (`inline`)
// straight in the group's transaction, which the writer rolls back whole if the job fails.
class SqliteTransaction final : public sql::PortsTransaction<SqliteExecutor> {
 public:
  enum class Kind { snapshot, savepoint, inline_job };

  SqliteTransaction(Database& db, TxMode mode, Kind kind)
      : PortsTransaction(db), db_(db), mode_(mode), kind_(kind), meta_(db), keys_(db) {}
  ~SqliteTransaction() override {
    if (active_) (void)rollback();
    if (on_end_) on_end_();
  }

  core::Result<void> begin() {
    auto r = kind_ == Kind::inline_job
                 ? core::Result<void>{}
                 : db_.exec(kind_ == Kind::snapshot ? "BEGIN" : "SAVEPOINT job");
    active_ = r.has_value();
    return r;
  }
  void on_end(std::function<void()> fn) { on_end_ = std::move(fn); }

  TxMode mode() const override { return mode_; }
  MetaPort& meta() override { return meta_; }
  MasterWrappedKeyPort& master_wrapped_keys() override { return keys_; }

  core::Result<void> commit() override {
    if (committed_) return {};
    if (!active_) return core::fail(ErrorCode::internal, "transaction is no longer active");
    if (kind_ != Kind::inline_job) {
      auto r = db_.exec(kind_ == Kind::snapshot ? "COMMIT" : "RELEASE job");
      if (!r) return r;
    }
    active_ = false;
    committed_ = true;
    return {};
  }
  bool committed() const { return committed_; }

  core::Result<void> rollback() {
    active_ = false;
    if (kind_ == Kind::snapshot) return db_.exec("ROLLBACK");
    if (kind_ == Kind::inline_job) return {};  // the writer rolls the group back
    // If SQLite already rolled the whole transaction back (I/O error), there is no
    // savepoint left; the group notices through autocommit.
    if (sqlite3_get_autocommit(db_.handle())) return {};
    return db_.exec("ROLLBACK TO job; RELEASE job");
  }

 private:
  Database& db_;
  TxMode mode_;
  Kind kind_;
  bool active_ = false;
  bool committed_ = false;
  SqliteMetaPort meta_;
  SqliteMasterWrappedKeyPort keys_;
  std::function<void()> on_end_;
};

core::Error with_context(core::Error e, std::string_view what) {
  e.internal = std::string(what) + ": " + e.internal;
  return e;
}

}  // namespace

SqliteStore::SqliteStore(SqliteOptions options, Database writer, std::uint64_t inode)
    : options_(std::move(options)),
      inode_(inode),
      writer_(std::move(writer)),
      writer_synchronous_(options_.synchronous),
      pipelined_(options_.synchronous == Synchronous::full && options_.vfs.empty()) {}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::finish_open(const SqliteOptions& options,
                                                                    Database writer) {
  if (auto r = migrate(writer); !r) return tl::unexpected(r.error());
  const auto inode = inode_of(options.file);
  if (!inode)
    return core::fail(ErrorCode::internal, "database file vanished: " + options.file.string());
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, std::move(writer), *inode));
  if (store->pipelined_) {
    // The syncer makes commits durable (sync_loop); SQLite only writes the WAL frames.
    if (auto r = store->writer_.exec("PRAGMA synchronous=NORMAL"); !r)
      return tl::unexpected(r.error());
    store->writer_synchronous_ = Synchronous::normal;
    // The WAL exists while the store's connections are open (SQLite removes it only when
    // the last one closes), so one descriptor serves every sync.
    const std::string wal = options.file.string() + "-wal";
    store->wal_fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (store->wal_fd_ < 0) {
      return core::fail(ErrorCode::unavailable, "storage unavailable",
                        "open " + wal + ": " + core::errno_text(errno));
    }
  }
  if (auto r = store->open_readers(); !r) return tl::unexpected(r.error());
  auto checkpointer = Database::open(options.file, {OpenMode::read_write, options.synchronous,
                                                    options.busy_timeout_ms, options.vfs});
  if (!checkpointer) return tl::unexpected(checkpointer.error());
  store->checkpointer_ = std::make_unique<Database>(std::move(*checkpointer));
  // The hook replaces SQLite's automatic checkpoint on the writer's connection.
  sqlite3_wal_hook(store->writer_.handle(), &SqliteStore::on_wal_commit, store.get());
  store->checkpoint_thread_ = std::thread([s = store.get()] {
    core::name_this_thread("praxis-ckpt");
    s->checkpoint_loop();
  });
  if (store->pipelined_) {
    store->sync_thread_ = std::thread([s = store.get()] {
      core::name_this_thread("praxis-sync");
      s->sync_loop();
    });
  }
  store->writer_thread_ = std::thread([s = store.get()] {
    core::name_this_thread("praxis-writer");
    s->writer_loop();
  });
  return store;
}

int SqliteStore::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  if (pages >= kCheckpointPages) {
    auto* store = static_cast<SqliteStore*>(self);
    {
      std::lock_guard lock(store->checkpoint_mutex_);
      store->checkpoint_due_ = true;
    }
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::checkpoint_loop() {
  std::unique_lock lock(checkpoint_mutex_);
  while (true) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_due_ || checkpoint_stop_; });
    if (checkpoint_stop_) return;
    checkpoint_due_ = false;
    lock.unlock();
    int wal_pages = 0;
    int copied = 0;
    // PASSIVE copies what no reader still needs, beside the writer. When the WAL has
    // grown large anyway (readers kept old frames alive), RESTART waits for them so the
    // next writer starts the WAL from its beginning.
    sqlite3_wal_checkpoint_v2(checkpointer_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                              &wal_pages, &copied);
    if (wal_pages >= kRestartPages) {
      // RESTART keeps new writers out while it waits for those readers. A backup's
      // snapshot holds old frames for seconds, and waiting the full busy timeout stalled
      // every write request that long (the 2 s requests of issue #12's soak): wait
      // briefly, and try again when the WAL next grows.
      sqlite3_busy_timeout(checkpointer_->handle(), kRestartWaitMs);
      sqlite3_wal_checkpoint_v2(checkpointer_->handle(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                &wal_pages, &copied);
      sqlite3_busy_timeout(checkpointer_->handle(), options_.busy_timeout_ms);
    }
    lock.lock();
  }
}

core::Result<void> SqliteStore::open_readers() {
  for (int i = 0; i < std::max(1, options_.readers); ++i) {
    auto db = Database::open(options_.file,
                             {OpenMode::read_only, options_.synchronous, options_.busy_timeout_ms,
                              options_.vfs, options_.reader_mmap_bytes});
    if (!db) return tl::unexpected(db.error());
    readers_.push_back(std::make_unique<Database>(std::move(*db)));
  }
  return {};
}

namespace {

// The writer's connection: it yields its core every few statements.
OpenOptions writer_options(const SqliteOptions& options, OpenMode mode) {
  OpenOptions o{mode, options.synchronous, options.busy_timeout_ms, options.vfs};
  o.yield_every = options.writer_yield_every;
  o.yield = options.writer_yield;
  return o;
}

}  // namespace

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::create(const SqliteOptions& options) {
  auto db = Database::open(options.file, writer_options(options, OpenMode::create));
  if (!db) return tl::unexpected(db.error());
  return finish_open(options, std::move(*db));
}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  if (!inode_of(options.file)) {
    return core::fail(ErrorCode::not_found,
                      "database " + options.file.string() +
                          " does not exist; restore it from a backup or run praxis init");
  }
  auto db = Database::open(options.file, writer_options(options, OpenMode::read_write));
  if (!db) return tl::unexpected(db.error());
  return finish_open(options, std::move(*db));
}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::create(const std::filesystem::path& file,
                                                               Synchronous synchronous) {
  return create(SqliteOptions{.file = file, .synchronous = synchronous});
}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file,
                                                             Synchronous synchronous) {
  return open(SqliteOptions{.file = file, .synchronous = synchronous});
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard lock(sync_mutex_);
    sync_stop_ = true;  // after the writer: the syncer answers what it handed over
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (wal_fd_ >= 0) ::close(wal_fd_);
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

core::Result<void> SqliteStore::write(const WriteJob& job, Durability durability) {
  std::vector<std::function<void()>> committed;  // the job's after_commit() functions
  const WriteJob collecting = [&job, &committed](Transaction& tx) {
    auto result = job(tx);
    committed = tx.take_after_commit();
    return result;
  };
  if (sync_failed_.load()) {
    return core::fail(ErrorCode::unavailable, "storage unavailable",
                      "a WAL sync failed earlier; restart praxis after checking the disk");
  }
  Job entry{&collecting, durability, {}};
  auto done = entry.done.get_future();
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return core::fail(ErrorCode::unavailable, "the store is shutting down");
    queue_.push_back(&entry);
  }
  queue_cv_.notify_one();
  auto result = done.get();
  if (result) {
    for (auto& fn : committed) fn();
  }
  return result;
}

void SqliteStore::writer_loop() {
  std::vector<Job*> group;
  while (true) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      // Everything that queued up while the previous group was committing goes together.
      while (!queue_.empty() && group.size() < options_.max_batch) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    run_group(group);
    group.clear();
  }
}

namespace {

// Syncs the writer's WAL file through SQLite's own file object (and so its VFS): what
// synchronous=FULL would have done at the COMMIT.
core::Result<void> sync_wal(sqlite3* db) {
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
      wal == nullptr || wal->pMethods == nullptr) {
    return core::fail(ErrorCode::internal, "storage unavailable", "no WAL file to sync");
  }
  if (int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL); rc != SQLITE_OK) {
    auto e = core::Error::make(ErrorCode::unavailable, "storage unavailable",
                               std::string("WAL sync: ") + sqlite3_errstr(rc));
    return tl::unexpected(e);
  }
  return {};
}

}  // namespace

void SqliteStore::run_group(std::vector<Job*>& group) {
  std::vector<core::Result<void>> results(group.size());
  std::size_t ran = 0;
  std::optional<core::Error> group_error;
  if (!pipelined_) {
    // FULL as configured when a job needs it; NORMAL (never stronger than configured)
    // when every job of the group records only what changed nothing.
    const bool any_full = std::any_of(group.begin(), group.end(), [](const Job* job) {
      return job->durability == Durability::full;
    });
    const Synchronous wanted = any_full ? options_.synchronous : Synchronous::normal;
    if (wanted != writer_synchronous_) {
      if (auto r = writer_.exec(wanted == Synchronous::full ? "PRAGMA synchronous=FULL"
                                                            : "PRAGMA synchronous=NORMAL");
          r) {
        writer_synchronous_ = wanted;
      } else {
        group_error = with_context(r.error(), "synchronous");
      }
    }
  }
  bool sync_after = false;  // a job of a NORMAL group raised its durability
  if (group_error) {
    ran = group.size();  // every job of the group gets the error
  } else if (auto begun = writer_.exec("BEGIN IMMEDIATE"); !begun) {
    group_error = with_context(begun.error(), "begin");
  } else {
    const bool isolated = isolate_next_group_;
    group_error = run_jobs(group, results, ran, isolated);
    // Not isolated, the first failing job ends the run: it is the last one that ran.
    if (!group_error && !isolated && ran > 0 && !results[ran - 1]) {
      // A job failed with its writes inside the group's transaction: roll the group back
      // and run it again, each job in its savepoint, so only that job fails.
      if (auto r = writer_.exec("ROLLBACK"); !r) {
        group_error = with_context(r.error(), "rollback");
      } else if (auto again = writer_.exec("BEGIN IMMEDIATE"); !again) {
        group_error = with_context(again.error(), "begin");
      } else {
        // The failed job keeps its answer and does not run again (a job that fails is run
        // once); the jobs before it run again in the state they saw the first time.
        const std::size_t failed_at = ran - 1;
        std::fill(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(failed_at),
                  core::Result<void>{});
        ran = 0;
        group_error = run_jobs(group, results, ran, true, failed_at);
      }
      std::lock_guard lock(queue_mutex_);
      ++stats_.isolated_reruns;
    }
    // While jobs fail, the next group isolates its jobs from the start.
    isolate_next_group_ =
        group_error.has_value() ||
        std::any_of(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(ran),
                    [](const auto& r) { return !r.has_value(); });
    if (!group_error) {
      if (auto committed = writer_.exec("COMMIT"); !committed) {
        group_error = with_context(committed.error(), "commit");
      }
    }
    if (!sqlite3_get_autocommit(writer_.handle())) (void)writer_.exec("ROLLBACK");
    sync_after = !pipelined_ && writer_synchronous_ != Synchronous::full &&
                 options_.synchronous == Synchronous::full &&
                 std::any_of(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(ran),
                             [](const Job* job) { return job->needs_sync; });
    if (!group_error && sync_after) {
      // Committed and visible, but not known to be on disk: like a failed fsync in any
      // database, its callers learn that the outcome is uncertain.
      if (auto synced = sync_wal(writer_.handle()); !synced) group_error = synced.error();
    }
  }
  std::vector<Job*> to_sync;  // committed, answered once the WAL is synced (pipelined)
  {
    std::lock_guard lock(queue_mutex_);
    ++stats_.commits;
    if (!group_error && !pipelined_ && (writer_synchronous_ == Synchronous::full || sync_after)) {
      ++stats_.synced_commits;
    }
    stats_.jobs += ran;
    stats_.largest_group = std::max<std::uint64_t>(stats_.largest_group, ran);
    // Jobs a failed group never reached run again in the next group.
    for (std::size_t i = group.size(); i-- > ran;) queue_.push_front(group[i]);
  }
  for (std::size_t i = 0; i < ran; ++i) {
    if (group_error && results[i]) results[i] = tl::unexpected(*group_error);
    if (pipelined_ && results[i] && group[i]->needs_sync) {
      to_sync.push_back(group[i]);
    } else {
      group[i]->done.set_value(std::move(results[i]));
    }
  }
  if (!to_sync.empty()) {
    bool nothing_waits = false;
    {
      std::lock_guard lock(queue_mutex_);
      nothing_waits = queue_.empty();
    }
    if (nothing_waits) {
      // No next group to get on with: syncing here spares the hand-off to the syncer.
      answer_after_sync(to_sync);
    } else {
      {
        std::lock_guard lock(sync_mutex_);
        sync_queue_.insert(sync_queue_.end(), to_sync.begin(), to_sync.end());
      }
      sync_cv_.notify_one();
    }
  }
  if (ran < group.size()) queue_cv_.notify_one();
}

void SqliteStore::answer_after_sync(const std::vector<Job*>& jobs) {
  auto synced = options_.before_sync ? options_.before_sync() : core::Result<void>{};
  if (synced) synced = sync_wal_file();
  if (!synced) sync_failed_.store(true);
  {
    std::lock_guard lock(queue_mutex_);
    if (synced) ++stats_.synced_commits;
  }
  for (Job* job : jobs) {
    job->done.set_value(synced ? core::Result<void>{}
                               : core::Result<void>(tl::unexpected(synced.error())));
  }
}

void SqliteStore::sync_loop() {
  std::vector<Job*> batch;
  while (true) {
    {
      std::unique_lock lock(sync_mutex_);
      sync_cv_.wait(lock, [this] { return sync_stop_ || !sync_queue_.empty(); });
      if (sync_queue_.empty()) return;  // stopping, and nothing left to answer
      // Every job here committed before this sync starts, so the sync covers it.
      batch.swap(sync_queue_);
    }
    answer_after_sync(batch);
    batch.clear();
  }
}

core::Result<void> SqliteStore::sync_wal_file() {
  // fdatasync flushes the file's data whichever descriptor wrote it (here: SQLite's);
  // the writer and the syncer may call it at the same time.
  if (::fdatasync(wal_fd_) != 0) {
    return core::fail(ErrorCode::unavailable, "storage unavailable",
                      "WAL sync: " + core::errno_text(errno));
  }
  return {};
}

std::optional<core::Error> SqliteStore::run_jobs(std::vector<Job*>& group,
                                                 std::vector<core::Result<void>>& results,
                                                 std::size_t& ran, bool isolated,
                                                 std::optional<std::size_t> skip) {
  for (; ran < group.size(); ++ran) {
    core::Result<void>& result = results[ran];
    if (ran == skip) {
      group[ran]->needs_sync = false;  // keeps the failure it had
      continue;
    }
    SqliteTransaction tx(
        writer_, TxMode::read_write,
        isolated ? SqliteTransaction::Kind::savepoint : SqliteTransaction::Kind::inline_job);
    tx.set_durability(group[ran]->durability);
    if (auto begun = tx.begin(); !begun) return with_context(begun.error(), "savepoint");
    try {
      result = (*group[ran]->fn)(tx);
    } catch (const std::exception& e) {
      result = core::fail(ErrorCode::internal, "internal error",
                          std::string("write job threw: ") + e.what());
    }
    if (result && !tx.committed()) {
      result = core::fail(ErrorCode::internal, "internal error", "write job did not commit");
    }
    if (!result) (void)tx.rollback();
    group[ran]->needs_sync = result && tx.durability() == Durability::full;
    if (sqlite3_get_autocommit(writer_.handle())) {
      // SQLite rolled the whole group back (I/O error, disk full): nothing of it stays.
      ++ran;
      return result ? core::Error::make(ErrorCode::unavailable, "storage unavailable",
                                        "group rolled back")
                    : result.error();
    }
    if (!isolated && !result) {
      ++ran;  // the group is run again, isolated: the rest need not run now
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::unique_ptr<Database> SqliteStore::acquire_reader() {
  std::unique_lock lock(readers_mutex_);
  readers_cv_.wait(lock, [this] { return !readers_.empty(); });
  auto db = std::move(readers_.back());
  readers_.pop_back();
  return db;
}

void SqliteStore::release_reader(std::unique_ptr<Database> db) {
  {
    std::lock_guard lock(readers_mutex_);
    readers_.push_back(std::move(db));
  }
  readers_cv_.notify_one();
}

core::Result<std::unique_ptr<Transaction>> SqliteStore::read() {
  auto db = acquire_reader();
  Database& conn = *db;
  auto tx = std::make_unique<SqliteTransaction>(conn, TxMode::read_only,
                                                SqliteTransaction::Kind::snapshot);
  tx->on_end([this, lease = std::make_shared<std::unique_ptr<Database>>(std::move(db))]() mutable {
    release_reader(std::move(*lease));
  });
  if (auto r = tx->begin(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<Transaction>(std::move(tx));
}

core::Result<void> SqliteStore::ping() {
  if (sync_failed_.load()) {
    return core::fail(ErrorCode::unavailable, "database unavailable", "a WAL sync failed");
  }
  const auto inode = inode_of(options_.file);
  if (!inode || *inode != inode_) {
    return core::fail(ErrorCode::unavailable, "database unavailable",
                      "database file was deleted or replaced: " + options_.file.string());
  }
  auto tx = read();
  if (!tx) return tl::unexpected(tx.error());
  auto r = (*tx)->meta().get("installation_id");
  if (!r) return tl::unexpected(r.error());
  return {};
}

SqliteStore::Stats SqliteStore::stats() const {
  std::lock_guard lock(queue_mutex_);
  Stats now = stats_;
  now.queued = queue_.size();
  return now;
}

}  // namespace praxis::store::sqlite
