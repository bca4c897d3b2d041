// The front ends served from memory (issue #10): media types, caching, ETag
// revalidation, gzip only where the client accepts it, and nothing outside the tree.

#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace praxis::http {
namespace {

std::string gunzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return {};
}

class StaticFilesTest : public testing::Test {
 protected:
  test::TempDir dir;
  std::string script;
  StaticFiles files;

  void SetUp() override {
    std::filesystem::create_directories(dir.path() / "assets");
    for (int i = 0; i < 200; ++i)
      script += "console.log('praxis " + std::to_string(i % 7) + "');\n";
    write("book.html", "<!doctype html><title>Buchung</title>");
    write("assets/book-1a2b3c.js", script);
    write("assets/logo-9f8e.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, 'x'));
    auto loaded = StaticFiles::load(dir.path());
    ASSERT_TRUE(loaded) << loaded.error().message;
    files = std::move(*loaded);
  }

  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir.path() / name, std::ios::binary) << content;
  }

  static Request get(std::vector<Header> headers = {}) {
    Request r;
    r.headers = std::move(headers);
    r.request_id = "test";
    return r;
  }
};

TEST_F(StaticFilesTest, LoadsEveryFileByItsRelativeName) {
  EXPECT_EQ(files.size(), 3U);
  EXPECT_TRUE(files.contains("book.html"));
  EXPECT_TRUE(files.contains("assets/book-1a2b3c.js"));
  EXPECT_FALSE(files.contains("assets"));
  EXPECT_FALSE(files.contains("../book.html"));
}

TEST_F(StaticFilesTest, HashedFilesAreCachedForAYearPagesAreRevalidated) {
  auto asset = files.serve(get(), "assets/book-1a2b3c.js", StaticFiles::Caching::immutable);
  EXPECT_EQ(asset.status, 200);
  EXPECT_EQ(asset.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(asset, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(asset.body, script);
  auto page = files.serve(get(), "book.html", StaticFiles::Caching::revalidate);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(page, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, GzipOnlyWhenAccepted) {
  auto plain = files.serve(get(), "assets/book-1a2b3c.js", StaticFiles::Caching::immutable);
  EXPECT_EQ(header(plain, "Content-Encoding"), "");
  EXPECT_EQ(header(plain, "Vary"), "Accept-Encoding");

  auto zipped = files.serve(get({{"Accept-Encoding", "br, gzip;q=0.8"}}), "assets/book-1a2b3c.js",
                            StaticFiles::Caching::immutable);
  EXPECT_EQ(header(zipped, "Content-Encoding"), "gzip");
  EXPECT_LT(zipped.body.size(), script.size() / 4);
  EXPECT_EQ(gunzip(zipped.body), script);
  EXPECT_NE(header(zipped, "ETag"), header(plain, "ETag"));
  EXPECT_EQ(files.compressed_bytes("assets/book-1a2b3c.js"), zipped.body.size());

  auto refused = files.serve(get({{"Accept-Encoding", "gzip;q=0"}}), "assets/book-1a2b3c.js",
                             StaticFiles::Caching::immutable);
  EXPECT_EQ(header(refused, "Content-Encoding"), "");

  // Images are already compressed: served as they are, whatever the client accepts.
  auto image = files.serve(get({{"Accept-Encoding", "gzip"}}), "assets/logo-9f8e.png",
                           StaticFiles::Caching::immutable);
  EXPECT_EQ(image.content_type, "image/png");
  EXPECT_EQ(header(image, "Content-Encoding"), "");
}

TEST_F(StaticFilesTest, MatchingETagAnswersNotModified) {
  auto first = files.serve(get(), "book.html", StaticFiles::Caching::revalidate);
  const std::string etag = header(first, "ETag");
  ASSERT_EQ(etag.size(), 34U);  // 16 bytes of BLAKE2b in hex, quoted
  for (const std::string& sent : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto again =
        files.serve(get({{"If-None-Match", sent}}), "book.html", StaticFiles::Caching::revalidate);
    EXPECT_EQ(again.status, 304) << sent;
    EXPECT_TRUE(again.body.empty());
  }
  // The gzip form's tag names the same content.
  auto zipped = files.serve(get({{"Accept-Encoding", "gzip"}}), "assets/book-1a2b3c.js",
                            StaticFiles::Caching::immutable);
  auto revalidated = files.serve(get({{"If-None-Match", header(zipped, "ETag")}}),
                                 "assets/book-1a2b3c.js", StaticFiles::Caching::immutable);
  EXPECT_EQ(revalidated.status, 304);
  auto changed = files.serve(get({{"If-None-Match", "\"0123\""}}), "book.html",
                             StaticFiles::Caching::revalidate);
  EXPECT_EQ(changed.status, 200);
}

TEST_F(StaticFilesTest, UnknownNamesAnswerNotFound) {
  for (const char* name : {"missing.js", "assets/../book.html", "/book.html", ""}) {
    auto r = files.serve(get(), name, StaticFiles::Caching::immutable);
    EXPECT_EQ(r.status, 404) << name;
    EXPECT_EQ(r.content_type, "application/problem+json");
  }
}

TEST_F(StaticFilesTest, AnotherStatusKeepsTheBody) {
  auto r = files.serve(get({{"If-None-Match", "*"}}), "book.html", StaticFiles::Caching::revalidate,
                       404);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("Buchung"), std::string::npos);
}

TEST(StaticFilesLoad, MissingDirectoryIsAnErrorThatSaysHowToFixIt) {
  auto r = StaticFiles::load("/nonexistent/praxis-web");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("make build"), std::string::npos);
}

TEST(MediaType, ByExtension) {
  EXPECT_EQ(media_type("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(media_type("a.woff2"), "font/woff2");
  EXPECT_EQ(media_type("a.svg"), "image/svg+xml");
  EXPECT_EQ(media_type("a"), "application/octet-stream");
  EXPECT_EQ(media_type("a.js.map"), "application/octet-stream");
}

}  // namespace
}  // namespace praxis::http
