// I/O faults: a VFS shim fails the N-th write or fsync, for every N over a workload.
// Each operation then returns a storage error (HTTP 503, no internals), nothing is
// half-applied, nothing crashes, and writes succeed again once the fault clears.
#include <gtest/gtest.h>

#include <iostream>

#include "http/problem.hpp"
#include "pairs.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/fault_vfs.hpp"
#include "support/temp_dir.hpp"

namespace praxis::test {
namespace {

constexpr int kJobs = 8;

struct Outcome {
  std::set<std::int64_t> acked;
  int failures = 0;
};

// Options for a store on the fault-injecting VFS (registered here) in `file`.
store::sqlite::SqliteOptions fault_options(const std::filesystem::path& file) {
  register_fault_vfs();
  store::sqlite::SqliteOptions options;
  options.file = file;
  options.vfs = kFaultVfsName;
  options.readers = 1;
  return options;
}

class FaultInjection : public ::testing::TestWithParam<Fault> {};

TEST_P(FaultInjection, EveryFailurePointIsCleanAndRecoverable) {
  int points_with_failures = 0;
  for (int nth = 1;; ++nth) {
    SCOPED_TRACE("fault at call " + std::to_string(nth));
    TempDir dir;
    const auto options = fault_options(dir.path() / "fault.db");
    auto created = store::sqlite::SqliteStore::create(options);
    ASSERT_TRUE(created) << created.error().internal;
    auto& s = **created;

    arm_fault(GetParam(), nth);
    Outcome outcome;
    for (std::int64_t n = 0; n < kJobs; ++n) {
      auto r = write_pair(s, n);
      if (r) {
        outcome.acked.insert(n);
        continue;
      }
      ++outcome.failures;
      EXPECT_EQ(r.error().code, core::ErrorCode::unavailable) << r.error().internal;
      const auto problem = http::problem_response(r.error(), "rid");
      EXPECT_EQ(problem.status, 503);
      EXPECT_EQ(problem.body.find("I/O"), std::string::npos) << problem.body;
      EXPECT_EQ(problem.body.find("disk"), std::string::npos) << problem.body;
    }
    const bool fault_hit = fault_calls() >= nth;
    disarm_fault();
    points_with_failures += outcome.failures > 0 ? 1 : 0;

    // The fault is gone: writing works again on the same store.
    auto again = write_pair(s, 1000);
    EXPECT_TRUE(again) << again.error().internal;
    created->reset();

    const PairCheck check = check_pairs(options.file);
    EXPECT_EQ(check.integrity, "ok");
    EXPECT_TRUE(check.half.empty());
    for (auto n : outcome.acked)
      EXPECT_TRUE(check.complete.count(n)) << "acknowledged " << n << " lost";
    EXPECT_TRUE(check.complete.count(1000));
    if (!fault_hit) {  // the workload made fewer calls than nth: every point is covered
      std::cout << "covered " << nth - 1 << " failure points, " << points_with_failures
                << " of them failed an operation\n";
      break;
    }
  }
  EXPECT_GT(points_with_failures, kJobs / 2) << "the shim rarely made an operation fail";
}

// Durability::written commits hand the WAL frames to the operating system without an
// fsync; full ones, and written ones that raise their durability inside, wait for it.
TEST(Durability, OnlyWhatMustOutlastAPowerCutWaitsForTheDisk) {
  TempDir dir;
  const auto options = fault_options(dir.path() / "durability.db");
  auto created = store::sqlite::SqliteStore::create(options);
  ASSERT_TRUE(created) << created.error().internal;
  auto& s = **created;
  std::int64_t n = 0;
  auto write = [&](store::Durability durability, bool raise) {
    const std::string key = std::to_string(++n);
    return s.write(
        [&](store::Transaction& tx) -> core::Result<void> {
          if (auto r = tx.meta().put("k:" + key, "v"); !r) return r;
          if (raise) tx.require_full_durability();
          return tx.commit();
        },
        durability);
  };
  auto syncs = [&](store::Durability durability, bool raise) {
    arm_fault(Fault::fsync, 1'000'000);
    auto r = write(durability, raise);
    EXPECT_TRUE(r) << r.error().internal;
    const int calls = fault_calls();
    disarm_fault();
    return calls;
  };
  const auto before = s.stats().synced_commits;
  EXPECT_EQ(syncs(store::Durability::written, false), 0);
  EXPECT_GE(syncs(store::Durability::full, false), 1);
  EXPECT_EQ(syncs(store::Durability::written, false), 0);
  EXPECT_GE(syncs(store::Durability::written, true), 1);
  EXPECT_EQ(s.stats().synced_commits, before + 2);

  // A raised commit whose sync fails is reported: its outcome is uncertain.
  arm_fault(Fault::fsync, 1);
  auto failed = write(store::Durability::written, true);
  disarm_fault();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, core::ErrorCode::unavailable);
  EXPECT_TRUE(write(store::Durability::written, false));
  EXPECT_TRUE(write(store::Durability::full, false));
  created->reset();
  store::sqlite::OpenOptions check;
  check.mode = store::sqlite::OpenMode::read_only;
  auto db = store::sqlite::Database::open(options.file, check);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->query_text("SELECT count(*) FROM server_meta WHERE key LIKE 'k:%'").value_or(""),
            "7");
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultInjection,
                         ::testing::Values(Fault::write_eio, Fault::write_full, Fault::fsync),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case Fault::write_eio:
                               return std::string("EIO");
                             case Fault::write_full:
                               return std::string("ENOSPC");
                             case Fault::fsync:
                               return std::string("fsync");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace praxis::test
