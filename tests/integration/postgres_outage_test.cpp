// While PostgreSQL is down, the API answers 503 with Retry-After, and it serves again by
// itself once the database is back, without a restart (issue #13). The test runs its own
// durable PostgreSQL (tests/support/pg_server.sh), since stopping the shared one would
// disturb the other suites; it runs in the pg pass of the integration tests only.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "integration/staff_fixture.hpp"

namespace praxis::test {
namespace {

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(PostgresOutage, TheApiAnswers503WhileTheDatabaseIsDownAndRecoversByItself) {
  TempDir state;
  const std::string script = std::string(PRAXIS_SOURCE_DIR) + "/tests/support/pg_server.sh";
  const std::string dir = (state.path() / "pg").string();
  ASSERT_EQ(std::system(("PG_DURABLE=1 " + script + " start " + dir).c_str()), 0);
  struct Stop {
    std::string command;
    ~Stop() { (void)std::system(command.c_str()); }
  } stop{script + " stop " + dir};
  // StaffApi opens its store in a fresh schema of this server.
  ::setenv("PRAXIS_TEST_BACKEND", "postgres", 1);
  ::setenv("PRAXIS_TEST_PG_DSN", first_line(dir + "/dsn").c_str(), 1);
  ::setenv("PRAXIS_TEST_PG_OWNER_DSN", first_line(dir + "/owner_dsn").c_str(), 1);

  StaffApi api;
  ASSERT_TRUE(api.on_postgres());
  const std::string practice = api.add_practice("eins");
  const Session owner =
      api.mint_session(practice, api.add_active_user(practice, "o@x.example", "owner"));
  const std::string search = "/api/v1/patients?q=M%C3%BCller";
  ASSERT_EQ(api.call("GET", search, {}, &owner).status, 200);

  // The server process is killed and comes back after three seconds.
  std::thread outage([&] {
    (void)std::system(("PG_DOWN_SECONDS=3 " + script + " crash-restart " + dir).c_str());
  });
  using Clock = std::chrono::steady_clock;
  auto poll = [&](int wanted) -> std::optional<HttpResponse> {
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (Clock::now() < deadline) {
      auto r = api.call("GET", search, {}, &owner);
      if (r.status == wanted) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  };
  const auto down = poll(503);
  outage.join();
  const auto back = poll(200);

  ASSERT_TRUE(down) << "no 503 while PostgreSQL was down";
  EXPECT_EQ(down->header("retry-after"), "5");
  EXPECT_NE(down->body.find("urn:praxis:problem:unavailable"), std::string::npos) << down->body;
  EXPECT_TRUE(back) << "the same server did not serve again after PostgreSQL came back";
}

}  // namespace
}  // namespace praxis::test
