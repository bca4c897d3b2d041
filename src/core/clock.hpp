#pragma once
// Time is injected (STYLE.md): services ask a Clock, tests use a ManualClock.

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace praxis::core {

using Instant = std::chrono::sys_time<std::chrono::microseconds>;

// "2026-11-27T10:00:00Z" (UTC, whole seconds).
std::string to_iso8601(Instant t);
// Parses exactly that format; nullopt for anything else.
std::optional<Instant> parse_iso8601(std::string_view text);

// A wall-clock time "HH:MM" as minutes after midnight; "24:00" is allowed (the end of
// a day). nullopt for anything else.
std::optional<std::chrono::minutes> parse_clock_time(std::string_view text);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;  // UTC
};

class SystemClock final : public Clock {
 public:
  Instant now() const override;
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start) : now_(start.time_since_epoch().count()) {}
  Instant now() const override { return Instant(std::chrono::microseconds(now_.load())); }
  void advance(std::chrono::microseconds by) { now_ += by.count(); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace praxis::core
