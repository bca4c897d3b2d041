#pragma once
// Reading a JSON request body with every problem reported at once (issue #5, "Bad
// input"): malformed JSON, a body that is not an object, missing or extra fields,
// wrong types and oversized strings each become a field error, and the handler gets
// invalid_input listing all of them before it changes anything.
//
//   auto body = JsonBody::parse(request.body);
//   if (!body) return problem(body.error());
//   auto email = body->string("email", Need::required, 254);
//   auto totp = body->string("totp", Need::optional, 16);
//   if (auto ok = body->finish(); !ok) return problem(ok.error());

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace praxis::api {

enum class Need { required, optional };

class JsonBody {
 public:
  // invalid_input (field "body") for malformed JSON or anything but an object.
  [[nodiscard]] static core::Result<JsonBody> parse(std::string_view text);
  // The same checks, for handlers that hand the whole object on (e.g. a patient record
  // validated by its service).
  [[nodiscard]] static core::Result<boost::json::object> parse_object(std::string_view text);

  // nullopt when absent (an error if required) or wrong; `max_chars` counts bytes.
  std::optional<std::string> string(std::string_view name, Need need, std::size_t max_bytes);
  // Absent → nullopt; JSON null → an inner nullopt (to clear a field).
  std::optional<std::optional<std::string>> nullable_string(std::string_view name,
                                                            std::size_t max_bytes);
  std::optional<bool> boolean(std::string_view name, Need need);
  std::optional<std::int64_t> integer(std::string_view name, Need need, std::int64_t min,
                                      std::int64_t max);
  std::optional<std::vector<std::string>> strings(std::string_view name, Need need,
                                                  std::size_t max_items, std::size_t max_bytes);

  // invalid_input with every field error collected so far, plus one per field the
  // request carried that no one asked for.
  [[nodiscard]] core::Result<void> finish();

 private:
  explicit JsonBody(boost::json::object object) : object_(std::move(object)) {}
  const boost::json::value* take(std::string_view name, Need need);
  void error(std::string_view name, std::string code, std::string message);

  boost::json::object object_;
  std::set<std::string, std::less<>> asked_;
  std::vector<core::FieldError> errors_;
};

}  // namespace praxis::api
