#pragma once
// Small helpers every API handler uses to answer: a problem for an error, JSON, 204, and
// JSON null for an absent optional text.

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "http/message.hpp"
#include "http/problem.hpp"

namespace praxis::api {

inline http::Response problem(const core::Error& e, const http::Request& request) {
  return http::problem_response(e, request.request_id);
}

inline http::Response ok(int status, const boost::json::value& body) {
  return http::Response::json(status, boost::json::serialize(body));
}

inline http::Response no_content() {
  http::Response r;
  r.status = 204;
  return r;
}

inline boost::json::value nullable(const std::optional<std::string>& s) {
  return s ? boost::json::value(*s) : boost::json::value(nullptr);
}

inline std::string etag(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

// If-Match: "3" or W/"3". nullopt when absent; an error when malformed.
inline core::Result<std::optional<std::int64_t>> if_match(const http::Request& request) {
  auto header = request.header("If-Match");
  if (!header) return std::optional<std::int64_t>();
  std::string_view v = *header;
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::int64_t version = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
  if (ec != std::errc() || p != v.data() + v.size() || version < 1) {
    auto e = core::Error::make(core::ErrorCode::invalid_input,
                               "If-Match erwartet die Version, z. B. \"3\". / If-Match expects "
                               "the version, e.g. \"3\".");
    e.fields.push_back({"If-Match", "invalid", "z. B. \"3\" / e.g. \"3\""});
    return tl::unexpected(e);
  }
  return std::optional<std::int64_t>(version);
}

// A query parameter that is missing or wrong, with what it should have been.
inline core::Error bad_parameter(std::string_view name, std::string_view expected) {
  auto e = core::Error::make(core::ErrorCode::invalid_input,
                             "Ungültiger Parameter " + std::string(name) +
                                 ". / Invalid parameter " + std::string(name) + ".");
  e.fields.push_back({std::string(name), "invalid", std::string(expected)});
  return e;
}

// An optional integer query parameter within [min, max]; nullopt when absent.
inline core::Result<std::optional<std::int64_t>> integer_param(const http::Request& request,
                                                               std::string_view name,
                                                               std::int64_t min, std::int64_t max) {
  const auto param = request.query_param(name);
  if (!param) return std::optional<std::int64_t>();
  const std::string_view text = *param;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max) {
    return tl::unexpected(bad_parameter(name, std::to_string(min) + "–" + std::to_string(max)));
  }
  return std::optional<std::int64_t>(v);
}

// 428 for a change sent without If-Match.
inline core::Error precondition_required() {
  return core::Error::make(core::ErrorCode::precondition_required,
                           "Änderungen brauchen If-Match mit der Version (ETag). / Changes need "
                           "If-Match with the version (ETag).");
}

}  // namespace praxis::api
