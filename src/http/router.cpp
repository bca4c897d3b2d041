#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace praxis::http {
namespace {

bool is_param(std::string_view segment) {
  return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Literal segments earlier in the path make a route more specific.
std::uint64_t specificity(const Route& route) {
  std::uint64_t score = 0;
  for (const auto& s : route.segments) score = (score << 1) | (is_param(s) ? 0U : 1U);
  return score;
}

bool segments_match(const Route& route, const std::vector<std::string>& segments,
                    std::vector<std::pair<std::string, std::string>>* params) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& pattern = route.segments[i];
    if (is_param(pattern)) {
      if (segments[i].empty()) return false;
      if (params) params->emplace_back(pattern.substr(1, pattern.size() - 2), segments[i]);
    } else if (pattern != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string>> split_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::vector<std::string> out;
  std::size_t pos = 1;
  if (path.size() == 1) return out;  // "/" has no segments
  while (true) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    std::string segment;
    segment.reserve(end - pos);
    for (std::size_t i = pos; i < end; ++i) {
      if (path[i] == '%') {
        if (i + 2 >= end) return std::nullopt;
        const int hi = hex_value(path[i + 1]);
        const int lo = hex_value(path[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        const char c = static_cast<char>(hi * 16 + lo);
        if (c == '\0') return std::nullopt;
        segment.push_back(c);
        i += 2;
      } else {
        segment.push_back(path[i]);
      }
    }
    out.push_back(std::move(segment));
    if (end == path.size()) break;
    pos = end + 1;
  }
  return out;
}

const Route& Router::add(Method method, std::string pattern, Access access, Handler handler,
                         RouteOptions options) {
  if (access.kind == Access::Kind::permission && access.permission.empty()) {
    throw std::invalid_argument("route without a permission: " + pattern);
  }
  if (options.run_inline && access.kind != Access::Kind::public_endpoint) {
    // Authorization may touch the store; that never happens on a network thread.
    throw std::invalid_argument("inline routes must be public: " + pattern);
  }
  auto segments = split_path(pattern);
  if (!segments) throw std::invalid_argument("route pattern must start with '/': " + pattern);
  for (const auto& s : *segments) {
    const bool braces = s.find_first_of("{}") != std::string::npos;
    if (s.empty() || (braces && !is_param(s))) {
      throw std::invalid_argument("malformed route pattern: " + pattern);
    }
  }
  for (const auto& r : routes_) {
    if (r.method == method && r.pattern == pattern) {
      throw std::invalid_argument("duplicate route: " + std::string(method_name(method)) + " " +
                                  pattern);
    }
  }
  Route route{method,  std::move(pattern), std::move(access),   std::move(handler),
              options, routes_.size(),     std::move(*segments)};
  routes_.push_back(std::move(route));
  return routes_.back();
}

RouteMatch Router::match(Method method, std::string_view path) const {
  RouteMatch result;
  auto segments = split_path(path);
  if (!segments) {
    result.status = MatchStatus::bad_path;
    return result;
  }
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // fallback for HEAD
  for (const auto& route : routes_) {
    if (!segments_match(route, *segments, nullptr)) continue;
    if (std::find(result.allowed.begin(), result.allowed.end(), route.method) ==
        result.allowed.end()) {
      result.allowed.push_back(route.method);
    }
    if (route.method == method) {
      if (!best || specificity(route) > specificity(*best)) best = &route;
    } else if (method == Method::head && route.method == Method::get) {
      if (!best_get || specificity(route) > specificity(*best_get)) best_get = &route;
    }
  }
  if (!best) best = best_get;
  if (best) {
    result.status = MatchStatus::found;
    result.route = best;
    segments_match(*best, *segments, &result.params);
    return result;
  }
  if (result.allowed.empty()) {
    result.status = MatchStatus::not_found;
    return result;
  }
  if (std::find(result.allowed.begin(), result.allowed.end(), Method::get) !=
          result.allowed.end() &&
      std::find(result.allowed.begin(), result.allowed.end(), Method::head) ==
          result.allowed.end()) {
    result.allowed.push_back(Method::head);
  }
  std::sort(result.allowed.begin(), result.allowed.end());
  result.status = MatchStatus::method_not_allowed;
  return result;
}

std::size_t Router::max_body_bytes(std::size_t server_default) const {
  std::size_t limit = server_default;
  for (const auto& r : routes_) limit = std::max(limit, r.options.max_body_bytes);
  return limit;
}

std::string allow_header(const std::vector<Method>& methods) {
  std::string out;
  for (Method m : methods) {
    if (!out.empty()) out.append(", ");
    out.append(method_name(m));
  }
  return out;
}

}  // namespace praxis::http
