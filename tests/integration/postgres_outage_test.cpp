// While PostgreSQL is down, the API answers 503 with Retry-After, and it serves again by
// itself once the database is back, without a restart (issue #13). The test runs its own
// durable PostgreSQL (tests/support/pg_server.sh), since stopping the shared one would
// disturb the other suites; it runs in the pg pass of the integration tests only.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "integration/staff_fixture.hpp"
#include "support/pg_schema.hpp"

namespace praxis::test {
namespace {

TEST(PostgresOutage, TheApiAnswers503WhileTheDatabaseIsDownAndRecoversByItself) {
  const PgServer server;
  server.use_for_tests();
  ::setenv("PRAXIS_TEST_BACKEND", "postgres", 1);  // StaffApi: a fresh schema on it

  StaffApi api;
  ASSERT_TRUE(api.on_postgres());
  const std::string practice = api.add_practice("eins");
  const Session owner =
      api.mint_session(practice, api.add_active_user(practice, "o@x.example", "owner"));
  const std::string search = "/api/v1/patients?q=M%C3%BCller";
  ASSERT_EQ(api.call("GET", search, {}, &owner).status, 200);

  // The server process is killed and comes back after three seconds.
  std::thread outage([&] { (void)server.crash_restart(3); });
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
