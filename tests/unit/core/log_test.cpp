#include "core/log.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/temp_dir.hpp"

namespace praxis::core {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Logger, WritesOneJsonObjectPerLineWithEscapedValues) {
  test::TempDir dir;
  const auto file = dir.path() / "log.jsonl";
  {
    Logger log({LogLevel::info, file.string(), /*buffered=*/false});
    log.info("request", {{"request_id", "abc"}, {"status", 404}, {"ok", false}, {"ms", 1.5}});
    log.warn("evil", {{"value", "x\"}\n{\"forged\":1"}});
    log.debug("hidden");
  }
  const std::string text = read_file(file);
  std::istringstream lines(text);
  std::string first, second, third;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, third)) << "debug must be filtered at info level";
  EXPECT_EQ(first.front(), '{');
  EXPECT_EQ(first.back(), '}');
  EXPECT_NE(
      first.find(
          R"("level":"info","event":"request","request_id":"abc","status":404,"ok":false,"ms":1.5})"),
      std::string::npos)
      << first;
  EXPECT_NE(first.find(R"({"time":")"), std::string::npos);
  EXPECT_NE(second.find(R"("value":"x\"}\n{\"forged\":1")"), std::string::npos) << second;
}

TEST(Logger, BufferedLinesAreWrittenOnFlushAndDestruction) {
  test::TempDir dir;
  const auto file = dir.path() / "log.jsonl";
  Logger log({LogLevel::info, file.string(), /*buffered=*/true});
  log.info("one");
  log.flush();
  EXPECT_NE(read_file(file).find("\"event\":\"one\""), std::string::npos);
  log.error("two");  // errors are written at once
  EXPECT_NE(read_file(file).find("\"event\":\"two\""), std::string::npos);
}

TEST(Logger, ParsesLevels) {
  LogLevel level = LogLevel::info;
  EXPECT_TRUE(parse_log_level("warn", level));
  EXPECT_EQ(level, LogLevel::warn);
  EXPECT_FALSE(parse_log_level("verbose", level));
}

}  // namespace
}  // namespace praxis::core
