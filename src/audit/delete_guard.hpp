#pragma once
// Wiper resilience (issue #9): the 2020 incident ended with a bot deleting everything. A
// staff member or API token may delete at most `per_hour` patients, or cancel as many
// appointments, per hour (a token bucket, so a short burst up to that number is fine);
// beyond it the deletion is refused with 429 and a denied `security.delete_limit` entry
// in the practice's audit trail tells the owner, and the refusals are counted for
// /metrics. Deletions by the system and by patients on the public page (each only their
// own booking) are not counted. Per process, like the other limits. Thread-safe.

#include <atomic>
#include <cstdint>
#include <string_view>

#include "audit/trail.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/rate_limiter.hpp"
#include "store/store.hpp"

namespace praxis::audit {

class DeleteGuard {
 public:
  // per_hour 0: no limit.
  DeleteGuard(store::Store& store, Trail& trail, core::Clock& clock, std::int64_t per_hour);

  // Call before deleting; rate_limited (with Retry-After) when over the limit.
  [[nodiscard]] core::Result<void> admit(const Context& context, std::string_view practice_id);
  std::uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  store::Store& store_;
  Trail& trail_;
  core::Clock& clock_;
  core::RateLimit limit_;
  core::RateLimiter limiter_;
  std::atomic<std::uint64_t> refusals_{0};
};

}  // namespace praxis::audit
