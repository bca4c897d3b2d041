// Crash safety: a child process writes pairs and reports each acknowledged one; it is
// killed with SIGKILL at random moments, many times. After each kill the database must
// pass integrity_check, hold every acknowledged pair, and hold no half pair.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "pairs.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace praxis::test {
namespace {

constexpr int kKills = 25;

// Runs the writer until it has acknowledged something, then a random while longer;
// returns the numbers it acknowledged before the kill.
std::set<std::int64_t> run_and_kill(const std::filesystem::path& db, std::int64_t first,
                                    std::mt19937& rng) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::execl(PRAXIS_CRASH_WRITER, PRAXIS_CRASH_WRITER, db.c_str(), std::to_string(first).c_str(),
            "8", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string acked_text;
  std::uniform_int_distribution<int> extra_ms(0, 150);
  const auto deadline_after_first = std::chrono::milliseconds(extra_ms(rng));
  std::optional<std::chrono::steady_clock::time_point> kill_at;
  char buf[4096];
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    if (kill_at && std::chrono::steady_clock::now() >= *kill_at) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 5) > 0) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      acked_text.append(buf, static_cast<std::size_t>(n));
      if (!kill_at) kill_at = std::chrono::steady_clock::now() + deadline_after_first;
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // What the child wrote before it died was acknowledged before it died.
  while (true) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    acked_text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  std::set<std::int64_t> acked;
  std::size_t pos = 0;
  while (true) {
    const auto nl = acked_text.find('\n', pos);
    if (nl == std::string::npos) break;  // a torn last line was not a full acknowledgement
    acked.insert(std::stoll(acked_text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return acked;
}

TEST(CrashSafety, KilledWritersLoseNoAcknowledgedWriteAndLeaveNoHalfWrite) {
  TempDir dir;
  const auto db = dir.path() / "crash.db";
  ASSERT_TRUE(store::sqlite::SqliteStore::create(db, store::sqlite::Synchronous::full));
  std::mt19937 rng(20261127);
  std::set<std::int64_t> all_acked;
  std::int64_t first = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    const auto acked = run_and_kill(db, first, rng);
    ASSERT_FALSE(acked.empty()) << "the writer never acknowledged a write";
    all_acked.insert(acked.begin(), acked.end());
    const PairCheck check = check_pairs(db);
    ASSERT_EQ(check.integrity, "ok");
    EXPECT_TRUE(check.half.empty())
        << check.half.size() << " half-applied jobs, e.g. " << *check.half.begin();
    for (auto n : all_acked)
      ASSERT_TRUE(check.complete.count(n)) << "acknowledged " << n << " lost";
    first = *check.complete.rbegin() + 1000;
  }
  EXPECT_GT(all_acked.size(), static_cast<std::size_t>(kKills));
}

}  // namespace
}  // namespace praxis::test
