#include "audit/delete_guard.hpp"

namespace praxis::audit {

DeleteGuard::DeleteGuard(store::Store& store, Trail& trail, core::Clock& clock,
                         std::int64_t per_hour)
    : store_(store),
      trail_(trail),
      clock_(clock),
      limit_{static_cast<double>(per_hour) / 60.0, static_cast<double>(per_hour)} {}

core::Result<void> DeleteGuard::admit(const Context& context, std::string_view practice_id) {
  if (limit_.per_minute <= 0) return {};
  if (context.actor.kind != "user" && context.actor.kind != "api_token") return {};
  auto wait = limiter_.take(context.actor.kind + ":" + context.actor.id, limit_, clock_.now());
  if (!wait) return {};
  refusals_.fetch_add(1, std::memory_order_relaxed);
  const Event alert{"security.delete_limit", context.actor.kind, context.actor.id, "denied"};
  if (auto a = trail_.record(store_, practice_id, context, std::span<const Event>(&alert, 1)); !a) {
    return tl::unexpected(a.error());
  }
  auto e = core::Error::make(core::ErrorCode::rate_limited,
                             "Zu viele Löschungen in kurzer Zeit; die Praxisinhaberin oder der "
                             "Praxisinhaber ist informiert. / Too many deletions in a short time; "
                             "the practice owner has been told.");
  e.retry_after_seconds = wait->count();
  return tl::unexpected(e);
}

}  // namespace praxis::audit
