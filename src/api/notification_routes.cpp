#include "api/notification_routes.hpp"

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
using notify::Notifier;

namespace {

constexpr std::size_t kTemplateBody = 32 * std::size_t{1024};
constexpr std::int64_t kMaxList = 200;

Response list(Notifier& n, const Request& r) {
  const auto state = r.query_param("state").value_or("");
  if (!state.empty() && state != "pending" && state != "sending" && state != "sent" &&
      state != "dead" && state != "obsolete") {
    return problem(bad_parameter("state", "pending, sending, sent, dead, obsolete"), r);
  }
  auto limit = integer_param(r, "limit", 1, kMaxList);
  if (!limit) return problem(limit.error(), r);
  std::optional<std::pair<std::string, std::string>> before;
  if (auto cursor = r.query_param("cursor"); cursor && !cursor->empty()) {
    const auto at = cursor->find('~');
    if (at == std::string::npos) return problem(bad_parameter("cursor", "next_cursor"), r);
    before.emplace(cursor->substr(0, at), cursor->substr(at + 1));
  }
  const auto n_wanted = limit->value_or(50);
  auto rows = n.list(r.principal->practice_id, state, before, n_wanted);
  if (!rows) return problem(rows.error(), r);
  json::array items;
  for (const auto& row : *rows) items.push_back(notify::to_json(row));
  json::value next = nullptr;
  if (static_cast<std::int64_t>(rows->size()) == n_wanted) {
    next = json::value(rows->back().created_at + "~" + rows->back().id);
  }
  return ok(200, json::object{{"notifications", std::move(items)}, {"next_cursor", next}});
}

Response retry(Notifier& n, const Request& r) {
  auto done = n.retry(actor_context(r), r.principal->practice_id, r.param("id"));
  if (!done) return problem(done.error(), r);
  return no_content();
}

Response templates(Notifier& n, const Request& r) {
  auto all = n.templates(r.principal->practice_id);
  if (!all) return problem(all.error(), r);
  return ok(200, json::object{{"templates", std::move(*all)}});
}

Response put_template(Notifier& n, const Request& r) {
  auto version = if_match(r);
  if (!version) return problem(version.error(), r);
  auto body = JsonBody::parse_object(r.body);
  if (!body) return problem(body.error(), r);
  auto saved = n.put_template(actor_context(r), r.principal->practice_id, r.param("kind"),
                              r.param("language"), *version, *body);
  if (!saved) return problem(saved.error(), r);
  Response out = ok(200, *saved);
  out.headers.push_back({"ETag", etag(saved->at("version").as_int64())});
  return out;
}

Response reset_template(Notifier& n, const Request& r) {
  auto done = n.reset_template(actor_context(r), r.principal->practice_id, r.param("kind"),
                               r.param("language"));
  if (!done) return problem(done.error(), r);
  return no_content();
}

Response preview(Notifier& n, const Request& r) {
  std::optional<json::object> body;
  if (!r.body.empty()) {
    auto parsed = JsonBody::parse_object(r.body);
    if (!parsed) return problem(parsed.error(), r);
    if (!parsed->empty()) body = std::move(*parsed);
  }
  auto shown = n.preview(r.principal->practice_id, r.param("kind"), r.param("language"),
                         body ? &*body : nullptr);
  if (!shown) return problem(shown.error(), r);
  return ok(200, *shown);
}

json::object settings_json(const notify::PracticeSettings& s) {
  return {
      {"practice_email", s.practice_email},
      {"reminder_hours", s.reminder_hours ? json::value(*s.reminder_hours) : json::value(nullptr)}};
}

Response get_settings(Notifier& n, const Request& r) {
  auto s = n.settings(r.principal->practice_id);
  if (!s) return problem(s.error(), r);
  return ok(200, settings_json(*s));
}

Response put_settings(Notifier& n, const Request& r) {
  auto body = JsonBody::parse_object(r.body);
  if (!body) return problem(body.error(), r);
  auto s = n.put_settings(actor_context(r), r.principal->practice_id, *body);
  if (!s) return problem(s.error(), r);
  return ok(200, settings_json(*s));
}

}  // namespace

void add_notification_routes(http::Router& router, Notifier& n) {
  const http::RouteOptions body{kTemplateBody, false};
  const auto read = Access::requires_permission("appointments.read");
  const auto write = Access::requires_permission("appointments.write");
  const auto configure = Access::requires_permission("practice.manage");
  router.add(Method::get, "/api/v1/notifications", read,
             [&n](const Request& r) { return list(n, r); });
  router.add(Method::post, "/api/v1/notifications/{id}/retry", write,
             [&n](const Request& r) { return retry(n, r); });
  router.add(Method::get, "/api/v1/notification-templates", configure,
             [&n](const Request& r) { return templates(n, r); });
  router.add(
      Method::put, "/api/v1/notification-templates/{kind}/{language}", configure,
      [&n](const Request& r) { return put_template(n, r); }, body);
  router.add(Method::delete_, "/api/v1/notification-templates/{kind}/{language}", configure,
             [&n](const Request& r) { return reset_template(n, r); });
  router.add(
      Method::post, "/api/v1/notification-templates/{kind}/{language}/preview", configure,
      [&n](const Request& r) { return preview(n, r); }, body);
  router.add(Method::get, "/api/v1/notification-settings", configure,
             [&n](const Request& r) { return get_settings(n, r); });
  router.add(
      Method::put, "/api/v1/notification-settings", configure,
      [&n](const Request& r) { return put_settings(n, r); }, body);
}

}  // namespace praxis::api
