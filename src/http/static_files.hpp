#pragma once
// The built front ends (web/, see docs/web.md), served from memory.
//
// The directory is read once at start: every file is kept as built and, where it
// pays, gzip-compressed, with a strong ETag over its content. Only names found in the
// directory can be served, so no request path reaches the file system.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace praxis::http {

class StaticFiles {
 public:
  // Hashed file names never change content: caches keep them for a year. Everything
  // else (HTML pages, the widget loader) is revalidated on every use.
  enum class Caching { immutable, revalidate };

  static constexpr std::size_t kMaxFiles = 2000;
  static constexpr std::size_t kMaxTotalBytes = std::size_t{64} * 1024 * 1024;

  StaticFiles() = default;  // empty: every name answers 404

  // Loads every regular file below `root` (names relative to it, '/'-separated).
  // unavailable when `root` is not a readable directory or holds too much.
  [[nodiscard]] static core::Result<StaticFiles> load(const std::filesystem::path& root);

  bool contains(std::string_view name) const { return files_.contains(name); }
  std::size_t size() const { return files_.size(); }
  std::size_t compressed_bytes(std::string_view name) const;

  // The file `name` with `status` (404 problem when absent): 304 for a matching
  // If-None-Match, the gzip form when the client accepts it.
  Response serve(const Request& request, std::string_view name, Caching caching,
                 int status = 200) const;

 private:
  struct File {
    std::string body;
    std::string gzip;  // empty when compression does not pay
    std::string content_type;
    std::string etag;  // quoted
  };
  std::map<std::string, File, std::less<>> files_;
};

// The media type for a file name's extension ("application/octet-stream" if unknown).
std::string_view media_type(std::string_view name);

}  // namespace praxis::http
