#include "auth/login_throttle.hpp"

#include <algorithm>

namespace praxis::auth {

std::optional<std::chrono::seconds> LoginThrottle::blocked(std::string_view key,
                                                           core::Instant now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || it->second.blocked_until <= now) return std::nullopt;
  auto wait = std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now);
  return std::max(wait, std::chrono::seconds(1));
}

void LoginThrottle::record_failure(std::string_view key, core::Instant now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= policy_.max_entries) prune(now);
  auto& e = entries_[std::string(key)];
  if (e.failures > 0 && now - e.last_failure > policy_.forget_after) e = Entry{};
  ++e.failures;
  e.last_failure = now;
  // After the last free failure, the next attempt already waits.
  const int over = e.failures - policy_.free_failures + 1;
  if (over > 0) {
    auto delay = policy_.first_delay;
    for (int i = 1; i < over && delay < policy_.max_delay; ++i) delay *= 2;
    e.blocked_until = now + std::min(delay, policy_.max_delay);
  }
}

void LoginThrottle::record_success(std::string_view key) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::string(key));
}

int LoginThrottle::failures(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(key));
  return it == entries_.end() ? 0 : it->second.failures;
}

void LoginThrottle::prune(core::Instant now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.blocked_until <= now && now - kv.second.last_failure > policy_.forget_after;
  });
  if (entries_.size() < policy_.max_entries) return;
  // Still full (a flood of distinct keys): drop those not currently blocked.
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.blocked_until <= now; });
}

std::optional<PasswordGate::Ticket> PasswordGate::try_enter() {
  std::lock_guard lock(mutex_);
  if (running_ >= capacity_) return std::nullopt;
  ++running_;
  return Ticket(this);
}

void PasswordGate::leave() {
  std::lock_guard lock(mutex_);
  --running_;
}

}  // namespace praxis::auth
