// Helper for crash_test.cpp: writes pairs through the store from several threads as
// fast as it can and prints each acknowledged job number on stdout, until killed.
// Usage: praxis_crash_writer DB_FILE FIRST_N THREADS
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pairs.hpp"
#include "store/sqlite/sqlite_store.hpp"

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  namespace sq = praxis::store::sqlite;
  auto store = sq::SqliteStore::open(argv[1], sq::Synchronous::full);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().internal.c_str());
    return 1;
  }
  std::atomic<std::int64_t> next{std::atoll(argv[2])};
  std::mutex out;
  std::vector<std::thread> threads;
  for (int t = 0; t < std::atoi(argv[3]); ++t) {
    threads.emplace_back([&] {
      while (true) {
        const std::int64_t n = next.fetch_add(1);
        // Every other job only waits for the WAL write, not the fsync.
        const auto durability =
            n % 2 == 0 ? praxis::store::Durability::full : praxis::store::Durability::written;
        if (!praxis::test::write_pair(**store, n, durability)) continue;
        const std::string line = std::to_string(n) + "\n";
        std::lock_guard lock(out);
        if (::write(STDOUT_FILENO, line.data(), line.size()) < 0) std::_Exit(3);
      }
    });
  }
  for (auto& t : threads) t.join();
}
