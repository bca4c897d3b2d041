#include "http/static_files.hpp"

#include <sodium.h>
#include <zlib.h>

#include <array>
#include <fstream>
#include <iterator>
#include <system_error>

#include "core/text.hpp"
#include "http/problem.hpp"

namespace praxis::http {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kEtagBytes = 16;
constexpr int kGzipWindowBits = 15 + 16;  // zlib: 15-bit window, gzip wrapper
constexpr int kMemLevel = 8;

bool compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("image/svg+xml") || type.starts_with("application/manifest+json");
}

// gzip at the highest level: compressed once at start, served many times.
std::string gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  // zlib's API is not const-correct; it only reads the input.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

std::string etag_of(std::string_view data) {
  // BLAKE2b from libsodium, not OpenSSL: hashing the files at start-up was the only use
  // of OpenSSL an idle server made, and initialising it cost 1.5 MiB of RSS.
  std::array<unsigned char, kEtagBytes> digest{};
  if (sodium_init() < 0 ||  // idempotent; this library may be used before praxis_crypto
      crypto_generichash(digest.data(), digest.size(),
                         reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr,
                         0) != 0) {
    return {};
  }
  std::array<char, 2 * kEtagBytes + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return "\"" + std::string(hex.data(), 2 * kEtagBytes) + "\"";
}

// True when Accept-Encoding names gzip without q=0.
bool accepts_gzip(const Request& request) {
  const auto header = request.header("Accept-Encoding");
  if (!header) return false;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = core::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string_view coding = core::trim(item.substr(0, semi));
    if (coding != "gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view q = core::trim(item.substr(semi + 1));
    if (q.starts_with("q=") || q.starts_with("Q=")) q.remove_prefix(2);
    return !(q == "0" || q == "0.0" || q == "0.00" || q == "0.000");
  }
  return false;
}

// If-None-Match lists `etag` (in its plain or gzip form) or is "*".
bool not_modified(const Request& request, std::string_view etag) {
  const auto header = request.header("If-None-Match");
  if (!header) return false;
  const std::string_view bare = etag.substr(1, etag.size() - 2);
  std::string_view rest = *header;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view tag = core::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') continue;
    tag = tag.substr(1, tag.size() - 2);
    if (tag.ends_with("-gz")) tag.remove_suffix(3);
    if (tag == bare) return true;
  }
  return false;
}

}  // namespace

std::string_view media_type(std::string_view name) {
  struct Entry {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr std::array<Entry, 13> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  }};
  for (const auto& entry : kTypes) {
    if (name.ends_with(entry.extension)) return entry.type;
  }
  return "application/octet-stream";
}

core::Result<StaticFiles> StaticFiles::load(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return core::fail(core::ErrorCode::unavailable,
                      "the web assets directory " + root.string() +
                          " does not exist; build them with 'make build' (npm run build)");
  }
  StaticFiles out;
  std::size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = fs::relative(it->path(), root, ec).generic_string();
    if (ec || name.empty() || name.starts_with("..")) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return core::fail(core::ErrorCode::unavailable, "cannot read " + it->path().string());
    }
    total += body.size();
    if (out.files_.size() >= kMaxFiles || total > kMaxTotalBytes) {
      return core::fail(core::ErrorCode::unavailable,
                        "the web assets directory " + root.string() + " holds too much");
    }
    File file;
    file.content_type = std::string(media_type(name));
    file.etag = etag_of(body);
    if (compressible(file.content_type)) {
      file.gzip = gzip(body);
      if (file.gzip.size() >= body.size()) file.gzip.clear();
    }
    file.body = std::move(body);
    out.files_.emplace(name, std::move(file));
  }
  if (ec) {
    return core::fail(core::ErrorCode::unavailable,
                      "cannot read " + root.string() + ": " + ec.message());
  }
  return out;
}

std::size_t StaticFiles::compressed_bytes(std::string_view name) const {
  const auto it = files_.find(name);
  if (it == files_.end()) return 0;
  return it->second.gzip.empty() ? it->second.body.size() : it->second.gzip.size();
}

Response StaticFiles::serve(const Request& request, std::string_view name, Caching caching,
                            int status) const {
  const auto it = files_.find(name);
  if (it == files_.end()) {
    return problem_response(
        core::Error::make(core::ErrorCode::not_found, "Nicht gefunden. / Not found."),
        request.request_id);
  }
  const File& file = it->second;
  Response r;
  r.status = status;
  r.content_type = file.content_type;
  r.headers.push_back({"Cache-Control", caching == Caching::immutable
                                            ? "public, max-age=31536000, immutable"
                                            : "no-cache"});
  const bool gzipped = !file.gzip.empty() && accepts_gzip(request);
  if (!file.gzip.empty()) r.headers.push_back({"Vary", "Accept-Encoding"});
  std::string etag = file.etag;
  if (gzipped) etag.insert(etag.size() - 1, "-gz");
  r.headers.push_back({"ETag", etag});
  if (status == 200 && not_modified(request, file.etag)) {
    r.status = 304;
    return r;
  }
  if (gzipped) {
    r.headers.push_back({"Content-Encoding", "gzip"});
    r.body = file.gzip;
  } else {
    r.body = file.body;
  }
  return r;
}

}  // namespace praxis::http
