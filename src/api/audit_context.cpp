#include "api/audit_context.hpp"

#include <algorithm>

#include "auth/permissions.hpp"

namespace praxis::api {

bool caller_may(const http::Request& request, std::string_view permission) {
  if (!request.principal) return false;
  const auto& p = *request.principal;
  return auth::role_grants(p.role, permission) &&
         (p.api_token_id.empty() ||
          std::find(p.scopes.begin(), p.scopes.end(), permission) != p.scopes.end());
}

audit::Context actor_context(const http::Request& request) {
  audit::Context c;
  if (request.principal) {
    const auto& p = *request.principal;
    c.actor = p.api_token_id.empty() ? audit::Actor{"user", p.user_id, p.role}
                                     : audit::Actor{"api_token", p.api_token_id, p.role};
    // Those who treat patients read records for treatment unless they say otherwise.
    c.purpose = p.role == "physician" || p.role == "assistant" ? "treatment" : "administration";
    c.restricted_access = caller_may(request, "patients.read_restricted");
  } else {
    c.actor = {"public", "", ""};
  }
  c.request_id = request.request_id;
  c.client_address = request.remote_address;
  return c;
}

core::Result<audit::Context> audit_context(const http::Request& request) {
  audit::Context c = actor_context(request);
  if (auto stated = request.header("X-Praxis-Purpose")) {
    if (!audit::valid_purpose(*stated)) {
      auto e = core::Error::make(core::ErrorCode::invalid_input,
                                 "Unbekannter Zweck des Zugriffs. / Unknown purpose of access.");
      e.fields.push_back({"X-Praxis-Purpose", "unknown",
                          "treatment, administration, billing, emergency, patient_request"});
      return tl::unexpected(e);
    }
    c.purpose = std::string(*stated);
  }
  return c;
}

}  // namespace praxis::api
