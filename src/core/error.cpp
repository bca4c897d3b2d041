#include "core/error.hpp"

#include <system_error>

namespace praxis::core {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input:
      return "invalid-input";
    case ErrorCode::unauthenticated:
      return "unauthenticated";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::not_found:
      return "not-found";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::precondition_failed:
      return "precondition-failed";
    case ErrorCode::precondition_required:
      return "precondition-required";
    case ErrorCode::too_large:
      return "too-large";
    case ErrorCode::rate_limited:
      return "rate-limited";
    case ErrorCode::internal:
      return "internal";
    case ErrorCode::unavailable:
      return "unavailable";
  }
  return "internal";
}

std::string errno_text(int err) { return std::system_category().message(err); }

Error Error::make(ErrorCode code, std::string message, std::string internal) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  e.internal = std::move(internal);
  return e;
}

}  // namespace praxis::core
