// Group commit versus one commit per write (issue #4). In one run, on one disk:
//   raw:   SQLite C API, WAL, synchronous=FULL, BEGIN; INSERT one row; COMMIT — in a loop
//   group: SqliteStore (synchronous=FULL) with 1, 8 and 64 threads, each doing one-row
//          write jobs in a loop; concurrent jobs share one COMMIT (one fsync)
// Usage: store_bench DIR [SECONDS]
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace sq = praxis::store::sqlite;

double raw_per_commit(const std::filesystem::path& file, double seconds) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE bench(k INTEGER PRIMARY KEY, v TEXT NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO bench(k, v) VALUES (?1, 'value')", -1, &insert, nullptr);
  long n = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  const auto start = Clock::now();
  while (Clock::now() < end) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_int64(insert, 1, n);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    ++n;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return static_cast<double>(n) / elapsed;
}

struct GroupResult {
  double per_second;
  double jobs_per_commit;
};

GroupResult group_commit(const std::filesystem::path& file, int writers, double seconds) {
  auto store = sq::SqliteStore::create(file, sq::Synchronous::full);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().internal.c_str());
    std::exit(1);
  }
  std::atomic<long> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string key = "bench:" + std::to_string(next.fetch_add(1));
        auto r = praxis::store::with_transaction(
            **store, praxis::store::TxMode::read_write,
            [&](praxis::store::Transaction& tx) { return tx.meta().put(key, "value"); });
        if (!r) std::exit(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const auto stats = (*store)->stats();
  return {static_cast<double>(stats.jobs) / elapsed,
          static_cast<double>(stats.jobs) /
              static_cast<double>(std::max<std::uint64_t>(1, stats.commits))};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_bench DIR [SECONDS]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const double seconds = argc > 2 ? std::stod(argv[2]) : 5.0;
  std::filesystem::create_directories(dir);
  auto fresh = [&](const std::string& name) {
    const auto f = dir / name;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(f.string() + suffix);
    return f;
  };
  const double raw = raw_per_commit(fresh("raw.db"), seconds);
  std::printf("raw SQLite, one INSERT per COMMIT, FULL: %10.0f writes/s\n", raw);
  for (int writers : {1, 8, 64}) {
    const auto g = group_commit(fresh("group" + std::to_string(writers) + ".db"), writers, seconds);
    std::printf(
        "group commit, %2d writers, FULL:         %10.0f writes/s  (%.1f jobs per commit, %.2fx "
        "raw)\n",
        writers, g.per_second, g.jobs_per_commit, g.per_second / raw);
  }
  return 0;
}
