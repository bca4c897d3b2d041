#pragma once
// Structured logging: one JSON object per line,
//   {"time":"2026-11-27T10:00:00.123456Z","level":"info","event":"…",<fields>}
//
// Contract (DESIGN.md T9): callers log ids, codes, counts and durations only —
// never names, contact data, clinical text, search terms or raw query strings.
// String values are JSON-escaped, so client-controlled text cannot break a line.
//
// A Logger is constructed by the composition root and passed by reference; tests
// construct their own (for example writing into a file they read back).
// Thread-safe.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>

namespace spdlog {
class logger;
}

namespace praxis::core {

enum class LogLevel { debug, info, warn, error };

struct LogField {
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

  std::string_view key;
  Value value;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) LogField(std::string_view k, I v)
      : key(k) {
    if constexpr (std::is_signed_v<I>) {
      value = static_cast<std::int64_t>(v);
    } else {
      value = static_cast<std::uint64_t>(v);
    }
  }
};

struct LogOptions {
  LogLevel level = LogLevel::info;
  std::string file;  // empty: standard error
  // Lines are collected in memory and written every 100 ms (at once for warnings and
  // errors). false: every line is written before log() returns (tests).
  bool buffered = true;
};

// Parses "debug", "info", "warn", "error".
bool parse_log_level(std::string_view text, LogLevel& out);

class Logger {
 public:
  explicit Logger(const LogOptions& options);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
  void debug(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::debug, event, fields);
  }
  void info(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::info, event, fields);
  }
  void warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::warn, event, fields);
  }
  void error(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::error, event, fields);
  }
  bool enabled(LogLevel level) const { return level >= level_; }

  // Every line logged so far is written when this returns.
  void flush();

 private:
  LogLevel level_;
  std::shared_ptr<spdlog::logger> logger_;
  std::jthread flusher_;
};

}  // namespace praxis::core
