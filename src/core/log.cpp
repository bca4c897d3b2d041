#include "core/log.hpp"

#include <fcntl.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "core/error.hpp"
#include "core/json_text.hpp"

namespace praxis::core {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warn:
      return spdlog::level::warn;
    case LogLevel::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

constexpr std::chrono::milliseconds kFlushInterval{100};
constexpr std::size_t kFlushThreshold = std::size_t{64} * 1024;

// Formats into memory and writes to a file descriptor in large chunks: when the
// buffer passes kFlushThreshold, on flush() (every kFlushInterval, and at once for
// warnings and errors), and at destruction. One write per many lines keeps the
// access log cheap on the request path; no line is ever split between writes.
class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BufferedFdSink(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) {
    buffer_.reserve(kFlushThreshold * 2);
  }
  ~BufferedFdSink() override {
    write_out();
    if (owns_fd_) ::close(fd_);
  }
  void set_immediate(bool immediate) {
    std::lock_guard lock(mutex_);
    immediate_ = immediate;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (immediate_ || buffer_.size() >= kFlushThreshold) write_out();
  }
  void flush_() override { write_out(); }

 private:
  void write_out() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the log device is gone; drop rather than block requests
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

  int fd_;
  bool owns_fd_;
  bool immediate_ = false;
  std::string buffer_;
};

std::string unique_logger_name() {
  static std::atomic<int> counter{0};
  return "praxis-" + std::to_string(counter.fetch_add(1));
}

void append_value(std::string& out, const LogField::Value& value) {
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string_view>) {
          append_json_string(out, v);
        } else if constexpr (std::is_same_v<V, bool>) {
          out.append(v ? "true" : "false");
        } else {
          char buf[32];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
          out.append(buf, ec == std::errc() ? end : buf);
        }
      },
      value);
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug")
    out = LogLevel::debug;
  else if (text == "info")
    out = LogLevel::info;
  else if (text == "warn")
    out = LogLevel::warn;
  else if (text == "error")
    out = LogLevel::error;
  else
    return false;
  return true;
}

Logger::Logger(const LogOptions& options) : level_(options.level) {
  int fd = STDERR_FILENO;
  if (!options.file.empty()) {
    fd = ::open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw std::runtime_error("cannot open log file " + options.file + ": " + errno_text(errno));
    }
  }
  auto sink = std::make_shared<BufferedFdSink>(fd, !options.file.empty());
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})", spdlog::pattern_time_type::utc));
  logger_ = std::make_shared<spdlog::logger>(unique_logger_name(), sink);
  logger_->set_level(to_spdlog(options.level));
  logger_->flush_on(spdlog::level::warn);
  if (options.buffered) {
    flusher_ = std::jthread([this](const std::stop_token& stop) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      while (!stop.stop_requested()) {
        cv.wait_for(lock, stop, kFlushInterval, [] { return false; });
        logger_->flush();
      }
    });
  } else {
    sink->set_immediate(true);
  }
}

Logger::~Logger() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  flush();
}

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(128);
  line.append("\"event\":");
  append_json_string(line, event);
  for (const auto& f : fields) {
    line.push_back(',');
    append_json_string(line, f.key);
    line.push_back(':');
    append_value(line, f.value);
  }
  logger_->log(to_spdlog(level), std::string_view(line));
}

void Logger::flush() { logger_->flush(); }

}  // namespace praxis::core
