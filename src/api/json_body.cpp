#include "api/json_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace praxis::api {

namespace {

core::Error invalid(std::vector<core::FieldError> fields) {
  auto e = core::Error::make(core::ErrorCode::invalid_input,
                             "Die Anfrage ist fehlerhaft. / The request is invalid.");
  e.fields = std::move(fields);
  return e;
}

}  // namespace

core::Result<JsonBody> JsonBody::parse(std::string_view text) {
  auto object = parse_object(text);
  if (!object) return tl::unexpected(object.error());
  return JsonBody(std::move(*object));
}

core::Result<boost::json::object> JsonBody::parse_object(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 16;
  auto value = boost::json::parse(text, ec, {}, options);
  if (ec) {
    return tl::unexpected(
        invalid({{"body", "malformed", "Kein gültiges JSON. / Not valid JSON."}}));
  }
  if (!value.is_object()) {
    return tl::unexpected(
        invalid({{"body", "not_object", "Ein JSON-Objekt erwartet. / Expected a JSON object."}}));
  }
  return std::move(value.as_object());
}

void JsonBody::error(std::string_view name, std::string code, std::string message) {
  errors_.push_back({std::string(name), std::move(code), std::move(message)});
}

const boost::json::value* JsonBody::take(std::string_view name, Need need) {
  asked_.emplace(name);
  const auto* value = object_.if_contains(name);
  if (!value && need == Need::required) {
    error(name, "required", "Pflichtfeld. / Required.");
  }
  return value;
}

std::optional<std::string> JsonBody::string(std::string_view name, Need need,
                                            std::size_t max_bytes) {
  const auto* v = take(name, need);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(name, "type", "Text erwartet. / Expected a string.");
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.size() > max_bytes) {
    error(name, "too_long",
          "Zu lang (höchstens " + std::to_string(max_bytes) + "). / Too long (at most " +
              std::to_string(max_bytes) + ").");
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::optional<std::string>> JsonBody::nullable_string(std::string_view name,
                                                                    std::size_t max_bytes) {
  const auto* v = object_.if_contains(name);
  if (v && v->is_null()) {
    asked_.emplace(name);
    return std::optional<std::string>();
  }
  if (!v) {
    asked_.emplace(name);
    return std::nullopt;
  }
  auto s = string(name, Need::optional, max_bytes);
  if (!s) return std::nullopt;
  return std::optional<std::string>(std::move(*s));
}

std::optional<bool> JsonBody::boolean(std::string_view name, Need need) {
  const auto* v = take(name, need);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    error(name, "type", "true oder false erwartet. / Expected true or false.");
    return std::nullopt;
  }
  return v->get_bool();
}

std::optional<std::int64_t> JsonBody::integer(std::string_view name, Need need, std::int64_t min,
                                              std::int64_t max) {
  const auto* v = take(name, need);
  if (!v) return std::nullopt;
  if (!v->is_int64() && !v->is_uint64()) {
    error(name, "type", "Ganze Zahl erwartet. / Expected an integer.");
    return std::nullopt;
  }
  if (v->is_uint64() && v->get_uint64() > static_cast<std::uint64_t>(max)) {
    error(name, "range", std::to_string(min) + "–" + std::to_string(max));
    return std::nullopt;
  }
  const std::int64_t n =
      v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
  if (n < min || n > max) {
    error(name, "range", std::to_string(min) + "–" + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<std::vector<std::string>> JsonBody::strings(std::string_view name, Need need,
                                                          std::size_t max_items,
                                                          std::size_t max_bytes) {
  const auto* v = take(name, need);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    error(name, "type", "Liste erwartet. / Expected an array.");
    return std::nullopt;
  }
  const auto& array = v->get_array();
  if (array.size() > max_items) {
    error(name, "too_many",
          "Höchstens " + std::to_string(max_items) + ". / At most " + std::to_string(max_items) +
              ".");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string path = std::string(name) + "[" + std::to_string(i) + "]";
    if (!array[i].is_string()) {
      error(path, "type", "Text erwartet. / Expected a string.");
      ok = false;
    } else if (array[i].get_string().size() > max_bytes) {
      error(path, "too_long", "Zu lang. / Too long.");
      ok = false;
    } else {
      out.emplace_back(array[i].get_string());
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

core::Result<void> JsonBody::finish() {
  for (const auto& [key, value] : object_) {
    if (!asked_.contains(std::string_view(key))) {
      error(std::string_view(key), "unknown", "Unbekanntes Feld. / Unknown field.");
    }
  }
  if (errors_.empty()) return {};
  return tl::unexpected(invalid(std::move(errors_)));
}

}  // namespace praxis::api
