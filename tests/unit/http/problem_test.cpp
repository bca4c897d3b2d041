#include "http/problem.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace praxis::http {
namespace {

using core::ErrorCode;

TEST(Problem, EveryErrorCodeMapsToItsStatus) {
  const std::pair<ErrorCode, int> table[] = {
      {ErrorCode::invalid_input, 400},
      {ErrorCode::unauthenticated, 401},
      {ErrorCode::forbidden, 403},
      {ErrorCode::not_found, 404},
      {ErrorCode::conflict, 409},
      {ErrorCode::precondition_failed, 412},
      {ErrorCode::precondition_required, 428},
      {ErrorCode::too_large, 413},
      {ErrorCode::rate_limited, 429},
      {ErrorCode::internal, 500},
      {ErrorCode::unavailable, 503},
  };
  for (auto [code, status] : table) {
    EXPECT_EQ(status_for(code), status) << core::error_code_name(code);
    const Response r = problem_response(core::Error::make(code, "msg"), "rid");
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.content_type, "application/problem+json");
    auto body = boost::json::parse(r.body).as_object();
    EXPECT_EQ(body.at("status").as_int64(), status);
    EXPECT_EQ(body.at("type").as_string(),
              "urn:praxis:problem:" + std::string(core::error_code_name(code)));
    EXPECT_FALSE(body.at("title").as_string().empty());
    EXPECT_EQ(body.at("request_id").as_string(), "rid");
  }
}

TEST(Problem, InternalDetailNeverReachesTheClient) {
  auto e = core::Error::make(ErrorCode::internal, "disk on fire", "sqlite: SQLITE_IOERR at /var/x");
  const Response r = problem_response(e, "rid");
  EXPECT_EQ(r.body.find("SQLITE"), std::string::npos);
  EXPECT_EQ(r.body.find("disk on fire"), std::string::npos);  // 500s explain nothing

  auto v = core::Error::make(ErrorCode::invalid_input, "Bitte prüfen", "row 17");
  const Response r2 = problem_response(v, "rid");
  EXPECT_NE(r2.body.find("Bitte prüfen"), std::string::npos);
  EXPECT_EQ(r2.body.find("row 17"), std::string::npos);
}

TEST(Problem, FieldErrorsAreListed) {
  auto e = core::Error::make(ErrorCode::invalid_input, "invalid");
  e.fields.push_back({"insurance.kvnr", "check_digit", "Prüfziffer falsch"});
  auto body = boost::json::parse(problem_response(e, "r").body).as_object();
  auto& errors = body.at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("field").as_string(), "insurance.kvnr");
  EXPECT_EQ(errors[0].at("code").as_string(), "check_digit");
}

TEST(Problem, BusyAndUnavailableSayWhenToTryAgain) {
  auto header = [](const Response& r) -> std::string {
    for (const auto& [name, value] : r.headers) {
      if (name == "Retry-After") return value;
    }
    return "(none)";
  };
  // 503 while the database restarts or fails over: clients and proxies wait, then retry.
  EXPECT_EQ(header(problem_response(core::Error::make(ErrorCode::unavailable, "x"), "r")), "5");
  auto limited = core::Error::make(ErrorCode::rate_limited, "x");
  limited.retry_after_seconds = 30;
  EXPECT_EQ(header(problem_response(limited, "r")), "30");
  EXPECT_EQ(header(problem_response(core::Error::make(ErrorCode::internal, "x"), "r")), "(none)");
}

TEST(Problem, HttpLevelProblems) {
  EXPECT_EQ(problem_response(HttpProblem::method_not_allowed, "r").status, 405);
  EXPECT_EQ(problem_response(HttpProblem::payload_too_large, "r").status, 413);
  EXPECT_EQ(problem_response(HttpProblem::header_fields_too_large, "r").status, 431);
  EXPECT_EQ(problem_response(HttpProblem::bad_request, "r").status, 400);
}

}  // namespace
}  // namespace praxis::http
