#pragma once
// The public booking API (issue #7; DESIGN.md §5, "public booking") and the staff's
// review of online bookings. Public routes answer without authentication and are
// limited per client address.

#include <optional>
#include <string_view>

#include "booking/booking_service.hpp"
#include "core/clock.hpp"
#include "core/rate_limiter.hpp"
#include "http/router.hpp"

namespace praxis::api {

struct PublicLimits {
  core::RateLimit reads{300, 60};      // practice info, availability, manage view
  core::RateLimit challenges{30, 10};  // proof-of-work challenges
  core::RateLimit writes{20, 5};       // bookings, cancellations, reschedules
};

// 429 with Retry-After when the client address has used up `limit` for `what`.
std::optional<http::Response> over_limit(core::RateLimiter& limiter, core::Clock& clock,
                                         const http::Request& request, std::string_view what,
                                         const core::RateLimit& limit);

void add_booking_routes(http::Router& router, booking::BookingService& bookings,
                        core::RateLimiter& limiter, core::Clock& clock, PublicLimits limits);

}  // namespace praxis::api
