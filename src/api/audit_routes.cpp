#include "api/audit_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/audit_context.hpp"
#include "api/json_body.hpp"
#include "api/respond.hpp"
#include "core/clock.hpp"
#include "crypto/encoding.hpp"

namespace praxis::api {

namespace json = boost::json;
using http::Access;
using http::Method;
using http::Request;
using http::Response;

namespace {

std::string b64(const audit::Hash& h) { return crypto::base64_encode(h); }

json::object entry_json(const audit::EntryView& v) {
  const auto& e = v.entry;
  json::array subjects;  // the resources a list showed; empty for one resource
  for (std::string_view rest = e.subjects; !rest.empty();) {
    const auto space = rest.find(' ');
    subjects.emplace_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  return {{"index", e.seq},
          {"at", e.at},
          {"actor", json::object{{"kind", e.actor_kind},
                                 {"id", e.actor_id},
                                 {"role", e.actor_role},
                                 {"name", v.actor_name}}},
          {"action", e.action},
          {"resource_type", e.resource_type},
          {"resource_id", e.resource_id},
          {"subjects", std::move(subjects)},
          {"purpose", e.purpose},
          {"outcome", e.outcome},
          {"request_id", e.request_id},
          {"break_glass", !e.break_glass_id.empty()}};
}

json::object page_json(const audit::EntryPage& page) {
  json::array list;
  for (const auto& v : page.entries) list.push_back(entry_json(v));
  json::object out{{"entries", std::move(list)}};
  out["next_cursor"] =
      page.next_before ? json::value(std::to_string(*page.next_before)) : json::value(nullptr);
  return out;
}

// CSV for people (Art. 15 requests): one line per access, spreadsheet-safe.
std::string csv_cell(std::string_view v) {
  std::string out = "\"";
  if (!v.empty() &&
      (v.front() == '=' || v.front() == '+' || v.front() == '-' || v.front() == '@')) {
    out += '\'';  // no formulas in a spreadsheet (OWASP CSV injection)
  }
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string page_csv(const audit::EntryPage& page) {
  std::string out =
      "Zeitpunkt (UTC) / time,Mitarbeiter / staff member,Rolle / role,Aktion / action,Zweck / "
      "purpose,Ergebnis / outcome,Notfallzugriff / break-glass\r\n";
  for (const auto& v : page.entries) {
    const auto& e = v.entry;
    const std::string who = v.actor_name.empty() ? e.actor_kind + ":" + e.actor_id : v.actor_name;
    for (std::string_view cell :
         {std::string_view(e.at), std::string_view(who), std::string_view(e.actor_role),
          std::string_view(e.action), std::string_view(e.purpose), std::string_view(e.outcome)}) {
      out += csv_cell(cell);
      out += ',';
    }
    out += e.break_glass_id.empty() ? "nein" : "ja";
    out += "\r\n";
  }
  return out;
}

core::Result<std::optional<std::int64_t>> cursor(const Request& request) {
  return integer_param(request, "cursor", 0, std::numeric_limits<std::int64_t>::max());
}

// `from`/`to` are RFC 3339 UTC instants as the entries carry them.
core::Result<std::string> instant(const Request& request, std::string_view name) {
  auto text = request.query_param(name);
  if (!text) return std::string();
  if (!core::parse_iso8601(*text)) return tl::unexpected(bad_parameter(name, "RFC 3339, UTC"));
  return *text;
}

Response search(audit::AuditService& audit, const Request& request) {
  auto context = audit_context(request);
  if (!context) return problem(context.error(), request);
  store::AuditQuery q;
  q.actor_id = request.query_param("user").value_or("");
  q.resource_id = request.query_param("patient").value_or("");
  if (!q.resource_id.empty()) q.resource_type = "patient";
  q.action = request.query_param("action").value_or("");
  auto from = instant(request, "from");
  if (!from) return problem(from.error(), request);
  auto to = instant(request, "to");
  if (!to) return problem(to.error(), request);
  q.from = *from;
  q.to = *to;
  q.break_glass_only = request.query_param("break_glass").value_or("") == "true";
  auto before = cursor(request);
  if (!before) return problem(before.error(), request);
  q.before_seq = *before;
  auto limit = integer_param(request, "limit", 1, 200);
  if (!limit) return problem(limit.error(), request);
  q.limit = limit->value_or(50);
  auto page = audit.search(*context, request.principal->practice_id, q);
  if (!page) return problem(page.error(), request);
  return ok(200, page_json(*page));
}

Response access_log(audit::AuditService& audit, patients::PatientService& patients,
                    const Request& request) {
  const auto& practice = request.principal->practice_id;
  auto exists = patients.exists(practice, request.param("id"));
  if (!exists) return problem(exists.error(), request);
  if (!*exists) {
    return problem(core::Error::make(core::ErrorCode::not_found,
                                     "Patient nicht gefunden. / Patient not found."),
                   request);
  }
  auto context = audit_context(request);
  if (!context) return problem(context.error(), request);
  auto before = cursor(request);
  if (!before) return problem(before.error(), request);
  auto limit = integer_param(request, "limit", 1, 1000);
  if (!limit) return problem(limit.error(), request);
  const auto format = request.query_param("format").value_or("json");
  if (format != "json" && format != "csv") {
    return problem(bad_parameter("format", "json, csv"), request);
  }
  auto page =
      audit.access_log(*context, practice, request.param("id"), *before, limit->value_or(1000));
  if (!page) return problem(page.error(), request);
  if (format == "csv") {
    Response r;
    r.status = 200;
    r.content_type = "text/csv; charset=utf-8";
    r.body = page_csv(*page);
    r.headers.push_back({"Content-Disposition", "attachment; filename=\"zugriffe.csv\""});
    return r;
  }
  json::object out = page_json(*page);
  out["patient_id"] = std::string(request.param("id"));
  return ok(200, out);
}

Response checkpoint(audit::AuditService& audit, const Request& request) {
  auto c = audit.checkpoint(request.principal->practice_id);
  if (!c) return problem(c.error(), request);
  audit::Hash root{};
  std::copy_n(c->row.root.begin(), std::min(root.size(), c->row.root.size()), root.begin());
  return ok(200, json::object{{"origin", c->origin},
                              {"size", c->row.size},
                              {"root_hash", b64(root)},
                              {"note", c->row.note},
                              {"key_name", c->origin},
                              {"public_key", crypto::base64_encode(c->public_key)},
                              {"created_at", c->row.created_at}});
}

json::array hashes(const std::vector<audit::Hash>& proof) {
  json::array out;
  for (const auto& h : proof) out.push_back(json::value(b64(h)));
  return out;
}

Response inclusion(audit::AuditService& audit, const Request& request) {
  auto index = integer_param(request, "index", 0, std::numeric_limits<std::int64_t>::max());
  if (!index) return problem(index.error(), request);
  if (!*index) return problem(bad_parameter("index", "0, 1, 2, …"), request);
  auto size = integer_param(request, "size", 1, std::numeric_limits<std::int64_t>::max());
  if (!size) return problem(size.error(), request);
  std::optional<std::uint64_t> tree_size;
  if (*size) tree_size = static_cast<std::uint64_t>(**size);
  auto r = audit.inclusion(request.principal->practice_id, static_cast<std::uint64_t>(**index),
                           tree_size);
  if (!r) return problem(r.error(), request);
  audit::Hash leaf{};
  std::copy_n(r->entry.leaf.begin(), std::min(leaf.size(), r->entry.leaf.size()), leaf.begin());
  return ok(200, json::object{{"index", **index},
                              {"size", r->size},
                              {"leaf_hash", b64(leaf)},
                              {"proof", hashes(r->proof)}});
}

Response consistency(audit::AuditService& audit, const Request& request) {
  auto from = integer_param(request, "from", 1, std::numeric_limits<std::int64_t>::max());
  if (!from) return problem(from.error(), request);
  auto to = integer_param(request, "to", 1, std::numeric_limits<std::int64_t>::max());
  if (!to) return problem(to.error(), request);
  if (!*from || !*to) return problem(bad_parameter(*from ? "to" : "from", "1, 2, …"), request);
  auto r = audit.consistency(request.principal->practice_id, static_cast<std::uint64_t>(**from),
                             static_cast<std::uint64_t>(**to));
  if (!r) return problem(r.error(), request);
  return ok(200, json::object{{"from", **from}, {"to", **to}, {"proof", hashes(*r)}});
}

json::object break_glass_json(const store::BreakGlassRow& row) {
  return {{"id", row.id},
          {"patient_id", row.patient_id},
          {"user_id", row.user_id},
          {"created_at", row.created_at},
          {"expires_at", row.expires_at},
          {"reviewed_by", nullable(row.reviewed_by)},
          {"reviewed_at", nullable(row.reviewed_at)}};
}

Response open_glass(audit::AuditService& audit, const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  auto patient = body->string("patient_id", Need::required, 64);
  auto reason = body->string("reason", Need::required, 2000);
  if (auto done = body->finish(); !done) return problem(done.error(), request);
  auto grant =
      audit.break_glass(actor_context(request), request.principal->practice_id, *patient, *reason);
  if (!grant) return problem(grant.error(), request);
  return ok(201, break_glass_json(*grant));
}

Response list_glass(audit::AuditService& audit, const Request& request) {
  const bool unreviewed = request.query_param("unreviewed").value_or("") == "true";
  auto rows = audit.break_glass_list(request.principal->practice_id, unreviewed);
  if (!rows) return problem(rows.error(), request);
  json::array list;
  for (const auto& v : *rows) {
    json::object o = break_glass_json(v.row);
    o["reason"] = v.reason;
    o["user"] = json::object{{"id", v.row.user_id}, {"name", v.user_name}, {"role", v.user_role}};
    list.push_back(std::move(o));
  }
  return ok(200, json::object{{"break_glass", std::move(list)}});
}

}  // namespace

void add_audit_routes(http::Router& router, audit::AuditService& audit,
                      patients::PatientService& patients) {
  const auto read = Access::requires_permission("audit.read");
  http::RouteOptions recorded_read;  // the search of the log is itself an entry
  recorded_read.commits = true;
  router.add(
      Method::get, "/api/v1/audit", read, [&audit](const Request& r) { return search(audit, r); },
      recorded_read);
  router.add(Method::get, "/api/v1/audit/checkpoint", read,
             [&audit](const Request& r) { return checkpoint(audit, r); });
  router.add(Method::get, "/api/v1/audit/proof/inclusion", read,
             [&audit](const Request& r) { return inclusion(audit, r); });
  router.add(Method::get, "/api/v1/audit/proof/consistency", read,
             [&audit](const Request& r) { return consistency(audit, r); });
  router.add(
      Method::post, "/api/v1/audit/break-glass", Access::requires_permission("break_glass"),
      [&audit](const Request& r) { return open_glass(audit, r); }, http::RouteOptions{8192, false});
  router.add(Method::get, "/api/v1/audit/break-glass",
             Access::requires_permission("break_glass.review"),
             [&audit](const Request& r) { return list_glass(audit, r); });
  router.add(Method::post, "/api/v1/audit/break-glass/{id}/review",
             Access::requires_permission("break_glass.review"), [&audit](const Request& r) {
               auto done = audit.review(actor_context(r), r.principal->practice_id, r.param("id"));
               if (!done) return problem(done.error(), r);
               return no_content();
             });
  router.add(
      Method::get, "/api/v1/patients/{id}/access-log",
      Access::requires_permission("patients.access_log"),
      [&audit, &patients](const Request& r) { return access_log(audit, patients, r); },
      recorded_read);
}

}  // namespace praxis::api
