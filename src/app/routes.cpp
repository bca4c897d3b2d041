#include "app/routes.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace praxis::app {

bool public_route_allowed(std::string_view pattern) {
  static constexpr std::array<std::string_view, 8> kExact = {
      "/healthz",           "/readyz",
      "/metrics",           "/api/v1/auth/login",
      "/api/v1/auth/enrol", "/api/v1/auth/enrol/confirm",
      "/widget.js",         "/app"};
  static constexpr std::array<std::string_view, 4> kPrefixes = {"/api/v1/public/", "/book/",
                                                                "/assets/", "/app/"};
  for (auto exact : kExact) {
    if (pattern == exact) return true;
  }
  for (auto prefix : kPrefixes) {
    if (pattern.starts_with(prefix)) return true;
  }
  return false;
}

void add_all_routes(http::Router& router, RouteDeps deps) {
  http::add_ops_routes(router, deps.metrics, std::move(deps.ready));
  if (deps.staff) api::add_staff_routes(router, *deps.staff);
  if (deps.booking) {
    api::add_booking_routes(router, deps.booking->bookings, deps.booking->limiter,
                            deps.booking->clock, deps.booking->limits);
  }
  if (deps.notifier) api::add_notification_routes(router, *deps.notifier);
  if (deps.web && deps.booking) {
    api::add_web_routes(router, *deps.web, deps.booking->bookings, deps.booking->limiter,
                        deps.booking->clock, deps.booking->limits.reads);
  }
  for (const auto& route : router.routes()) {
    if (route.access.kind == http::Access::Kind::public_endpoint &&
        !public_route_allowed(route.pattern)) {
      throw std::logic_error("public route outside the public prefixes: " + route.pattern);
    }
  }
}

}  // namespace praxis::app
