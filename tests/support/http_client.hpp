#pragma once
// A deliberately small blocking HTTP/1.1 client for tests. It speaks raw bytes so a
// test can send malformed, partial or slow requests, and optionally TLS (OpenSSL).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace praxis::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  bool has_header(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct TlsClientOptions {
  int max_version = 0;  // e.g. TLS1_1_VERSION to test refusal; 0: library default
};

class HttpConnection {
 public:
  // Connects to 127.0.0.1:port; throws on failure.
  explicit HttpConnection(std::uint16_t port, std::optional<TlsClientOptions> tls = std::nullopt);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // False if the TLS handshake failed.
  bool ok() const { return ok_; }

  void send(std::string_view raw);
  // Reads one response (Content-Length framed). nullopt if the peer closed first or
  // nothing complete arrived within `timeout`.
  std::optional<HttpResponse> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head_request = false);
  // True if the peer closes the connection within `timeout` (reads drain any data).
  bool wait_closed(std::chrono::milliseconds timeout);

  std::optional<HttpResponse> request(std::string_view method, std::string_view target,
                                      std::string_view body = {},
                                      std::string_view extra_headers = {});

 private:
  // Returns bytes read, 0 on orderly close, -1 on timeout/error.
  long read_some(char* buf, std::size_t len, std::chrono::milliseconds timeout);

  int fd_ = -1;
  bool ok_ = true;
  struct Tls;
  std::unique_ptr<Tls> tls_;
  std::string buffer_;
};

// One request on a fresh connection with "Connection: close".
std::optional<HttpResponse> http_request(std::uint16_t port, std::string_view method,
                                         std::string_view target, std::string_view body = {},
                                         std::string_view extra_headers = {});

}  // namespace praxis::test
