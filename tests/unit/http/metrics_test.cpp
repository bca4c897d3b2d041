#include "http/metrics.hpp"

#include <gtest/gtest.h>

namespace praxis::http {
namespace {

TEST(Metrics, CountsByRouteAndStatusWithCumulativeHistogram) {
  Router router;
  const Route& healthz = router.add(Method::get, "/healthz", Access::anyone(),
                                    [](const Request&) { return Response{}; });
  router.add(Method::get, "/items/{id}", Access::anyone(),
             [](const Request&) { return Response{}; });
  Metrics m;
  m.set_routes(router);
  m.observe_request(&healthz, 200, 0.0004);
  m.observe_request(&healthz, 200, 0.003);
  m.observe_request(&router.routes()[1], 404, 0.02);
  m.observe_request(nullptr, 405, 0.0001);
  m.connection_opened();
  m.request_started();

  const std::string text = m.render();
  EXPECT_NE(
      text.find("praxis_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "praxis_http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"404\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("route=\"unmatched\",status=\"405\"} 1"), std::string::npos);
  EXPECT_NE(text.find("praxis_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                      "healthz\",le=\"0.0005\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("praxis_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                      "healthz\",le=\"0.005\"} 2"),
            std::string::npos);
  EXPECT_NE(
      text.find("praxis_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"),
      std::string::npos);
  EXPECT_NE(text.find("praxis_http_open_connections 1"), std::string::npos);
  EXPECT_NE(text.find("praxis_http_requests_in_flight 1"), std::string::npos);
  EXPECT_NE(text.find("# TYPE praxis_http_request_duration_seconds histogram"), std::string::npos);
}

TEST(Metrics, RegisteredValuesAreReadAtRenderTime) {
  Metrics m;
  double failures = 0;
  m.register_value("praxis_backup_failures_total", "Failed backups.", Metrics::Kind::counter,
                   [&failures] { return failures; });
  failures = 3;
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE praxis_backup_failures_total counter"), std::string::npos);
  EXPECT_NE(text.find("praxis_backup_failures_total 3\n"), std::string::npos);
}

TEST(Metrics, LargeValuesAndTimestampsRenderExactly) {
  Metrics m;
  m.register_value("praxis_backup_last_success_timestamp_seconds", "Last backup.",
                   Metrics::Kind::gauge, [] { return 1795790056.0; });
  m.register_value("praxis_store_write_jobs_total", "Jobs.", Metrics::Kind::counter,
                   [] { return 12345678.0; });
  m.register_value("praxis_ratio", "A fraction.", Metrics::Kind::gauge, [] { return 0.1; });
  const std::string text = m.render();
  EXPECT_NE(text.find("praxis_backup_last_success_timestamp_seconds 1795790056\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("praxis_store_write_jobs_total 12345678\n"), std::string::npos);
  EXPECT_NE(text.find("praxis_ratio 0.1\n"), std::string::npos);
}

}  // namespace
}  // namespace praxis::http
