#include "api/staff_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/audit_context.hpp"
#include "api/audit_routes.hpp"
#include "api/authorizer.hpp"
#include "api/json_body.hpp"
#include "api/patient_routes.hpp"
#include "api/respond.hpp"
#include "api/scheduling_routes.hpp"
#include "auth/permissions.hpp"

namespace praxis::api {

namespace json = boost::json;
using http::Access;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr std::size_t kSmallBody = std::size_t{8} * 1024;

json::object practice_json(const store::PracticeRow& p) {
  return {{"id", p.id},
          {"slug", p.slug},
          {"name", p.name},
          {"kind", p.kind},
          {"address", {{"street", p.street}, {"postcode", p.postcode}, {"city", p.city}}},
          {"bsnr", nullable(p.bsnr)},
          {"state", p.state},
          {"reception_second_factor_optional", p.reception_second_factor_optional},
          {"created_at", p.created_at},
          {"version", p.version}};
}

json::object user_json(const store::UserRow& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"display_name", u.display_name},
          {"role", u.role},
          {"status", u.status},
          {"second_factor", u.totp_secret.has_value() && u.status == "active"},
          {"created_at", u.created_at},
          {"version", u.version}};
}

json::object session_json(const store::SessionRow& s, std::string_view current) {
  return {{"id", s.id},
          {"created_at", s.created_at},
          {"last_seen_at", s.last_seen_at},
          {"expires_at", s.expires_at},
          {"client", s.client},
          {"current", s.id == current}};
}

json::object api_token_json(const store::ApiTokenRow& t) {
  json::array permissions;
  std::size_t start = 0;
  while (start < t.permissions.size()) {
    auto end = t.permissions.find(' ', start);
    if (end == std::string::npos) end = t.permissions.size();
    permissions.emplace_back(t.permissions.substr(start, end - start));
    start = end + 1;
  }
  return {{"id", t.id},
          {"name", t.name},
          {"permissions", std::move(permissions)},
          {"created_by", t.created_by},
          {"created_at", t.created_at},
          {"expires_at", t.expires_at},
          {"last_used_at", nullable(t.last_used_at)},
          {"revoked_at", nullable(t.revoked_at)}};
}

json::array permissions_of(const http::Principal& p) {
  json::array out;
  for (auto permission : auth::kPermissions) {
    const bool granted = p.api_token_id.empty() ? auth::role_grants(p.role, permission)
                                                : std::find(p.scopes.begin(), p.scopes.end(),
                                                            permission) != p.scopes.end();
    if (granted) out.emplace_back(permission);
  }
  return out;
}

// ---- /api/v1/auth ----

Response enrol(auth::AuthService& auth, const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  auto token = body->string("token", Need::required, 64);
  auto password = body->string("password", Need::required, 1024);
  if (auto ok = body->finish(); !ok) return problem(ok.error(), request);
  auto secrets = auth.enrol(*token, *password);
  if (!secrets) return problem(secrets.error(), request);
  json::array codes;
  for (const auto& c : secrets->recovery_codes) codes.emplace_back(c);
  return ok(200, json::object{{"email", secrets->email},
                              {"totp_secret", secrets->totp_secret},
                              {"otpauth_uri", secrets->otpauth_uri},
                              {"qr_svg", secrets->qr_svg},
                              {"recovery_codes", std::move(codes)}});
}

Response confirm(auth::AuthService& auth, const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  auto token = body->string("token", Need::required, 64);
  auto code = body->string("totp", Need::required, 16);
  if (auto ok = body->finish(); !ok) return problem(ok.error(), request);
  if (auto r = auth.confirm_enrolment(*token, *code, actor_context(request)); !r)
    return problem(r.error(), request);
  return ok(200, json::object{{"status", "active"}});
}

Response login(auth::AuthService& auth, const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  auth::LoginInput input;
  auto email = body->string("email", Need::required, 254);
  auto password = body->string("password", Need::required, 1024);
  input.totp = body->string("totp", Need::optional, 16);
  input.recovery_code = body->string("recovery_code", Need::optional, 64);
  if (auto ok = body->finish(); !ok) return problem(ok.error(), request);
  input.email = std::move(*email);
  input.password = std::move(*password);
  input.client_address = request.remote_address;
  input.request_id = request.request_id;
  input.client_label = std::string(request.header("User-Agent").value_or(""));
  input.previous_session_token = cookie_value(request, kSessionCookie);
  auto result = auth.login(input);
  if (!result) return problem(result.error(), request);
  json::object out{
      {"csrf_token", result->csrf_token},
      {"session",
       {{"id", result->session.id},
        {"expires_at", result->session.expires_at},
        {"idle_timeout_seconds",
         std::chrono::duration_cast<std::chrono::seconds>(auth.options().session_idle).count()}}},
      {"user", user_json(result->user)},
      {"practice",
       {{"id", result->practice.id},
        {"slug", result->practice.slug},
        {"name", result->practice.name}}}};
  if (result->used_recovery_code) out["recovery_codes_left"] = result->recovery_codes_left;
  Response response = ok(200, out);
  response.headers.push_back({"Set-Cookie", session_cookie(result->session_token)});
  return response;
}

Response logout(auth::AuthService& auth, const Request& request) {
  if (auto r = auth.logout(caller_of(*request.principal), actor_context(request)); !r)
    return problem(r.error(), request);
  Response response = no_content();
  response.headers.push_back({"Set-Cookie", expired_session_cookie()});
  return response;
}

Response me(auth::AccountService& accounts, practices::PracticeService& practices,
            const Request& request) {
  const auto& p = *request.principal;
  auto user = accounts.get(p.practice_id, p.user_id);
  if (!user) return problem(user.error(), request);
  auto practice = practices.find(p.practice_id);
  if (!practice) return problem(practice.error(), request);
  json::object out{
      {"user", user_json(*user)},
      {"practice", {{"id", practice->id}, {"slug", practice->slug}, {"name", practice->name}}},
      {"permissions", permissions_of(p)}};
  if (!p.session_id.empty()) out["session_id"] = p.session_id;
  if (!p.api_token_id.empty()) out["api_token_id"] = p.api_token_id;
  return ok(200, out);
}

Response list_sessions(auth::AuthService& auth, const Request& request) {
  auto sessions = auth.sessions(caller_of(*request.principal));
  if (!sessions) return problem(sessions.error(), request);
  json::array out;
  for (const auto& s : *sessions) out.push_back(session_json(s, request.principal->session_id));
  return ok(200, json::object{{"sessions", std::move(out)}});
}

Response revoke_session(auth::AuthService& auth, const Request& request) {
  if (auto r = auth.revoke_session(caller_of(*request.principal), actor_context(request),
                                   request.param("id"));
      !r) {
    return problem(r.error(), request);
  }
  Response response = no_content();
  if (request.param("id") == request.principal->session_id) {
    response.headers.push_back({"Set-Cookie", expired_session_cookie()});
  }
  return response;
}

// ---- /api/v1/api-tokens ----

Response create_api_token(auth::AuthService& auth, const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  auth::NewApiToken input;
  auto name = body->string("name", Need::required, 200);
  auto permissions = body->strings("permissions", Need::required, 32, 64);
  auto days = body->integer("expires_in_days", Need::optional, 1, 365);
  if (auto ok = body->finish(); !ok) return problem(ok.error(), request);
  input.name = std::move(*name);
  input.permissions = std::move(*permissions);
  if (days) input.expires_in_days = *days;
  auto created =
      auth.create_api_token(caller_of(*request.principal), actor_context(request), input);
  if (!created) return problem(created.error(), request);
  json::object out = api_token_json(created->row);
  out["token"] = created->token;
  return ok(201, out);
}

Response list_api_tokens(auth::AuthService& auth, const Request& request) {
  auto tokens = auth.api_tokens(caller_of(*request.principal));
  if (!tokens) return problem(tokens.error(), request);
  json::array out;
  for (const auto& t : *tokens) out.push_back(api_token_json(t));
  return ok(200, json::object{{"api_tokens", std::move(out)}});
}

Response revoke_api_token(auth::AuthService& auth, const Request& request) {
  if (auto r = auth.revoke_api_token(caller_of(*request.principal), actor_context(request),
                                     request.param("id"));
      !r) {
    return problem(r.error(), request);
  }
  return no_content();
}

// ---- /api/v1/practice ----

Response get_practice(practices::PracticeService& practices, const Request& request) {
  auto p = practices.find(request.principal->practice_id);
  if (!p) return problem(p.error(), request);
  return ok(200, practice_json(*p));
}

Response patch_practice(practices::PracticeService& practices, const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  practices::PracticeChange change;
  change.name = body->string("name", Need::optional, 400);
  change.kind = body->string("kind", Need::optional, 40);
  change.state = body->string("state", Need::optional, 8);
  change.street = body->string("street", Need::optional, 400);
  change.postcode = body->string("postcode", Need::optional, 16);
  change.city = body->string("city", Need::optional, 400);
  change.bsnr = body->nullable_string("bsnr", 16);
  change.reception_second_factor_optional =
      body->boolean("reception_second_factor_optional", Need::optional);
  change.expected_version = body->integer("version", Need::optional, 1, INT64_MAX);
  if (auto ok = body->finish(); !ok) return problem(ok.error(), request);
  auto p = practices.update(actor_context(request), request.principal->practice_id, change);
  if (!p) return problem(p.error(), request);
  return ok(200, practice_json(*p));
}

// ---- /api/v1/users ----

Response list_users(auth::AccountService& accounts, const Request& request) {
  auto users = accounts.list(request.principal->practice_id);
  if (!users) return problem(users.error(), request);
  json::array out;
  for (const auto& u : *users) out.push_back(user_json(u));
  return ok(200, json::object{{"users", std::move(out)}});
}

Response invitation_json(int status, const auth::Invitation& invitation,
                         const std::function<std::string()>& base_url) {
  return ok(status,
            json::object{{"user", user_json(invitation.user)},
                         {"enrolment_url", auth::enrolment_url(base_url(), invitation.token)},
                         {"expires_at", invitation.expires_at}});
}

Response invite_user(auth::AccountService& accounts, const std::function<std::string()>& base_url,
                     const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  auto email = body->string("email", Need::required, 254);
  auto role = body->string("role", Need::required, 32);
  auto name = body->string("display_name", Need::optional, 400);
  if (auto ok = body->finish(); !ok) return problem(ok.error(), request);
  auto invitation = accounts.invite(actor_context(request), request.principal->practice_id, *email,
                                    *role, name.value_or(""));
  if (!invitation) return problem(invitation.error(), request);
  return invitation_json(201, *invitation, base_url);
}

Response get_user(auth::AccountService& accounts, const Request& request) {
  auto user = accounts.get(request.principal->practice_id, request.param("id"));
  if (!user) return problem(user.error(), request);
  return ok(200, user_json(*user));
}

Response patch_user(auth::AccountService& accounts, const Request& request) {
  auto body = JsonBody::parse(request.body);
  if (!body) return problem(body.error(), request);
  auth::UserChange change;
  change.role = body->string("role", Need::optional, 32);
  change.status = body->string("status", Need::optional, 32);
  change.display_name = body->string("display_name", Need::optional, 400);
  change.expected_version = body->integer("version", Need::optional, 1, INT64_MAX);
  if (auto ok = body->finish(); !ok) return problem(ok.error(), request);
  auto user = accounts.update(actor_context(request), request.principal->practice_id,
                              request.param("id"), change);
  if (!user) return problem(user.error(), request);
  return ok(200, user_json(*user));
}

Response revoke_user_sessions(auth::AuthService& auth, const Request& request) {
  auto n = auth.revoke_user_sessions(caller_of(*request.principal), actor_context(request),
                                     request.param("id"));
  if (!n) return problem(n.error(), request);
  return ok(200, json::object{{"revoked", *n}});
}

Response reissue_enrolment(auth::AccountService& accounts,
                           const std::function<std::string()>& base_url, const Request& request) {
  auto invitation = accounts.reissue_enrolment(actor_context(request),
                                               request.principal->practice_id, request.param("id"));
  if (!invitation) return problem(invitation.error(), request);
  return invitation_json(201, *invitation, base_url);
}

}  // namespace

void add_staff_routes(http::Router& router, const StaffServices& s) {
  add_patient_routes(router, s.patients);
  add_audit_routes(router, s.audit, s.patients);
  add_scheduling_routes(router, s.scheduling);
  auto& auth = s.auth;
  auto& accounts = s.accounts;
  auto& practices = s.practices;
  const auto base_url = s.base_url;
  const http::RouteOptions small{kSmallBody, false};

  router.add(
      Method::post, "/api/v1/auth/enrol", Access::anyone(),
      [&auth](const Request& r) { return enrol(auth, r); }, small);
  router.add(
      Method::post, "/api/v1/auth/enrol/confirm", Access::anyone(),
      [&auth](const Request& r) { return confirm(auth, r); }, small);
  router.add(
      Method::post, "/api/v1/auth/login", Access::anyone(),
      [&auth](const Request& r) { return login(auth, r); }, small);
  router.add(Method::post, "/api/v1/auth/logout", Access::signed_in(),
             [&auth](const Request& r) { return logout(auth, r); });
  router.add(Method::get, "/api/v1/auth/me", Access::signed_in(),
             [&accounts, &practices](const Request& r) { return me(accounts, practices, r); });
  router.add(Method::get, "/api/v1/auth/sessions", Access::signed_in(),
             [&auth](const Request& r) { return list_sessions(auth, r); });
  router.add(Method::delete_, "/api/v1/auth/sessions/{id}", Access::signed_in(),
             [&auth](const Request& r) { return revoke_session(auth, r); });

  router.add(
      Method::post, "/api/v1/api-tokens", Access::requires_permission("api_tokens.manage"),
      [&auth](const Request& r) { return create_api_token(auth, r); }, small);
  router.add(Method::get, "/api/v1/api-tokens", Access::requires_permission("api_tokens.manage"),
             [&auth](const Request& r) { return list_api_tokens(auth, r); });
  router.add(Method::delete_, "/api/v1/api-tokens/{id}",
             Access::requires_permission("api_tokens.manage"),
             [&auth](const Request& r) { return revoke_api_token(auth, r); });

  router.add(Method::get, "/api/v1/practice", Access::requires_permission("practice.read"),
             [&practices](const Request& r) { return get_practice(practices, r); });
  router.add(
      Method::patch, "/api/v1/practice", Access::requires_permission("practice.manage"),
      [&practices](const Request& r) { return patch_practice(practices, r); }, small);

  router.add(Method::get, "/api/v1/users", Access::requires_permission("users.read"),
             [&accounts](const Request& r) { return list_users(accounts, r); });
  router.add(
      Method::post, "/api/v1/users", Access::requires_permission("users.manage"),
      [&accounts, base_url](const Request& r) { return invite_user(accounts, base_url, r); },
      small);
  router.add(Method::get, "/api/v1/users/{id}", Access::requires_permission("users.read"),
             [&accounts](const Request& r) { return get_user(accounts, r); });
  router.add(
      Method::patch, "/api/v1/users/{id}", Access::requires_permission("users.manage"),
      [&accounts](const Request& r) { return patch_user(accounts, r); }, small);
  router.add(Method::delete_, "/api/v1/users/{id}/sessions",
             Access::requires_permission("users.manage"),
             [&auth](const Request& r) { return revoke_user_sessions(auth, r); });
  router.add(
      Method::post, "/api/v1/users/{id}/enrolment", Access::requires_permission("users.manage"),
      [&accounts, base_url](const Request& r) { return reissue_enrolment(accounts, base_url, r); });
}

}  // namespace praxis::api
