#pragma once
// The audit context of a staff request (issue #8): who (the signed-in user or the API
// token), why (the purpose the client states in the X-Praxis-Purpose header, or the
// role's usual one), the request id and the client address (hashed by the trail).

#include "audit/trail.hpp"
#include "core/error.hpp"
#include "http/message.hpp"

namespace praxis::api {

// Whether the caller holds `permission`: its role grants it and, for an API token, the
// token carries it.
bool caller_may(const http::Request& request, std::string_view permission);

// Who, the request id and the address, with the role's usual purpose (for requests
// whose purpose is administration by nature: sign-out, tokens, user management).
audit::Context actor_context(const http::Request& request);

// actor_context and the purpose stated in X-Praxis-Purpose (patient data); invalid_input
// when that names no known purpose.
[[nodiscard]] core::Result<audit::Context> audit_context(const http::Request& request);

}  // namespace praxis::api
