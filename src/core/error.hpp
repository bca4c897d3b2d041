#pragma once
// Expected failures travel as values: Result<T> = tl::expected<T, Error>.
// An Error carries a stable code (which maps one-to-one to an HTTP status at the
// boundary), a message that may be shown to the client, an internal detail that
// only goes to the log, and optional per-field errors for validation failures.

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

namespace praxis::core {

enum class ErrorCode {
  invalid_input,        // 400
  unauthenticated,      // 401
  forbidden,            // 403
  not_found,            // 404
  conflict,             // 409
  precondition_failed,  // 412
  precondition_required,  // 428: a change without If-Match
  too_large,            // 413
  rate_limited,         // 429
  internal,             // 500
  unavailable,          // 503
};

// The system's description of an errno value (thread-safe, unlike strerror).
std::string errno_text(int err);

// Stable machine-readable name, e.g. "not-found"; used in problem `type` URIs.
std::string_view error_code_name(ErrorCode code);

struct FieldError {
  std::string field;    // JSON path of the offending field, e.g. "insurance.kvnr"
  std::string code;     // stable code, e.g. "check_digit"
  std::string message;  // human-readable, safe for the client
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;   // safe to show to the client
  std::string internal;  // for the log only; never leaves the server
  std::vector<FieldError> fields;
  // A failure that may pass if the operation is simply tried again (a busy database,
  // a serialization conflict). with_transaction retries these.
  bool transient = false;
  // For rate_limited: when the client may try again (HTTP Retry-After); 0 = unspecified.
  long retry_after_seconds = 0;

  static Error make(ErrorCode code, std::string message, std::string internal = {});
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message, std::string internal = {}) {
  return tl::unexpected<Error>(Error::make(code, std::move(message), std::move(internal)));
}

}  // namespace praxis::core
