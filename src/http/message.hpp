#pragma once
// Plain request/response structs: what handlers see of HTTP. No Beast types here,
// so handlers and their tests never include the web library.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace praxis::http {

enum class Method { get, head, post, put, patch, delete_, options };

std::string_view method_name(Method m);
std::optional<Method> parse_method(std::string_view name);

struct Header {
  std::string name;
  std::string value;
};

// The authenticated caller, set by the server's choke point before a protected
// handler runs.
struct Principal {
  std::string user_id;              // or the API token's id
  std::string practice_id;          // every protected request acts within exactly one practice
  std::string role;                 // owner, physician, assistant, reception, auditor
  std::string session_id;           // set for a sign-in session
  std::string api_token_id;         // set for an API token
  std::vector<std::string> scopes;  // an API token's permissions
};

struct Request {
  Method method = Method::get;
  std::string path;   // as received, percent-encoded, without the query
  std::string query;  // as received, percent-encoded, without '?'
  std::vector<Header> headers;
  std::string body;
  std::vector<std::pair<std::string, std::string>> path_params;  // decoded
  std::string request_id;
  bool tls = false;
  std::string remote_address;  // the client's IP address (or the proxy's, see ServerOptions)
  std::optional<Principal> principal;  // set for routes that require a permission

  // Case-insensitive header lookup; the first occurrence wins.
  std::optional<std::string_view> header(std::string_view name) const;
  // A decoded path parameter declared in the route pattern ("{id}" → "id"); empty if absent.
  std::string_view param(std::string_view name) const;
  // A decoded query parameter; nullopt if absent. Malformed encodings read as absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<Header> headers;  // extra headers; security headers are added by the server
  // The two security headers a response may relax for itself: the origins that may frame
  // it (CSP frame-ancestors; empty: the server's default, normally 'none'), and whether
  // pages of other origins may load it (Cross-Origin-Resource-Policy: cross-origin, for
  // the booking widget's script).
  std::string frame_ancestors;
  bool cross_origin_resource = false;
  // Why a request failed, for the server's log only (never sent): problem_response sets
  // it from core::Error::internal, and the server logs it with the request id.
  std::string internal_error;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
};

using Handler = std::function<Response(const Request&)>;

// Decides whether `request` may use a route that requires `permission` (empty: any
// authenticated caller): the principal, or an error (unauthenticated → 401,
// forbidden → 403).
// Called on a worker thread; may read the store. Thread-safe.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual core::Result<Principal> authorize(const Request& request,
                                            std::string_view permission) = 0;
};

}  // namespace praxis::http
