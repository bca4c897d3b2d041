#pragma once
// The route table of the running server: every route praxis serves is added here, with
// its access declaration (http::Access). Public routes may only live under the public
// prefixes of DESIGN.md §5; add_all_routes refuses (throws at start-up) anything else,
// so a staff endpoint cannot be published by accident.

#include <optional>
#include <string_view>

#include "api/booking_routes.hpp"
#include "api/notification_routes.hpp"
#include "api/staff_routes.hpp"
#include "api/web_routes.hpp"
#include "http/handlers/ops.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace praxis::app {

struct RouteDeps {
  const http::Metrics& metrics;
  http::ReadinessCheck ready;
  std::optional<api::StaffServices> staff;  // absent: only the operations routes
  struct Public {
    booking::BookingService& bookings;
    core::RateLimiter& limiter;
    core::Clock& clock;
    api::PublicLimits limits;
  };
  std::optional<Public> booking;           // the public booking API and the review of its bookings
  notify::Notifier* notifier = nullptr;    // the outbox, templates and settings
  const http::StaticFiles* web = nullptr;  // the front ends (with `booking`)
};

void add_all_routes(http::Router& router, RouteDeps deps);

// True for patterns under which unauthenticated access is by design: the operations
// probes, sign-in and enrolment (which carry their own credentials), the public booking
// API, and the web assets.
bool public_route_allowed(std::string_view pattern);

}  // namespace praxis::app
