#include "api/scheduling_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/audit_context.hpp"
#include "api/json_body.hpp"
#include "api/respond.hpp"

namespace praxis::api {

namespace json = boost::json;
using http::Access;
using http::Method;
using http::Request;
using http::Response;
using scheduling::SchedulingService;
using store::ConfigKind;

namespace {

constexpr std::size_t kConfigBody = 64 * std::size_t{1024};

const std::string& practice_of(const Request& r) { return r.principal->practice_id; }

json::array warnings_json(const std::vector<core::FieldError>& warnings) {
  json::array out;
  for (const auto& w : warnings) {
    out.push_back(json::object{{"field", w.field}, {"code", w.code}, {"message", w.message}});
  }
  return out;
}

json::object config_json(const scheduling::ConfigView& v) {
  json::object o = v.doc;
  o["id"] = v.row.id;
  o["active"] = v.row.active;
  o["version"] = v.row.version;
  o["created_at"] = v.row.created_at;
  o["updated_at"] = v.row.updated_at;
  o["warnings"] = warnings_json(v.warnings);
  return o;
}

Response config_response(int status, const scheduling::ConfigView& v) {
  Response r = ok(status, config_json(v));
  r.headers.push_back({"ETag", etag(v.row.version)});
  return r;
}

json::object appointment_json(const store::AppointmentRow& a, const date::time_zone* zone) {
  json::array resources;
  for (const auto& r : a.resources) resources.emplace_back(r);
  return {
      {"id", a.id},
      {"practitioner_id", a.practitioner_id},
      {"type_id", a.type_id},
      {"patient_id", nullable(a.patient_id)},
      {"start", scheduling::rfc3339(scheduling::Instant(std::chrono::seconds(a.starts_at)), zone)},
      {"end", scheduling::rfc3339(scheduling::Instant(std::chrono::seconds(a.ends_at)), zone)},
      {"status", a.status},
      {"cancel_reason", nullable(a.cancel_reason)},
      {"source", a.source},
      {"resources", std::move(resources)},
      {"version", a.version},
      {"created_at", a.created_at},
      {"updated_at", a.updated_at}};
}

Response appointment_response(int status, const store::AppointmentRow& a,
                              const date::time_zone* zone) {
  Response r = ok(status, appointment_json(a, zone));
  r.headers.push_back({"ETag", etag(a.version)});
  return r;
}

// ---- configuration collections ----

Response list_config(SchedulingService& s, ConfigKind kind, const char* key, const Request& r) {
  auto items = s.list(practice_of(r), kind);
  if (!items) return problem(items.error(), r);
  json::array list;
  for (const auto& v : *items) list.push_back(config_json(v));
  return ok(200, json::object{{key, std::move(list)}});
}

Response create_config(SchedulingService& s, ConfigKind kind, const Request& r) {
  auto body = JsonBody::parse_object(r.body);
  if (!body) return problem(body.error(), r);
  auto created = s.create(actor_context(r), practice_of(r), kind, *body);
  if (!created) return problem(created.error(), r);
  return config_response(201, *created);
}

Response get_config(SchedulingService& s, ConfigKind kind, const Request& r) {
  auto v = s.get(practice_of(r), kind, r.param("id"));
  if (!v) return problem(v.error(), r);
  return config_response(200, *v);
}

Response patch_config(SchedulingService& s, ConfigKind kind, const Request& r) {
  // The id first: another practice's answers 404 whatever the request looks like.
  auto current = s.get(practice_of(r), kind, r.param("id"));
  if (!current) return problem(current.error(), r);
  auto version = if_match(r);
  if (!version) return problem(version.error(), r);
  if (!*version) return problem(precondition_required(), r);
  auto body = JsonBody::parse_object(r.body);
  if (!body) return problem(body.error(), r);
  auto v = s.update(actor_context(r), practice_of(r), kind, r.param("id"), **version, *body);
  if (!v) return problem(v.error(), r);
  return config_response(200, *v);
}

void add_collection(http::Router& router, SchedulingService& s, const std::string& path,
                    ConfigKind kind, const char* key) {
  const http::RouteOptions body{kConfigBody, false};
  const auto read = Access::requires_permission("practice.read");
  const auto write = Access::requires_permission("scheduling.configure");
  router.add(Method::get, path, read,
             [&s, kind, key](const Request& r) { return list_config(s, kind, key, r); });
  router.add(
      Method::post, path, write, [&s, kind](const Request& r) { return create_config(s, kind, r); },
      body);
  router.add(Method::get, path + "/{id}", read,
             [&s, kind](const Request& r) { return get_config(s, kind, r); });
  router.add(
      Method::patch, path + "/{id}", write,
      [&s, kind](const Request& r) { return patch_config(s, kind, r); }, body);
}

// ---- single documents: working plans and booking rules ----

Response put_document(const Request& r, const scheduling::ConfigView& current,
                      const std::function<core::Result<scheduling::ConfigView>(
                          std::optional<std::int64_t>, const json::object&)>& put) {
  auto version = if_match(r);
  if (!version) return problem(version.error(), r);
  if (!*version && current.row.version > 0) return problem(precondition_required(), r);
  auto body = JsonBody::parse_object(r.body);
  if (!body) return problem(body.error(), r);
  auto v = put(version->value_or(0), *body);
  if (!v) return problem(v.error(), r);
  return config_response(200, *v);
}

// ---- appointments ----

core::Result<scheduling::Instant> instant_param(const Request& r, std::string_view name) {
  auto text = r.query_param(name);
  if (!text)
    return tl::unexpected(bad_parameter(name, "RFC 3339, z. B. 2026-06-08T00:00:00+02:00"));
  auto t = scheduling::parse_instant(*text);
  if (!t) return tl::unexpected(bad_parameter(name, "RFC 3339, z. B. 2026-06-08T00:00:00+02:00"));
  return *t;
}

Response list_appointments(SchedulingService& s, const Request& r) {
  auto from = instant_param(r, "from");
  if (!from) return problem(from.error(), r);
  auto to = instant_param(r, "to");
  if (!to) return problem(to.error(), r);
  auto rows = s.appointments(practice_of(r), *from, *to, r.query_param("practitioner"));
  if (!rows) return problem(rows.error(), r);
  json::array list;
  for (const auto& a : *rows) list.push_back(appointment_json(a, s.zone()));
  return ok(200, json::object{{"appointments", std::move(list)}});
}

Response create_appointment(SchedulingService& s, const Request& r) {
  auto body = JsonBody::parse(r.body);
  if (!body) return problem(body.error(), r);
  scheduling::NewAppointment in;
  auto type = body->string("type_id", Need::required, 64);
  auto practitioner = body->string("practitioner_id", Need::required, 64);
  auto patient = body->string("patient_id", Need::optional, 64);
  auto start = body->string("start", Need::required, 40);
  auto outside = body->boolean("outside_hours", Need::optional);
  auto walk_in = body->boolean("walk_in", Need::optional);
  if (auto done = body->finish(); !done) return problem(done.error(), r);
  auto at = scheduling::parse_instant(*start);
  if (!at) return problem(bad_parameter("start", "RFC 3339"), r);
  in.type_id = *type;
  in.practitioner_id = *practitioner;
  in.patient_id = patient;
  in.start = *at;
  in.outside_hours = outside.value_or(false);
  in.source = walk_in.value_or(false) ? "walk_in" : "staff";
  auto a = s.book(actor_context(r), practice_of(r), in);
  if (!a) return problem(a.error(), r);
  Response out = appointment_response(201, *a, s.zone());
  out.headers.push_back({"Location", "/api/v1/appointments/" + a->id});
  return out;
}

Response get_appointment(SchedulingService& s, const Request& r) {
  auto a = s.appointment(practice_of(r), r.param("id"));
  if (!a) return problem(a.error(), r);
  return appointment_response(200, *a, s.zone());
}

Response change_appointment(SchedulingService& s, const Request& r, bool cancel) {
  auto current = s.appointment(practice_of(r), r.param("id"));
  if (!current) return problem(current.error(), r);
  auto version = if_match(r);
  if (!version) return problem(version.error(), r);
  if (!*version) return problem(precondition_required(), r);
  scheduling::AppointmentChange change;
  if (cancel) {
    change.status = "cancelled";
    change.cancel_reason = r.query_param("reason").value_or("other");
  } else {
    auto body = JsonBody::parse(r.body);
    if (!body) return problem(body.error(), r);
    auto start = body->string("start", Need::optional, 40);
    change.practitioner_id = body->string("practitioner_id", Need::optional, 64);
    change.status = body->string("status", Need::optional, 16);
    change.cancel_reason = body->string("cancel_reason", Need::optional, 16);
    change.outside_hours = body->boolean("outside_hours", Need::optional).value_or(false);
    if (auto done = body->finish(); !done) return problem(done.error(), r);
    if (start) {
      change.start = scheduling::parse_instant(*start);
      if (!change.start) return problem(bad_parameter("start", "RFC 3339"), r);
    }
  }
  auto a = s.change(actor_context(r), practice_of(r), r.param("id"), **version, change);
  if (!a) return problem(a.error(), r);
  return appointment_response(200, *a, s.zone());
}

core::Result<date::local_days> date_param(const Request& r, std::string_view name) {
  auto text = r.query_param(name);
  auto d = text ? scheduling::parse_local_date(*text) : std::nullopt;
  if (!d) return tl::unexpected(bad_parameter(name, "JJJJ-MM-TT / YYYY-MM-DD"));
  return *d;
}

Response availability(SchedulingService& s, const Request& r) {
  auto type = r.query_param("type");
  if (!type || type->empty()) return problem(bad_parameter("type", "Termintyp / type id"), r);
  auto from = date_param(r, "from");
  if (!from) return problem(from.error(), r);
  auto to = date_param(r, "to");
  if (!to) return problem(to.error(), r);
  auto offer = s.offer(practice_of(r), *type, r.query_param("practitioner"), *from, *to,
                       /*online=*/false);
  if (!offer) return problem(offer.error(), r);
  const auto& slots = offer->starts->slots;
  json::array list;
  for (std::size_t i = offer->first; i < offer->last; ++i) {
    const auto& slot = slots[i];
    list.push_back(json::object{{"start", scheduling::rfc3339(slot.start, s.zone())},
                                {"practitioner_id", slot.practitioner}});
  }
  return ok(200, json::object{{"slots", std::move(list)}});
}

}  // namespace

void add_scheduling_routes(http::Router& router, SchedulingService& s) {
  const http::RouteOptions body{kConfigBody, false};
  const auto read_config = Access::requires_permission("practice.read");
  const auto configure = Access::requires_permission("scheduling.configure");
  add_collection(router, s, "/api/v1/practitioners", ConfigKind::practitioner, "practitioners");
  add_collection(router, s, "/api/v1/resources", ConfigKind::resource, "resources");
  add_collection(router, s, "/api/v1/appointment-types", ConfigKind::appointment_type,
                 "appointment_types");

  router.add(Method::get, "/api/v1/practitioners/{id}/working-plan", read_config,
             [&s](const Request& r) {
               auto v = s.working_plan(practice_of(r), r.param("id"));
               if (!v) return problem(v.error(), r);
               return config_response(200, *v);
             });
  router.add(
      Method::put, "/api/v1/practitioners/{id}/working-plan", configure,
      [&s](const Request& r) {
        auto current = s.working_plan(practice_of(r), r.param("id"));
        if (!current) return problem(current.error(), r);
        return put_document(r, *current, [&](std::optional<std::int64_t> v, const json::object& b) {
          return s.put_working_plan(actor_context(r), practice_of(r), r.param("id"), v, b);
        });
      },
      body);
  router.add(Method::get, "/api/v1/booking-rules", read_config, [&s](const Request& r) {
    auto v = s.settings(practice_of(r));
    if (!v) return problem(v.error(), r);
    return config_response(200, *v);
  });
  router.add(
      Method::put, "/api/v1/booking-rules", configure,
      [&s](const Request& r) {
        auto current = s.settings(practice_of(r));
        if (!current) return problem(current.error(), r);
        return put_document(r, *current, [&](std::optional<std::int64_t> v, const json::object& b) {
          return s.put_settings(actor_context(r), practice_of(r), v, b);
        });
      },
      body);

  router.add(
      Method::get, "/api/v1/absences", Access::requires_permission("appointments.read"),
      [&s](const Request& r) {
        auto from = instant_param(r, "from");
        if (!from) return problem(from.error(), r);
        auto to = instant_param(r, "to");
        if (!to) return problem(to.error(), r);
        auto rows = s.absences(practice_of(r), *from, *to);
        if (!rows) return problem(rows.error(), r);
        json::array list;
        for (const auto& a : *rows) {
          list.push_back(json::object{
              {"id", a.id},
              {"practitioner_id", a.practitioner_id},
              {"start", scheduling::rfc3339(scheduling::Instant(std::chrono::seconds(a.starts_at)),
                                            s.zone())},
              {"end", scheduling::rfc3339(scheduling::Instant(std::chrono::seconds(a.ends_at)),
                                          s.zone())}});
        }
        return ok(200, json::object{{"absences", std::move(list)}});
      });
  router.add(
      Method::post, "/api/v1/absences", configure,
      [&s](const Request& r) {
        auto b = JsonBody::parse_object(r.body);
        if (!b) return problem(b.error(), r);
        auto a = s.add_absence(actor_context(r), practice_of(r), *b);
        if (!a) return problem(a.error(), r);
        return ok(201, json::object{{"id", a->id}, {"practitioner_id", a->practitioner_id}});
      },
      body);
  router.add(Method::delete_, "/api/v1/absences/{id}", configure, [&s](const Request& r) {
    if (auto gone = s.remove_absence(actor_context(r), practice_of(r), r.param("id")); !gone) {
      return problem(gone.error(), r);
    }
    return no_content();
  });

  router.add(Method::get, "/api/v1/availability", Access::requires_permission("appointments.read"),
             [&s](const Request& r) { return availability(s, r); });
  const auto read = Access::requires_permission("appointments.read");
  const auto write = Access::requires_permission("appointments.write");
  router.add(Method::get, "/api/v1/appointments", read,
             [&s](const Request& r) { return list_appointments(s, r); });
  router.add(
      Method::post, "/api/v1/appointments", write,
      [&s](const Request& r) { return create_appointment(s, r); }, body);
  router.add(Method::get, "/api/v1/appointments/{id}", read,
             [&s](const Request& r) { return get_appointment(s, r); });
  router.add(
      Method::patch, "/api/v1/appointments/{id}", write,
      [&s](const Request& r) { return change_appointment(s, r, false); }, body);
  router.add(Method::delete_, "/api/v1/appointments/{id}", write,
             [&s](const Request& r) { return change_appointment(s, r, true); });
}

}  // namespace praxis::api
