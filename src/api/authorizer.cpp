#include "api/authorizer.hpp"

#include <cctype>

namespace praxis::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> cookie_value(const http::Request& request, std::string_view name) {
  for (const auto& header : request.headers) {
    if (!iequals(header.name, "Cookie")) continue;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      const auto semicolon = rest.find(';');
      const std::string_view pair = trim(rest.substr(0, semicolon));
      rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
        return std::string(trim(pair.substr(eq + 1)));
      }
    }
  }
  return std::nullopt;
}

auth::Credentials credentials_of(const http::Request& request) {
  auth::Credentials c;
  if (auto authorization = request.header("Authorization")) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization->size() > kBearer.size() &&
        authorization->substr(0, kBearer.size()) == kBearer) {
      c.bearer_token = std::string(trim(authorization->substr(kBearer.size())));
    } else {
      c.bearer_token = std::string();  // a malformed Authorization header never falls back
    }
  }
  c.session_token = cookie_value(request, kSessionCookie);
  if (auto csrf = request.header("X-CSRF-Token")) c.csrf_token = std::string(*csrf);
  c.state_changing = request.method != http::Method::get && request.method != http::Method::head &&
                     request.method != http::Method::options;
  return c;
}

auth::Caller caller_of(const http::Principal& p) {
  return {p.user_id, p.practice_id, p.role, p.session_id, p.api_token_id, p.scopes};
}

std::string session_cookie(std::string_view token) {
  return std::string(kSessionCookie) + "=" + std::string(token) +
         "; Path=/; Secure; HttpOnly; SameSite=Strict";
}

std::string expired_session_cookie() {
  return std::string(kSessionCookie) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

core::Result<http::Principal> SessionAuthorizer::authorize(const http::Request& request,
                                                           std::string_view permission) {
  auto caller = auth_.authenticate(credentials_of(request), permission);
  if (!caller) return tl::unexpected(caller.error());
  http::Principal p;
  p.user_id = std::move(caller->user_id);
  p.practice_id = std::move(caller->practice_id);
  p.role = std::move(caller->role);
  p.session_id = std::move(caller->session_id);
  p.api_token_id = std::move(caller->api_token_id);
  p.scopes = std::move(caller->scopes);
  return p;
}

}  // namespace praxis::api
