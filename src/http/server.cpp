// The only translation unit that includes Beast and Asio (STYLE.md).
#include "http/server.hpp"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cmath>
#include <ctime>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "http/problem.hpp"

namespace praxis::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kDrainPoll{10};
constexpr std::chrono::milliseconds kAcceptBackoff{100};
constexpr int kListenBacklog = 1024;
constexpr std::size_t kRequestIdBytes = 16;

// style-src also admits an *empty* <style> element (the hash of the empty string): the
// staff calendar (FullCalendar 6) creates one and fills it through the CSSOM, which CSP
// leaves to scripts, and 'self' already governs those. Style markup injected into a page
// is never empty, so it stays blocked. font-src admits data: URLs for the calendar's
// embedded icon font: they load nothing from anywhere.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors ";

// The Date header, formatted at most once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char buf[40];
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    (void)std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return buf;
}

// Shared between a connection's coroutine and stop(); touched only on its strand.
struct Connection {
  asio::any_io_executor executor;
  std::function<void()> cancel;
  bool idle = true;
};

using Parser = bhttp::request_parser<bhttp::string_body>;

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

struct Server::Impl {
  Impl(ServerOptions opts, const Router& r, Metrics& m, core::Logger& l, core::Random& rnd)
      : options(std::move(opts)),
        router(r),
        metrics(m),
        log(l),
        random(rnd),
        contexts(make_contexts(std::max(1U, options.io_threads))),
        ioc(*contexts.front()),
        acceptor(ioc),
        signals(ioc) {}

  // One single-threaded io_context per network thread: a connection lives on one
  // context for its whole life, so it needs no strand and no cross-thread wake-ups.
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(unsigned n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (unsigned i = 0; i < n; ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  ServerOptions options;
  const Router& router;
  Authorizer* authorizer = nullptr;
  Metrics& metrics;
  core::Logger& log;
  core::Random& random;

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  asio::io_context& ioc;  // contexts[0]: also runs the acceptor, signals and shutdown
  std::size_t next_context = 0;
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<asio::thread_pool> writers;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::uint16_t bound_port = 0;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open_connections{0};
  std::mutex connections_mutex;
  std::unordered_set<std::shared_ptr<Connection>> connections;

  std::string security_block;        // "Name: value\r\n" for every security header
  std::string fixed_security_block;  // those a response cannot relax
  std::size_t header_phase_body_limit = 0;

  core::Result<void> configure_tls();
  core::Result<void> bind();
  void build_security_headers();

  awaitable<void> accept_loop();
  awaitable<void> run_plain(tcp::socket socket, std::shared_ptr<Connection> conn);
  awaitable<void> run_tls(tcp::socket socket, std::shared_ptr<Connection> conn);
  template <class Stream>
  awaitable<void> session(Stream& stream, Connection& conn);
  template <class Stream>
  awaitable<bool> handle(Stream& stream, beast::flat_buffer& buffer, Parser& parser);
  template <class Stream>
  awaitable<bool> write(Stream& stream, unsigned version, bool head_request, Response response,
                        const std::string& request_id, bool keep_alive);
  // The whole response as one buffer: status line, headers, body.
  std::string serialize(unsigned version, bool head_request, Response& response,
                        const std::string& request_id, bool keep_alive);
  Response invoke(const Route& route, Request& request);
  void access_log(const Request& request, std::string_view method, const Route* route, int status,
                  double seconds);

  void begin_shutdown();
  awaitable<void> drain();
};

core::Result<void> Server::Impl::configure_tls() {
  if (!options.tls) return {};
  tls.emplace(ssl::context::tls_server);
  auto& ctx = *tls;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  // TLS 1.2 only with forward-secret AEAD suites; TLS 1.3 suites are OpenSSL's defaults.
  SSL_CTX_set_cipher_list(ctx.native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set_options(ctx.native_handle(),
                      SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(options.tls->certificate.string(), ec);
  if (ec) {
    return core::fail(core::ErrorCode::invalid_input, "cannot load the TLS certificate " +
                                                          options.tls->certificate.string() + ": " +
                                                          ec.message());
  }
  ctx.use_private_key_file(options.tls->private_key.string(), ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return core::fail(core::ErrorCode::invalid_input, "cannot load the TLS private key " +
                                                          options.tls->private_key.string() +
                                                          " or it does not match the certificate");
  }
  return {};
}

core::Result<void> Server::Impl::bind() {
  boost::system::error_code ec;
  const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return core::fail(core::ErrorCode::invalid_input,
                      "listen address '" + options.host + "' is not an IP address");
  }
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = options.host + ":" + std::to_string(options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(kListenBacklog, ec);
  if (ec) {
    return core::fail(core::ErrorCode::unavailable,
                      "cannot listen on " + where + ": " + ec.message());
  }
  bound_port = acceptor.local_endpoint().port();
  return {};
}

namespace {

// CSP, X-Frame-Options and CORP: the headers a response may relax (Response).
void append_relaxable_headers(std::string& out, std::string_view frame_ancestors,
                              bool cross_origin_resource) {
  out.append("Content-Security-Policy: ")
      .append(kContentSecurityPolicy)
      .append(frame_ancestors)
      .append("\r\n");
  if (frame_ancestors == "'none'") out.append("X-Frame-Options: DENY\r\n");
  out.append("Cross-Origin-Resource-Policy: ")
      .append(cross_origin_resource ? "cross-origin" : "same-origin")
      .append("\r\n");
}

}  // namespace

void Server::Impl::build_security_headers() {
  std::vector<Header> headers = {
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"},
  };
  if (options.tls) {
    headers.push_back({"Strict-Transport-Security", "max-age=63072000; includeSubDomains"});
  }
  fixed_security_block.clear();
  for (const auto& h : headers) fixed_security_block.append(h.name + ": " + h.value + "\r\n");
  security_block = fixed_security_block;
  append_relaxable_headers(security_block, options.frame_ancestors, false);
}

awaitable<void> Server::Impl::accept_loop() {
  while (!stopping) {
    auto& context = *contexts[next_context++ % contexts.size()];
    auto [ec, socket] = co_await acceptor.async_accept(context, kNoThrow);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      log.warn("accept_failed", {{"error", ec.message()}});
      asio::steady_timer backoff(ioc, kAcceptBackoff);  // e.g. out of file descriptors
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    if (open_connections.load() >= options.max_connections) {
      metrics.connection_rejected();
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>();
    conn->executor = socket.get_executor();
    {
      std::lock_guard lock(connections_mutex);
      connections.insert(conn);
    }
    open_connections.fetch_add(1);
    metrics.connection_opened();
    auto executor = socket.get_executor();
    auto body = tls ? run_tls(std::move(socket), conn) : run_plain(std::move(socket), conn);
    asio::co_spawn(executor, std::move(body), [this, conn](const std::exception_ptr& error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          log.error("connection_failed", {{"error", e.what()}});
        }
      }
      {
        std::lock_guard lock(connections_mutex);
        connections.erase(conn);
      }
      metrics.connection_closed();
      open_connections.fetch_sub(1);
    });
  }
}

awaitable<void> Server::Impl::run_plain(tcp::socket socket, std::shared_ptr<Connection> conn) {
  beast::tcp_stream stream(std::move(socket));
  conn->cancel = [&stream] { stream.cancel(); };
  co_await session(stream, *conn);
  conn->cancel = nullptr;
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> Server::Impl::run_tls(tcp::socket socket, std::shared_ptr<Connection> conn) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
  conn->cancel = [&stream] { beast::get_lowest_layer(stream).cancel(); };
  beast::get_lowest_layer(stream).expires_after(options.read_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
  if (!ec) {
    co_await session(stream, *conn);
    beast::get_lowest_layer(stream).expires_after(options.read_timeout);
    co_await stream.async_shutdown(kNoThrow);
  }
  conn->cancel = nullptr;
}

template <class Stream>
awaitable<void> Server::Impl::session(Stream& stream, Connection& conn) {
  beast::flat_buffer buffer;
  bool first = true;
  while (true) {
    conn.idle = true;
    if (stopping) break;
    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(header_phase_body_limit);
    beast::get_lowest_layer(stream).expires_after(first ? options.read_timeout
                                                        : options.idle_timeout);
    auto [ec, bytes] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
    conn.idle = false;
    if (ec) {
      // A client that sent nothing (or timed out, or left) gets no answer; one that
      // sent something we cannot accept gets a problem and the connection closes.
      std::optional<HttpProblem> problem;
      if (ec == bhttp::error::header_limit) {
        problem = HttpProblem::header_fields_too_large;
      } else if (ec == bhttp::error::body_limit) {
        problem = HttpProblem::payload_too_large;
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                 ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        problem = HttpProblem::bad_request;
      }
      if (problem) {
        const auto started = std::chrono::steady_clock::now();
        Request request;
        request.request_id = core::random_hex(random, kRequestIdBytes);
        Response answer = problem_response(*problem, request.request_id);
        const int status = answer.status;
        co_await write(stream, 11, false, std::move(answer), request.request_id, false);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        metrics.observe_request(nullptr, status, seconds);
        access_log(request, "-", nullptr, status, seconds);
      }
      break;
    }
    if (!co_await handle(stream, buffer, parser)) break;
    first = false;
  }
}

template <class Stream>
awaitable<bool> Server::Impl::handle(Stream& stream, beast::flat_buffer& buffer, Parser& parser) {
  const auto started = std::chrono::steady_clock::now();
  metrics.request_started();
  struct InFlight {
    Metrics& m;
    ~InFlight() { m.request_finished(); }
  } in_flight{metrics};

  auto& head = parser.get();
  const unsigned version = head.version();
  bool keep_alive = head.keep_alive();
  const std::string method_text(head.method_string());
  const auto method = parse_method(method_text);

  Request request;
  request.request_id = core::random_hex(random, kRequestIdBytes);
  request.tls = tls.has_value();
  const std::string_view target(head.target().data(), head.target().size());
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  if (method) request.method = *method;

  const Route* route = nullptr;
  std::optional<Response> response;
  if (!method) {
    response = problem_response(HttpProblem::bad_request, request.request_id);
    response->status = 501;
  } else {
    RouteMatch match = router.match(*method, request.path);
    switch (match.status) {
      case MatchStatus::bad_path:
        response = problem_response(HttpProblem::bad_request, request.request_id);
        break;
      case MatchStatus::not_found:
        response = problem_response(
            core::Error::make(core::ErrorCode::not_found, "No resource at this address."),
            request.request_id);
        // A page address typed with a trailing slash ("/app/") leads to the page.
        if ((*method == Method::get || *method == Method::head) && request.path.size() > 1 &&
            request.path.ends_with('/')) {
          const std::string_view bare(request.path.data(), request.path.size() - 1);
          const auto page = router.match(*method, bare);
          if (page.status == MatchStatus::found &&
              page.route->access.kind == Access::Kind::public_endpoint &&
              !bare.starts_with("/api/")) {
            response = Response::text(308, "");
            response->content_type.clear();
            std::string location(bare);
            if (!request.query.empty()) location += "?" + request.query;
            response->headers.push_back({"Location", std::move(location)});
          }
        }
        break;
      case MatchStatus::method_not_allowed:
        response = problem_response(HttpProblem::method_not_allowed, request.request_id);
        response->headers.push_back({"Allow", allow_header(match.allowed)});
        break;
      case MatchStatus::found:
        route = match.route;
        request.path_params = std::move(match.params);
        break;
    }
  }

  if (route) {
    const std::size_t limit =
        route->options.max_body_bytes ? route->options.max_body_bytes : options.max_body_bytes;
    const auto length = parser.content_length();
    if (length && *length > limit) {
      response = problem_response(HttpProblem::payload_too_large, request.request_id);
    } else if (!parser.is_done()) {
      parser.body_limit(limit);
      if (bhttp::token_list(head[bhttp::field::expect]).exists("100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        beast::get_lowest_layer(stream).expires_after(options.read_timeout);
        auto [wec, wbytes] = co_await asio::async_write(
            stream, asio::buffer(kContinue.data(), kContinue.size()), kNoThrow);
        if (wec) co_return false;
      }
      beast::get_lowest_layer(stream).expires_after(options.read_timeout);
      auto [ec, bytes] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
      if (ec == bhttp::error::body_limit) {
        response = problem_response(HttpProblem::payload_too_large, request.request_id);
      } else if (ec) {
        co_return false;  // timed out or gone mid-body: nobody to answer
      }
    }
  }
  // A body we did not read would be taken for the next request.
  if (!parser.is_done()) keep_alive = false;

  if (!response && route) {
    request.headers.reserve(16);
    for (const auto& field : head) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.body = std::move(head.body());
    {
      beast::error_code endpoint_error;
      const auto peer = beast::get_lowest_layer(stream).socket().remote_endpoint(endpoint_error);
      if (!endpoint_error) request.remote_address = peer.address().to_string();
      // Behind a reverse proxy on this machine, the client is the last address the
      // proxy appended; anything before it is the client's own claim.
      if (options.trust_forwarded_for) {
        if (auto forwarded = request.header("X-Forwarded-For")) {
          auto last = forwarded->substr(forwarded->rfind(',') + 1);
          while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
          while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
          if (!last.empty() && last.size() <= 45) request.remote_address = std::string(last);
        }
      }
    }
    if (route->options.run_inline) {
      response = invoke(*route, request);
    } else {
      const bool reads = (route->method == Method::get || route->method == Method::head) &&
                         !route->options.commits;
      response = co_await asio::co_spawn(
          (reads ? workers : writers)->get_executor(),
          [this, route, &request]() -> awaitable<Response> { co_return invoke(*route, request); },
          use_awaitable);
    }
  }

  const int status = response->status;
  keep_alive = keep_alive && !stopping;
  const bool written = co_await write(stream, version, method == Method::head, std::move(*response),
                                      request.request_id, keep_alive);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics.observe_request(route, status, seconds);
  access_log(request, method ? method_name(*method) : std::string_view("-"), route, status,
             seconds);
  co_return written&& keep_alive;
}

namespace {

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

std::string Server::Impl::serialize(unsigned version, bool head_request, Response& response,
                                    const std::string& request_id, bool keep_alive) {
  for (const auto& h : response.headers) {
    // Header injection would let a handler's data forge headers or a second response.
    if (has_line_break(h.name) || has_line_break(h.value) || h.name.empty()) {
      log.error("invalid_response_header", {{"request_id", request_id}});
      response = problem_response(core::Error::make(core::ErrorCode::internal, ""), request_id);
      break;
    }
  }
  if (has_line_break(response.content_type)) response.content_type.clear();
  // A frame-ancestors value is a list of sources: no ';' may start another directive.
  if (response.frame_ancestors.find_first_of(";,\r\n") != std::string::npos) {
    log.error("invalid_frame_ancestors", {{"request_id", request_id}});
    response = problem_response(core::Error::make(core::ErrorCode::internal, ""), request_id);
  }
  const int status = response.status;
  const bool has_body = status >= 200 && status != 204 && status != 304;
  std::string out;
  out.reserve(security_block.size() + 256 + (head_request ? 0 : response.body.size()));
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
  out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(status))).append("\r\n");
  out.append("Date: ").append(http_date()).append("\r\n");
  if (response.frame_ancestors.empty() && !response.cross_origin_resource) {
    out.append(security_block);
  } else {
    out.append(fixed_security_block);
    append_relaxable_headers(out,
                             response.frame_ancestors.empty()
                                 ? std::string_view(options.frame_ancestors)
                                 : std::string_view(response.frame_ancestors),
                             response.cross_origin_resource);
  }
  bool has_cache_control = false;
  for (const auto& h : response.headers) {
    if (beast::iequals(h.name, "cache-control")) has_cache_control = true;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  // API answers may carry personal data: no shared cache or browser may keep them.
  if (!has_cache_control) out.append("Cache-Control: no-store\r\n");
  out.append("X-Request-Id: ").append(request_id).append("\r\n");
  if (!response.content_type.empty()) {
    out.append("Content-Type: ").append(response.content_type).append("\r\n");
  }
  if (has_body) {
    // For HEAD, Content-Length describes the body a GET would carry.
    out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  }
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (has_body && !head_request) out.append(response.body);
  return out;
}

template <class Stream>
awaitable<bool> Server::Impl::write(Stream& stream, unsigned version, bool head_request,
                                    Response response, const std::string& request_id,
                                    bool keep_alive) {
  const std::string bytes = serialize(version, head_request, response, request_id, keep_alive);
  beast::get_lowest_layer(stream).expires_after(options.read_timeout);
  auto [ec, written] = co_await asio::async_write(stream, asio::buffer(bytes), kNoThrow);
  co_return !ec;
}

Response Server::Impl::invoke(const Route& route, Request& request) {
  try {
    if (route.access.kind != Access::Kind::public_endpoint) {
      // The choke point: no protected handler runs without a principal whose role
      // grants the route's permission. Without an authorizer, nothing is granted.
      if (!authorizer) {
        return problem_response(core::Error::make(core::ErrorCode::unauthenticated,
                                                  "Bitte anmelden. / Please sign in."),
                                request.request_id);
      }
      auto principal = authorizer->authorize(request, route.access.permission);
      if (!principal) {
        if (principal.error().code == core::ErrorCode::internal ||
            principal.error().code == core::ErrorCode::unavailable) {
          log.error("authorization_failed", {{"request_id", request.request_id},
                                             {"route", route.pattern},
                                             {"error", principal.error().internal}});
        }
        return problem_response(principal.error(), request.request_id);
      }
      request.principal = std::move(*principal);
    }
    Response response = route.handler(request);
    if (!response.internal_error.empty() && response.status >= 500) {
      log.error("request_failed", {{"request_id", request.request_id},
                                   {"route", route.pattern},
                                   {"status", response.status},
                                   {"error", response.internal_error}});
    } else if (!response.internal_error.empty()) {
      log.debug("request_refused", {{"request_id", request.request_id},
                                    {"route", route.pattern},
                                    {"status", response.status},
                                    {"error", response.internal_error}});
    }
    return response;
  } catch (const std::exception& e) {
    log.error("handler_exception",
              {{"request_id", request.request_id}, {"route", route.pattern}, {"error", e.what()}});
  } catch (...) {
    log.error("handler_exception", {{"request_id", request.request_id},
                                    {"route", route.pattern},
                                    {"error", "unknown exception"}});
  }
  return problem_response(core::Error::make(core::ErrorCode::internal, ""), request.request_id);
}

void Server::Impl::access_log(const Request& request, std::string_view method, const Route* route,
                              int status, double seconds) {
  if (!options.access_log || !log.enabled(core::LogLevel::info)) return;
  log.info("request", {{"request_id", request.request_id},
                       {"method", method},
                       {"route", route ? std::string_view(route->pattern) : "unmatched"},
                       {"status", status},
                       {"duration_ms", std::round(seconds * 1e6) / 1e3}});
}

void Server::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  log.info("shutdown_started",
           {{"open_connections", open_connections.load()}, {"in_flight", metrics.in_flight()}});
  boost::system::error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard lock(connections_mutex);
    snapshot.assign(connections.begin(), connections.end());
  }
  for (auto& conn : snapshot) {
    asio::post(conn->executor, [conn] {
      if (conn->idle && conn->cancel) conn->cancel();
    });
  }
  asio::co_spawn(ioc, drain(), asio::detached);
}

awaitable<void> Server::Impl::drain() {
  const auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
  asio::steady_timer timer(ioc);
  while (open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(kDrainPoll);
    co_await timer.async_wait(kNoThrow);
  }
  log.info("shutdown_finished", {{"open_connections", open_connections.load()}});
  for (auto& context : contexts) context->stop();
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics, core::Logger& log,
               core::Random& random)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, log, random)) {}

Server::~Server() {
  if (impl_->workers) impl_->workers->join();
  if (impl_->writers) impl_->writers->join();
}

core::Result<void> Server::start() {
  auto& o = impl_->options;
  if (!o.tls && !is_loopback_host(o.host)) {
    return core::fail(core::ErrorCode::invalid_input,
                      "refusing to listen on " + o.host +
                          " without TLS: patient data must never cross a network in "
                          "plaintext. Either listen on 127.0.0.1 (behind a TLS reverse proxy) "
                          "or set [server] tls_certificate and tls_private_key in praxis.toml");
  }
  if (auto r = impl_->configure_tls(); !r) return r;
  impl_->build_security_headers();
  impl_->metrics.set_routes(impl_->router);
  impl_->header_phase_body_limit = impl_->router.max_body_bytes(o.max_body_bytes);
  if (auto r = impl_->bind(); !r) return r;
  impl_->workers = std::make_unique<asio::thread_pool>(std::max(1U, o.worker_threads));
  impl_->writers = std::make_unique<asio::thread_pool>(std::max(1U, o.write_threads));
  if (o.handle_signals) {
    // Installed now, not in run(): a signal that arrives in between is queued, not fatal.
    impl_->signals.add(SIGTERM);
    impl_->signals.add(SIGINT);
  }
  return {};
}

std::uint16_t Server::port() const { return impl_->bound_port; }

void Server::set_authorizer(Authorizer* authorizer) { impl_->authorizer = authorizer; }

void Server::run() {
  auto& impl = *impl_;
  if (impl.options.handle_signals) {
    impl.signals.async_wait([&impl](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      impl.log.info("signal_received", {{"signal", signal}});
      impl.begin_shutdown();
    });
  }
  asio::co_spawn(impl.ioc, impl.accept_loop(), asio::detached);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl.contexts.size(); ++i) {
    threads.emplace_back([context = impl.contexts[i].get()] {
      auto guard = asio::make_work_guard(*context);  // idle until drain() stops it
      context->run();
    });
  }
  impl.ioc.run();
  for (auto& t : threads) t.join();
  impl.workers->join();
  impl.writers->join();
}

void Server::stop() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->begin_shutdown(); });
}

}  // namespace praxis::http
