#include "api/patient_routes.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/audit_context.hpp"
#include "api/json_body.hpp"
#include "api/respond.hpp"
#include "http/problem.hpp"

namespace praxis::api {

namespace json = boost::json;
using http::Access;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr std::size_t kPatientBody = 32 * std::size_t{1024};

json::object patient_json(const patients::Patient& p) {
  if (p.masked) {
    return {{"id", p.row.id}, {"status", p.row.status}, {"restricted", true}, {"masked", true}};
  }
  json::object o = patients::to_json(p.record);
  o["restricted"] = p.row.restricted;
  o["id"] = p.row.id;
  o["status"] = p.row.status;
  o["version"] = p.row.version;
  o["created_at"] = p.row.created_at;
  o["updated_at"] = p.row.updated_at;
  o["merged_into"] = nullable(p.row.merged_into);
  o["deleted_at"] = nullable(p.row.deleted_at);
  json::array warnings;
  for (const auto& w : p.warnings) {
    warnings.push_back(json::object{{"field", w.field}, {"code", w.code}, {"message", w.message}});
  }
  o["warnings"] = std::move(warnings);
  return o;
}

// A search hit: what picks the patient out of a list (patients::add_identifying_json) and
// what opening or editing it needs (id, status, version). The record itself — contact
// data, insurance, note, consents — is one GET /api/v1/patients/{id} away, so a list of
// twenty does not carry twenty patients' full master data (data minimisation, and a
// smaller answer to build, send and parse).
json::object patient_hit_json(const patients::Patient& p, const json::storage_ptr& sp) {
  if (p.masked) {
    return json::object(
        {{"id", p.row.id}, {"status", p.row.status}, {"restricted", true}, {"masked", true}}, sp);
  }
  json::object o(sp);
  o.reserve(patients::kIdentifyingFields + 5);
  patients::add_identifying_json(p.record, o);
  o.emplace("id", p.row.id);
  o.emplace("status", p.row.status);
  o.emplace("version", p.row.version);
  o.emplace("restricted", p.row.restricted);
  o.emplace("merged_into", nullable(p.row.merged_into));
  return o;
}

Response patient_response(int status, const patients::Patient& p) {
  Response r = Response::json(status, json::serialize(patient_json(p)));
  r.headers.push_back({"ETag", etag(p.row.version)});
  return r;
}

// A request about /patients/{id} whose own content is wrong answers 404 when the id is
// unknown (or another practice's), so the answer never depends on which came first.
Response refuse(patients::PatientService& patients, const Request& request,
                const core::Error& error) {
  auto exists = patients.exists(request.principal->practice_id, request.param("id"));
  if (!exists) return problem(exists.error(), request);
  if (!*exists) {
    return problem(core::Error::make(core::ErrorCode::not_found,
                                     "Patient nicht gefunden. / Patient not found."),
                   request);
  }
  return problem(error, request);
}

Response search(patients::PatientService& patients, const Request& request,
                const audit::Context& context) {
  const auto q = request.query_param("q").value_or("");
  const auto cursor = request.query_param("cursor").value_or("");
  const auto limit = integer_param(request, "limit", 1, 100);
  if (!limit) return problem(limit.error(), request);
  if (q.size() > 200) {
    auto e = core::Error::make(core::ErrorCode::invalid_input, "q: höchstens 200 Zeichen.");
    e.fields.push_back({"q", "too_long", "höchstens 200 / at most 200"});
    return problem(e, request);
  }
  auto page = patients.search(context, request.principal->practice_id, q, cursor,
                              static_cast<std::size_t>(limit->value_or(20)));
  if (!page) return problem(page.error(), request);
  json::monotonic_resource scratch;  // the page's tree, released at once after serialising
  json::array list(&scratch);
  for (const auto& p : page->patients) list.push_back(patient_hit_json(p, &scratch));
  const json::object out({{"patients", std::move(list)},
                          {"next_cursor", nullable(page->next_cursor)},
                          {"truncated", page->truncated}},
                         &scratch);
  return Response::json(200, json::serialize(out));
}

Response create(patients::PatientService& patients, const Request& request,
                const audit::Context& context) {
  auto body = JsonBody::parse_object(request.body);
  if (!body) return problem(body.error(), request);
  auto outcome = patients.create(context, request.principal->practice_id, *body);
  if (!outcome) return problem(outcome.error(), request);
  if (!outcome->duplicates.empty()) {
    Response r = problem(core::Error::make(core::ErrorCode::conflict,
                                           "Möglicherweise gibt es diesen Patienten schon. "
                                           "Zum Anlegen trotzdem \"confirm_new\": true senden. / "
                                           "This patient may exist already; send "
                                           "\"confirm_new\": true to create anyway."),
                         request);
    json::object problem_body = json::parse(r.body).as_object();
    json::array candidates;
    for (const auto& d : outcome->duplicates) {
      candidates.push_back(json::object{{"id", d.id},
                                        {"family_name", d.family_name},
                                        {"given_names", d.given_names},
                                        {"birth_date", d.birth_date},
                                        {"reason", d.reason}});
    }
    problem_body["candidates"] = std::move(candidates);
    r.body = json::serialize(problem_body);
    return r;
  }
  Response r = patient_response(201, *outcome->created);
  r.headers.push_back({"Location", "/api/v1/patients/" + outcome->created->row.id});
  return r;
}

Response get(patients::PatientService& patients, const Request& request,
             const audit::Context& context) {
  auto p = patients.get(context, request.principal->practice_id, request.param("id"));
  if (!p) return problem(p.error(), request);
  return patient_response(200, *p);
}

Response patch(patients::PatientService& patients, const Request& request,
               const audit::Context& context) {
  auto version = if_match(request);
  if (!version) return refuse(patients, request, version.error());
  if (!*version) {
    return refuse(patients, request, precondition_required());
  }
  auto body = JsonBody::parse_object(request.body);
  if (!body) return refuse(patients, request, body.error());
  if (body->contains("restricted") && !caller_may(request, "patients.restrict")) {
    return refuse(patients, request,
                  core::Error::make(core::ErrorCode::forbidden,
                                    "Nur Inhaber sperren Datensätze oder heben Sperren auf. / "
                                    "Only owners restrict records or lift restrictions."));
  }
  auto p = patients.update(context, request.principal->practice_id, request.param("id"), **version,
                           *body);
  if (!p) return problem(p.error(), request);
  return patient_response(200, *p);
}

Response remove(patients::PatientService& patients, const Request& request,
                const audit::Context& context) {
  auto version = if_match(request);
  if (!version) return refuse(patients, request, version.error());
  auto p = patients.remove(context, request.principal->practice_id, request.param("id"), *version);
  if (!p) return problem(p.error(), request);
  return no_content();
}

Response restore(patients::PatientService& patients, const Request& request,
                 const audit::Context& context) {
  auto p = patients.restore(context, request.principal->practice_id, request.param("id"));
  if (!p) return problem(p.error(), request);
  return patient_response(200, *p);
}

Response merge(patients::PatientService& patients, const Request& request,
               const audit::Context& context) {
  auto body = JsonBody::parse(request.body);
  if (!body) return refuse(patients, request, body.error());
  auto other = body->string("other", Need::required, 64);
  if (auto ok = body->finish(); !ok) return refuse(patients, request, ok.error());
  auto p = patients.merge(context, request.principal->practice_id, request.param("id"), *other);
  if (!p) return problem(p.error(), request);
  return patient_response(200, *p);
}

using Handler = Response (*)(patients::PatientService&, const Request&, const audit::Context&);

// Every patient route runs with the request's audit context; a bad purpose header is
// refused like any other bad input (404 first for an unknown id).
http::Handler audited(patients::PatientService& patients, Handler handler) {
  return [&patients, handler](const Request& request) {
    auto context = audit_context(request);
    if (!context) {
      return request.param("id").empty() ? problem(context.error(), request)
                                         : refuse(patients, request, context.error());
    }
    return handler(patients, request, *context);
  };
}

}  // namespace

void add_patient_routes(http::Router& router, patients::PatientService& p) {
  const http::RouteOptions body{kPatientBody, false};
  // Every patient shown is an audit entry. Through the audit journal (the server on
  // SQLite) recording one is a file append, and the routes stay on the CPU-sized pool;
  // otherwise they wait for a store commit and run on the write pool.
  http::RouteOptions recorded_read;
  recorded_read.commits = p.reads_wait_for_commit();
  router.add(Method::get, "/api/v1/patients", Access::requires_permission("patients.read"),
             audited(p, search), recorded_read);
  router.add(Method::post, "/api/v1/patients", Access::requires_permission("patients.write"),
             audited(p, create), body);
  router.add(Method::get, "/api/v1/patients/{id}", Access::requires_permission("patients.read"),
             audited(p, get), recorded_read);
  router.add(Method::patch, "/api/v1/patients/{id}", Access::requires_permission("patients.write"),
             audited(p, patch), body);
  router.add(Method::delete_, "/api/v1/patients/{id}",
             Access::requires_permission("patients.delete"), audited(p, remove));
  router.add(Method::post, "/api/v1/patients/{id}/restore",
             Access::requires_permission("patients.delete"), audited(p, restore));
  router.add(Method::post, "/api/v1/patients/{id}/merge",
             Access::requires_permission("patients.delete"), audited(p, merge), body);
}

}  // namespace praxis::api
