#pragma once
// Login defences of issue #5 (ASVS 2.2.1), kept in memory:
//
// - LoginThrottle: per key ("account:<e-mail>", "address:<ip>") a number of free
//   failures, then exponential back-off (1 s, 2 s, 4 s, … up to a cap) during which
//   attempts are refused without checking the password. Never a permanent lock that an
//   attacker could use to keep staff out; failures are forgotten after an hour without
//   one, and a successful login clears the account's count.
// - PasswordGate: at most N Argon2id computations at once; the rest are refused at
//   once (429) instead of queueing, so a login flood cannot starve booking.
//
// Both are per process. With several praxis processes behind a load balancer (the
// PostgreSQL setup) each enforces its own limits; the caps multiply by the process
// count. Thread-safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace praxis::auth {

struct ThrottlePolicy {
  int free_failures = 5;
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{std::chrono::minutes(15)};
  std::chrono::seconds forget_after{std::chrono::hours(1)};
  std::size_t max_entries = 100000;  // memory bound; idle entries are dropped first
};

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottlePolicy policy) : policy_(policy) {}

  // Seconds to wait before `key` may try again, or nullopt if it may try now.
  std::optional<std::chrono::seconds> blocked(std::string_view key, core::Instant now);
  void record_failure(std::string_view key, core::Instant now);
  void record_success(std::string_view key);

  int failures(std::string_view key) const;

 private:
  struct Entry {
    int failures = 0;
    core::Instant last_failure{};
    core::Instant blocked_until{};
  };
  void prune(core::Instant now);

  ThrottlePolicy policy_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

class PasswordGate {
 public:
  explicit PasswordGate(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  class Ticket {
   public:
    explicit Ticket(PasswordGate* gate) : gate_(gate) {}
    Ticket(Ticket&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (gate_) gate_->leave();
    }

   private:
    PasswordGate* gate_;
  };

  // A ticket if fewer than `capacity` computations are running, else nullopt.
  std::optional<Ticket> try_enter();
  std::size_t capacity() const { return capacity_; }

 private:
  void leave();
  std::size_t capacity_;
  std::mutex mutex_;
  std::size_t running_ = 0;
};

}  // namespace praxis::auth
