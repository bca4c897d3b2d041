#include "app/routes.hpp"

#include <gtest/gtest.h>

namespace praxis::app {
namespace {

http::Router full_route_table(http::Metrics& metrics) {
  http::Router router;
  add_all_routes(router,
                 {metrics, []() -> core::Result<void> { return {}; }, std::nullopt, std::nullopt});
  return router;
}

TEST(RouteTable, EveryRouteDeclaresAccessAndPublicOnesArePublicByDesign) {
  http::Metrics metrics;
  const http::Router router = full_route_table(metrics);
  ASSERT_FALSE(router.routes().empty());
  for (const auto& route : router.routes()) {
    SCOPED_TRACE(route.pattern);
    if (route.access.kind == http::Access::Kind::permission) {
      EXPECT_FALSE(route.access.permission.empty());
    } else if (route.access.kind == http::Access::Kind::public_endpoint) {
      EXPECT_TRUE(public_route_allowed(route.pattern));
    }
  }
}

TEST(RouteTable, StaffEndpointsCannotBePublic) {
  EXPECT_FALSE(public_route_allowed("/api/v1/patients"));
  EXPECT_FALSE(public_route_allowed("/api/v1/patients/{id}"));
  EXPECT_FALSE(public_route_allowed("/api/v1/publicity"));
  EXPECT_TRUE(public_route_allowed("/api/v1/public/practices/{slug}"));
  http::Metrics metrics;
  http::Router router;
  router.add(http::Method::get, "/api/v1/patients", http::Access::anyone(),
             [](const http::Request&) { return http::Response{}; });
  EXPECT_THROW(add_all_routes(router, {metrics, []() -> core::Result<void> { return {}; },
                                       std::nullopt, std::nullopt}),
               std::logic_error);
}

}  // namespace
}  // namespace praxis::app
