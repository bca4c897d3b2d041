#include "api/booking_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/audit_context.hpp"
#include "api/json_body.hpp"
#include "api/respond.hpp"
#include "scheduling/config.hpp"

namespace praxis::api {

namespace json = boost::json;
using booking::BookingService;
using http::Access;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr std::size_t kBookingBody = 16 * std::size_t{1024};
constexpr std::int64_t kMaxPending = 200;

struct Limited {
  core::RateLimiter& limiter;
  core::Clock& clock;
};

std::optional<Response> over_limit(const Limited& l, const Request& r, std::string_view what,
                                   const core::RateLimit& limit) {
  return api::over_limit(l.limiter, l.clock, r, what, limit);
}

// Answers with a manage token or booking are never stored by caches.
Response private_answer(int status, const json::value& body) {
  Response r = ok(status, body);
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

Response availability(BookingService& b, const Request& r) {
  const auto type = r.query_param("type");
  const auto from_text = r.query_param("from");
  const auto to_text = r.query_param("to");
  auto e = core::Error::make(core::ErrorCode::invalid_input, "Ungültige Abfrage. / Invalid query.");
  if (!type || type->empty()) e.fields.push_back({"type", "required", "Termintyp-Id / type id"});
  std::optional<date::local_days> from;
  std::optional<date::local_days> to;
  if (!from_text || !(from = scheduling::parse_local_date(*from_text))) {
    e.fields.push_back({"from", "invalid", "YYYY-MM-DD"});
  }
  if (to_text && !(to = scheduling::parse_local_date(*to_text))) {
    e.fields.push_back({"to", "invalid", "YYYY-MM-DD"});
  }
  if (!e.fields.empty()) return problem(e, r);
  if (!to) to = *from + date::days(6);
  std::optional<std::string> practitioner = r.query_param("practitioner");
  if (practitioner && (practitioner->empty() || *practitioner == "any")) practitioner.reset();
  auto slots = b.availability(r.param("slug"), *type, std::move(practitioner), *from, *to);
  if (!slots) return problem(slots.error(), r);
  return Response::json(200, std::move(*slots));
}

Response book(BookingService& b, const Request& r) {
  auto answer = b.book(BookingService::public_context(r.request_id, r.remote_address),
                       r.param("slug"), r.body, r.header("Idempotency-Key"));
  if (!answer) return problem(answer.error(), r);
  Response out = private_answer(201, answer->body);
  if (answer->replayed) out.headers.push_back({"Idempotent-Replayed", "true"});
  return out;
}

Response reschedule(BookingService& b, const Request& r) {
  auto body = JsonBody::parse_object(r.body);
  if (!body) return problem(body.error(), r);
  auto view = b.reschedule(BookingService::public_context(r.request_id, r.remote_address),
                           r.param("token"), *body);
  if (!view) return problem(view.error(), r);
  return private_answer(200, *view);
}

Response pending(BookingService& b, const Request& r) {
  auto context = audit_context(r);
  if (!context) return problem(context.error(), r);
  auto limit = integer_param(r, "limit", 1, kMaxPending);
  if (!limit) return problem(limit.error(), r);
  auto list = b.pending(*context, r.principal->practice_id, limit->value_or(50));
  if (!list) return problem(list.error(), r);
  json::array items;
  for (const auto& p : *list) {
    const auto& a = p.appointment;
    items.push_back(json::object{
        {"id", p.booking.id},
        {"appointment_id", a.id},
        {"patient_id", nullable(a.patient_id)},
        {"new_patient_record", p.booking.new_patient},
        {"practitioner_id", a.practitioner_id},
        {"type_id", a.type_id},
        {"start",
         scheduling::rfc3339(scheduling::Instant(std::chrono::seconds(a.starts_at)), b.zone())},
        {"status", a.status},
        {"entered", p.entered},
        {"created_at", p.booking.created_at}});
  }
  return ok(200, json::object{{"online_bookings", std::move(items)}});
}

Response review(BookingService& b, const Request& r) {
  auto done = b.review(actor_context(r), r.principal->practice_id, r.param("id"));
  if (!done) return problem(done.error(), r);
  return no_content();
}

}  // namespace

std::optional<Response> over_limit(core::RateLimiter& limiter, core::Clock& clock, const Request& r,
                                   std::string_view what, const core::RateLimit& limit) {
  auto wait = limiter.take(std::string(what) + ":" + r.remote_address, limit, clock.now());
  if (!wait) return std::nullopt;
  auto e = core::Error::make(core::ErrorCode::rate_limited,
                             "Zu viele Anfragen; bitte warten Sie einen Moment. / Too many "
                             "requests; please wait a moment.");
  e.retry_after_seconds = wait->count();
  return problem(e, r);
}

void add_booking_routes(http::Router& router, BookingService& b, core::RateLimiter& limiter,
                        core::Clock& clock, PublicLimits limits) {
  const Limited l{limiter, clock};
  const http::RouteOptions small{kBookingBody, false};
  router.add(Method::get, "/api/v1/public/practices/{slug}", Access::anyone(),
             [&b, l, limits](const Request& r) {
               if (auto no = over_limit(l, r, "read", limits.reads)) return std::move(*no);
               auto info = b.practice_info(r.param("slug"));
               if (!info) return problem(info.error(), r);
               return ok(200, *info);
             });
  router.add(Method::get, "/api/v1/public/practices/{slug}/availability", Access::anyone(),
             [&b, l, limits](const Request& r) {
               if (auto no = over_limit(l, r, "read", limits.reads)) return std::move(*no);
               return availability(b, r);
             });
  router.add(Method::get, "/api/v1/public/practices/{slug}/challenge", Access::anyone(),
             [&b, l, limits](const Request& r) {
               if (auto no = over_limit(l, r, "challenge", limits.challenges)) {
                 return std::move(*no);
               }
               auto c = b.challenge(r.param("slug"));
               if (!c) return problem(c.error(), r);
               return private_answer(200, *c);
             });
  router.add(
      Method::post, "/api/v1/public/practices/{slug}/bookings", Access::anyone(),
      [&b, l, limits](const Request& r) {
        if (auto no = over_limit(l, r, "write", limits.writes)) return std::move(*no);
        return book(b, r);
      },
      small);
  router.add(Method::get, "/api/v1/public/bookings/{token}", Access::anyone(),
             [&b, l, limits](const Request& r) {
               if (auto no = over_limit(l, r, "read", limits.reads)) return std::move(*no);
               auto v = b.view(r.param("token"));
               if (!v) return problem(v.error(), r);
               return private_answer(200, *v);
             });
  router.add(Method::delete_, "/api/v1/public/bookings/{token}", Access::anyone(),
             [&b, l, limits](const Request& r) {
               if (auto no = over_limit(l, r, "write", limits.writes)) return std::move(*no);
               auto v = b.cancel(BookingService::public_context(r.request_id, r.remote_address),
                                 r.param("token"));
               if (!v) return problem(v.error(), r);
               return private_answer(200, *v);
             });
  router.add(
      Method::post, "/api/v1/public/bookings/{token}/reschedule", Access::anyone(),
      [&b, l, limits](const Request& r) {
        if (auto no = over_limit(l, r, "write", limits.writes)) return std::move(*no);
        return reschedule(b, r);
      },
      small);

  http::RouteOptions recorded_read;  // what bookers entered is patient data: audited
  recorded_read.commits = true;
  router.add(
      Method::get, "/api/v1/online-bookings", Access::requires_permission("appointments.read"),
      [&b](const Request& r) { return pending(b, r); }, recorded_read);
  router.add(Method::post, "/api/v1/online-bookings/{id}/review",
             Access::requires_permission("appointments.write"),
             [&b](const Request& r) { return review(b, r); });
}

}  // namespace praxis::api
