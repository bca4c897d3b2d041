#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace praxis::test {

struct HttpConnection::Tls {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
  }
};

HttpConnection::HttpConnection(std::uint16_t port, std::optional<TlsClientOptions> tls) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect failed: " + std::string(std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (tls) {
    tls_ = std::make_unique<Tls>();
    tls_->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(tls_->ctx, SSL_VERIFY_NONE, nullptr);  // self-signed test certificate
    if (tls->max_version) {
      SSL_CTX_set_min_proto_version(tls_->ctx, 0);
      SSL_CTX_set_max_proto_version(tls_->ctx, tls->max_version);
      SSL_CTX_set_security_level(tls_->ctx, 0);  // let the client even offer old versions
    }
    tls_->ssl = SSL_new(tls_->ctx);
    SSL_set_fd(tls_->ssl, fd_);
    ok_ = SSL_connect(tls_->ssl) == 1;
  }
}

HttpConnection::~HttpConnection() {
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

void HttpConnection::send(std::string_view raw) {
  std::size_t done = 0;
  while (done < raw.size()) {
    long n = 0;
    if (tls_) {
      n = SSL_write(tls_->ssl, raw.data() + done, static_cast<int>(raw.size() - done));
    } else {
      n = ::send(fd_, raw.data() + done, raw.size() - done, MSG_NOSIGNAL);
    }
    if (n <= 0) return;  // peer gone; the test notices when it reads
    done += static_cast<std::size_t>(n);
  }
}

long HttpConnection::read_some(char* buf, std::size_t len, std::chrono::milliseconds timeout) {
  if (!(tls_ && SSL_pending(tls_->ssl) > 0)) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r <= 0) return -1;
  }
  if (tls_) {
    const int n = SSL_read(tls_->ssl, buf, static_cast<int>(len));
    if (n > 0) return n;
    const int err = SSL_get_error(tls_->ssl, n);
    return err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL || err == SSL_ERROR_SSL ? 0
                                                                                            : -1;
  }
  const ssize_t n = ::recv(fd_, buf, len, 0);
  if (n < 0) return errno == ECONNRESET ? 0 : -1;
  return n;
}

std::optional<HttpResponse> HttpConnection::read_response(std::chrono::milliseconds timeout,
                                                          bool head_request) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  char chunk[16384];
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    const long n = read_some(chunk, sizeof chunk, remaining());
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  HttpResponse response;
  const std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  response.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(pos, end - pos);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[name] = value;
    pos = end + 2;
  }
  std::size_t length = 0;
  if (!head_request && response.has_header("content-length")) {
    length = std::stoul(response.header("content-length"));
  }
  if (response.status == 100) return response;
  while (buffer_.size() < length) {
    const long n = read_some(chunk, sizeof chunk, remaining());
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

bool HttpConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const long n = read_some(chunk, sizeof chunk, std::max(left, std::chrono::milliseconds(1)));
    if (n == 0) return true;
    if (n < 0 && std::chrono::steady_clock::now() >= deadline) return false;
  }
  return false;
}

std::optional<HttpResponse> HttpConnection::request(std::string_view method,
                                                    std::string_view target, std::string_view body,
                                                    std::string_view extra_headers) {
  std::string raw = std::string(method) + " " + std::string(target) +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra_headers);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n";
  raw += body;
  send(raw);
  return read_response(std::chrono::seconds(10), method == "HEAD");
}

std::optional<HttpResponse> http_request(std::uint16_t port, std::string_view method,
                                         std::string_view target, std::string_view body,
                                         std::string_view extra_headers) {
  HttpConnection conn(port);
  return conn.request(method, target, body,
                      std::string("Connection: close\r\n") + std::string(extra_headers));
}

}  // namespace praxis::test
