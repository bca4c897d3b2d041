#pragma once
// The web front ends (issue #10; DESIGN.md §5, "web"): the public booking page and its
// manage page, the embeddable widget loader, the staff app, and their hashed assets,
// all served from memory (http::StaticFiles). Public: the pages hold no data; what
// they show comes from the API, which checks every request.

#include "booking/booking_service.hpp"
#include "core/clock.hpp"
#include "core/rate_limiter.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"

namespace praxis::api {

// The entry points the Vite build writes (web/vite.config.ts).
inline constexpr std::string_view kBookingPage = "book.html";
inline constexpr std::string_view kStaffPage = "app.html";
inline constexpr std::string_view kWidgetScript = "widget.js";

// `files` must outlive the router. The booking page may be framed by the origins a
// practice allows (booking rules, "embed_origins"); every other page by none.
void add_web_routes(http::Router& router, const http::StaticFiles& files,
                    booking::BookingService& bookings, core::RateLimiter& limiter,
                    core::Clock& clock, const core::RateLimit& page_limit);

}  // namespace praxis::api
