#include "http/handlers/ops.hpp"

#include <gtest/gtest.h>

namespace praxis::http {
namespace {

Response get(const Router& r, std::string_view path) {
  auto m = r.match(Method::get, path);
  EXPECT_EQ(m.status, MatchStatus::found) << path;
  Request req;
  req.request_id = "rid";
  return m.route->handler(req);
}

TEST(OpsRoutes, ReadyzReflectsTheReadinessCheck) {
  Router r;
  Metrics metrics;
  bool database_up = true;
  add_ops_routes(r, metrics, [&]() -> core::Result<void> {
    if (database_up) return {};
    return core::fail(core::ErrorCode::internal, "db", "SQLITE_CANTOPEN /secret/path");
  });
  metrics.set_routes(r);
  EXPECT_EQ(get(r, "/healthz").status, 200);
  EXPECT_EQ(get(r, "/readyz").status, 200);
  database_up = false;
  const Response down = get(r, "/readyz");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body.find("/secret/path"), std::string::npos);
  EXPECT_EQ(get(r, "/healthz").status, 200);  // alive, just not ready
  const Response text = get(r, "/metrics");
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
}

}  // namespace
}  // namespace praxis::http
