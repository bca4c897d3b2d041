#pragma once
// Small helpers every API handler uses to answer: a problem for an error, JSON, 204, and
// JSON null for an absent optional text.

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
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

}  // namespace praxis::api
