#pragma once
// RFC 9457 problem details. Every error response of the API is one of these:
//   {"type":"urn:praxis:problem:not-found","title":"Nicht gefunden","title_en":"Not found",
//    "status":404,"detail":"…","request_id":"…","errors":[{"field":…,"code":…,"message":…}]}
// Only Error::message and the field errors reach the client; Error::internal never does.

#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace praxis::http {

// The HTTP status for an error code (DESIGN.md §5: one-to-one).
int status_for(core::ErrorCode code);

Response problem_response(const core::Error& error, std::string_view request_id);

// Problems that only exist at the HTTP level (no domain error code).
enum class HttpProblem {
  bad_request,              // 400: unparsable request
  method_not_allowed,       // 405
  header_fields_too_large,  // 431
  payload_too_large,        // 413
};
Response problem_response(HttpProblem problem, std::string_view request_id);

}  // namespace praxis::http
