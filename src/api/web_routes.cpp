#include "api/web_routes.hpp"

#include "api/booking_routes.hpp"
#include "api/respond.hpp"

namespace praxis::api {

using http::Access;
using http::Method;
using http::Request;
using http::Response;
using http::StaticFiles;

namespace {

// The booking page of `slug`, framable by the practice's own web sites. An unknown
// practice gets the page too (it explains itself), with 404.
Response booking_page(const StaticFiles& files, booking::BookingService& b, const Request& r) {
  auto origins = b.embed_origins(r.param("slug"));
  if (!origins && origins.error().code != core::ErrorCode::not_found) {
    return problem(origins.error(), r);
  }
  Response page =
      files.serve(r, kBookingPage, StaticFiles::Caching::revalidate, origins ? 200 : 404);
  if (origins && !origins->empty()) {
    for (const auto& origin : *origins) {
      if (!page.frame_ancestors.empty()) page.frame_ancestors += ' ';
      page.frame_ancestors += origin;
    }
  }
  return page;
}

}  // namespace

void add_web_routes(http::Router& router, const StaticFiles& files,
                    booking::BookingService& bookings, core::RateLimiter& limiter,
                    core::Clock& clock, const core::RateLimit& page_limit) {
  auto booking = [&files, &bookings, &limiter, &clock, page_limit](const Request& r) {
    if (auto no = over_limit(limiter, clock, r, "read", page_limit)) return std::move(*no);
    return booking_page(files, bookings, r);
  };
  router.add(Method::get, "/book/{slug}", Access::anyone(), booking);
  router.add(Method::get, "/book/{slug}/manage", Access::anyone(), booking);
  // Loaded by the practice's own web site: other origins may fetch it.
  router.add(Method::get, "/widget.js", Access::anyone(), [&files](const Request& r) {
    Response script = files.serve(r, kWidgetScript, StaticFiles::Caching::revalidate);
    script.cross_origin_resource = true;
    return script;
  });
  router.add(Method::get, "/assets/{file}", Access::anyone(), [&files](const Request& r) {
    return files.serve(r, "assets/" + std::string(r.param("file")),
                       StaticFiles::Caching::immutable);
  });
  if (files.contains(kStaffPage)) {
    auto staff = [&files](const Request& r) {
      return files.serve(r, kStaffPage, StaticFiles::Caching::revalidate);
    };
    router.add(Method::get, "/app", Access::anyone(), staff);
    router.add(Method::get, "/app/{page}", Access::anyone(), staff);
  }
}

}  // namespace praxis::api
