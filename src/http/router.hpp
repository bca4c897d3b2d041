#pragma once
// The route table: (method, pattern) → handler, with path parameters.
//
// Patterns are absolute paths whose segments are literals or `{name}` parameters,
// e.g. "/api/v1/patients/{id}". Matching is per decoded segment; where several
// patterns match, the one with literals earliest wins ("/a/new" beats "/a/{id}").
// HEAD is answered by the GET route when no HEAD route exists.
// Adding routes is not thread-safe; matching is (the table is immutable once served).

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace praxis::http {

// Who may call a route. Every route declares it when it is added (there is no
// default), and the server enforces it before the handler runs (the one authorization
// choke point, ASVS 4.1.1): public routes answer anyone; every other route needs an
// authenticated principal whose role grants `permission`. Whether a resource belongs
// to the caller's practice is checked by the service, with foreign ids answering 404.
// Routes that concern only the caller themselves (their sessions, sign-out) need an
// authenticated principal and no particular permission.
struct Access {
  enum class Kind { public_endpoint, authenticated, permission };
  Kind kind;
  std::string permission;  // for Kind::permission, e.g. "patients.read"

  static Access anyone() { return {Kind::public_endpoint, {}}; }
  static Access signed_in() { return {Kind::authenticated, {}}; }
  static Access requires_permission(std::string permission) {
    return {Kind::permission, std::move(permission)};
  }
};

struct RouteOptions {
  // Largest accepted request body; 0 means the server's default (max_body_bytes).
  std::size_t max_body_bytes = 0;
  // Run on the network thread instead of the worker pool. Only for handlers that
  // finish in microseconds and never block (health probes).
  bool run_inline = false;
  // A GET that waits for a store commit to append audit entries (a read of patient data
  // without the audit journal) runs on the server's write pool like a change, so it
  // never holds a thread of the CPU-sized read pool while the writer is busy. Changes
  // always run there.
  bool commits = false;
};

struct Route {
  Method method;
  std::string pattern;
  Access access;
  Handler handler;
  RouteOptions options;
  std::size_t index = 0;  // position in the table; used as the metrics slot

  std::vector<std::string> segments;  // "{name}" for parameters
};

enum class MatchStatus { found, not_found, method_not_allowed, bad_path };

struct RouteMatch {
  MatchStatus status = MatchStatus::not_found;
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<Method> allowed;  // for method_not_allowed: the methods the path supports
};

class Router {
 public:
  // Throws std::invalid_argument for a malformed pattern, a duplicate (method, pattern),
  // a permission route without a permission name, or an inline route that is not
  // public: programming errors found at start-up.
  const Route& add(Method method, std::string pattern, Access access, Handler handler,
                   RouteOptions options = {});

  // `path` is percent-encoded, as received. A path with an invalid encoding gives bad_path.
  RouteMatch match(Method method, std::string_view path) const;

  const std::deque<Route>& routes() const { return routes_; }
  // The largest body any route accepts, given the server default.
  std::size_t max_body_bytes(std::size_t server_default) const;

 private:
  std::deque<Route> routes_;  // deque: references returned by add() stay valid
};

// Splits an encoded absolute path into decoded segments; nullopt if malformed
// (not starting with '/', a bad %-escape, or a decoded NUL).
std::optional<std::vector<std::string>> split_path(std::string_view path);

// "Allow" header value for a 405, e.g. "GET, HEAD, POST".
std::string allow_header(const std::vector<Method>& methods);

}  // namespace praxis::http
