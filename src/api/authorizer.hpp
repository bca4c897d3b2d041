#pragma once
// The http::Authorizer of the staff API: turns what a request presents (the
// __Host-praxis session cookie with its X-CSRF-Token, or an API token in
// "Authorization: Bearer") into the principal, through auth::AuthService.

#include <optional>
#include <string>
#include <string_view>

#include "auth/auth_service.hpp"
#include "http/message.hpp"

namespace praxis::api {

inline constexpr std::string_view kSessionCookie = "__Host-praxis";

// The value of cookie `name` from the Cookie header(s); nullopt if absent.
std::optional<std::string> cookie_value(const http::Request& request, std::string_view name);

auth::Credentials credentials_of(const http::Request& request);
auth::Caller caller_of(const http::Principal& principal);

// Set-Cookie values: the session cookie (Secure always: browsers treat loopback as a
// secure context, and the __Host- prefix requires it), and its removal.
std::string session_cookie(std::string_view token);
std::string expired_session_cookie();

class SessionAuthorizer final : public http::Authorizer {
 public:
  explicit SessionAuthorizer(auth::AuthService& auth) : auth_(auth) {}
  core::Result<http::Principal> authorize(const http::Request& request,
                                          std::string_view permission) override;

 private:
  auth::AuthService& auth_;
};

}  // namespace praxis::api
