#include "app/data_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "app/doctor.hpp"
#include "store/sqlite/database.hpp"
#include "support/temp_dir.hpp"

namespace praxis::app {
namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

const Finding* find(const std::vector<Finding>& findings, std::string_view check) {
  for (const auto& f : findings) {
    if (f.check == check) return &f;
  }
  return nullptr;
}

TEST(DataDir, InitCreatesPrivateDirectoryKeyConfigAndDatabase) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  EXPECT_EQ(mode_of(dir.root), 0700u);
  EXPECT_EQ(mode_of(dir.config()), 0600u);
  EXPECT_EQ(mode_of(dir.master_key()), 0600u);
  EXPECT_EQ(mode_of(dir.database()), 0600u);
  EXPECT_EQ(std::filesystem::file_size(dir.master_key()), 32u);
}

TEST(DataDir, InitTakesAnEmptyDirectoryButRefusesANonEmptyOne) {
  test::TempDir tmp;
  const DataDir empty{tmp.path() / "empty"};
  std::filesystem::create_directory(empty.root);
  ::chmod(empty.root.c_str(), 0755);
  ASSERT_TRUE(init_data_dir(empty));
  EXPECT_EQ(mode_of(empty.root), 0700u);

  const DataDir used{tmp.path() / "used"};
  std::filesystem::create_directory(used.root);
  std::ofstream(used.root / "notes.txt") << "keep me";
  auto r = init_data_dir(used);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not empty"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(used.master_key()));
  EXPECT_FALSE(std::filesystem::exists(used.config()));
}

TEST(Doctor, FreshInstallationPasses) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  for (const auto& f : run_doctor(dir)) {
    EXPECT_EQ(f.severity, Severity::ok) << f.check << ": " << f.message;
  }
}

TEST(Doctor, FlagsWhatAnAttackerWouldLike) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  ::chmod(dir.master_key().c_str(), 0644);
  ::chmod(dir.root.c_str(), 0755);
  ::chmod(dir.database().c_str(), 0644);
  {
    std::ofstream cfg(dir.config(), std::ios::trunc);
    cfg << "[store]\nsqlite_synchronous = \"normal\"\n";
  }
  const auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "master_key"), nullptr);
  EXPECT_EQ(find(findings, "master_key")->severity, Severity::fail);
  EXPECT_EQ(find(findings, "data_dir.permissions")->severity, Severity::fail);
  EXPECT_EQ(find(findings, "database.permissions")->severity, Severity::fail);
  EXPECT_EQ(find(findings, "store.synchronous")->severity, Severity::warn);
}

TEST(Doctor, FlagsPublicListenerWithoutTls) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  {
    std::ofstream cfg(dir.config(), std::ios::trunc);
    cfg << "[server]\nlisten = \"0.0.0.0:443\"\n";
  }
  const auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "server.listener"), nullptr);
  EXPECT_EQ(find(findings, "server.listener")->severity, Severity::fail);
}

TEST(Doctor, ReportsPendingMigrationsAndJournalMode) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  {
    // As if the data came from an older praxis: the newest migration not yet applied,
    // and the journal switched away from WAL.
    auto db = store::sqlite::Database::open(dir.database(), store::sqlite::OpenOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("DELETE FROM schema_migrations "
                 "WHERE number = (SELECT MAX(number) FROM schema_migrations); "
                 "PRAGMA journal_mode=DELETE;"));
  }
  const auto findings = run_doctor(dir);
  ASSERT_NE(find(findings, "database.schema"), nullptr);
  EXPECT_EQ(find(findings, "database.schema")->severity, Severity::warn);
  EXPECT_NE(find(findings, "database.schema")->message.find("1 migration(s) pending"),
            std::string::npos);
  EXPECT_EQ(find(findings, "database.journal")->severity, Severity::warn);
}

TEST(Doctor, FlagsDamagedDatabase) {
  test::TempDir tmp;
  const DataDir dir{tmp.path() / "var"};
  ASSERT_TRUE(init_data_dir(dir));
  std::filesystem::remove(dir.database());
  std::ofstream(dir.database()) << "meow";
  ::chmod(dir.database().c_str(), 0600);
  const auto findings = run_doctor(dir);
  const Finding* f = find(findings, "database.integrity");
  if (!f) f = find(findings, "database.open");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::fail);
}

}  // namespace
}  // namespace praxis::app
