#include "http/problem.hpp"

#include <boost/json.hpp>

namespace praxis::http {
namespace {

constexpr std::string_view kTypePrefix = "urn:praxis:problem:";

struct Titles {
  std::string_view de;
  std::string_view en;
};

Titles titles_for(int status) {
  switch (status) {
    case 400:
      return {"Ungültige Anfrage", "Bad request"};
    case 401:
      return {"Anmeldung erforderlich", "Authentication required"};
    case 403:
      return {"Keine Berechtigung", "Forbidden"};
    case 404:
      return {"Nicht gefunden", "Not found"};
    case 405:
      return {"Methode nicht erlaubt", "Method not allowed"};
    case 409:
      return {"Konflikt", "Conflict"};
    case 412:
      return {"Version veraltet", "Precondition failed"};
    case 428:
      return {"Versionsangabe fehlt", "Precondition required"};
    case 413:
      return {"Anfrage zu groß", "Payload too large"};
    case 429:
      return {"Zu viele Anfragen", "Too many requests"};
    case 431:
      return {"Kopfzeilen zu groß", "Request header fields too large"};
    case 503:
      return {"Vorübergehend nicht verfügbar", "Service unavailable"};
    default:
      return {"Interner Fehler", "Internal error"};
  }
}

Response make(int status, std::string_view type, std::string_view detail,
              std::string_view request_id, const std::vector<core::FieldError>* fields) {
  const Titles t = titles_for(status);
  boost::json::object body;
  body["type"] = std::string(kTypePrefix) + std::string(type);
  body["title"] = t.de;
  body["title_en"] = t.en;
  body["status"] = status;
  if (!detail.empty()) body["detail"] = detail;
  body["request_id"] = request_id;
  if (fields && !fields->empty()) {
    boost::json::array errors;
    for (const auto& f : *fields) {
      errors.push_back(
          boost::json::object{{"field", f.field}, {"code", f.code}, {"message", f.message}});
    }
    body["errors"] = std::move(errors);
  }
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = boost::json::serialize(body);
  return r;
}

}  // namespace

int status_for(core::ErrorCode code) {
  using core::ErrorCode;
  switch (code) {
    case ErrorCode::invalid_input:
      return 400;
    case ErrorCode::unauthenticated:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::precondition_failed:
      return 412;
    case ErrorCode::precondition_required:
      return 428;
    case ErrorCode::too_large:
      return 413;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::internal:
      return 500;
    case ErrorCode::unavailable:
      return 503;
  }
  return 500;
}

Response problem_response(const core::Error& error, std::string_view request_id) {
  const int status = status_for(error.code);
  // A 500 never explains itself to the client: the detail is in the log under the request id.
  const std::string_view detail = status == 500 ? std::string_view() : error.message;
  Response response =
      make(status, core::error_code_name(error.code), detail, request_id, &error.fields);
  response.internal_error = error.internal;
  if (error.code == core::ErrorCode::rate_limited || error.code == core::ErrorCode::unavailable) {
    // 503: the database is restarting or failing over; a few seconds is the usual wait.
    const int fallback = error.code == core::ErrorCode::unavailable ? 5 : 1;
    response.headers.push_back(
        {"Retry-After",
         std::to_string(error.retry_after_seconds > 0 ? error.retry_after_seconds : fallback)});
  }
  return response;
}

Response problem_response(HttpProblem problem, std::string_view request_id) {
  switch (problem) {
    case HttpProblem::bad_request:
      return make(400, "bad-request", "The request could not be parsed.", request_id, nullptr);
    case HttpProblem::method_not_allowed:
      return make(405, "method-not-allowed", "", request_id, nullptr);
    case HttpProblem::header_fields_too_large:
      return make(431, "header-fields-too-large", "", request_id, nullptr);
    case HttpProblem::payload_too_large:
      return make(413, "too-large", "", request_id, nullptr);
  }
  return make(500, "internal", "", request_id, nullptr);
}

}  // namespace praxis::http
