#include "scheduling/slots.hpp"

#include <algorithm>

namespace praxis::scheduling {

using core::ErrorCode;
using std::chrono::minutes;

namespace {

core::Error invalid(std::string message, std::string field, std::string detail) {
  auto e = core::Error::make(ErrorCode::invalid_input, std::move(message));
  e.fields.push_back({std::move(field), "invalid", std::move(detail)});
  return e;
}

// Sorted, disjoint union of `ranges` (empty ones dropped).
std::vector<TimeRange> merged(std::vector<TimeRange> ranges) {
  std::erase_if(ranges, [](const TimeRange& r) { return r.end <= r.start; });
  std::sort(ranges.begin(), ranges.end(),
            [](const TimeRange& a, const TimeRange& b) { return a.start < b.start; });
  std::vector<TimeRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.start <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

// Whether [start, end) meets any of the sorted disjoint `busy` ranges.
bool overlaps(const std::vector<TimeRange>& busy, Instant start, Instant end) {
  // The first range that ends after `start`; ends ascend because the ranges are disjoint.
  auto it = std::upper_bound(busy.begin(), busy.end(), start,
                             [](Instant t, const TimeRange& r) { return t < r.end; });
  return it != busy.end() && it->start < end;
}

// The instant of a local wall-clock time: nullopt when it does not exist (spring
// forward); the first occurrence when it exists twice (fall back), or the last one
// when `last` is set (the end of a working interval).
std::optional<Instant> instant_of(const date::time_zone* zone, date::local_seconds local,
                                  bool last = false) {
  const auto info = zone->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
      return Instant(local.time_since_epoch() - info.first.offset);
    case date::local_info::ambiguous:
      return Instant(local.time_since_epoch() - (last ? info.second : info.first).offset);
    case date::local_info::nonexistent:
      break;
  }
  if (!last) return std::nullopt;
  // An interval ending in the gap ends when the gap ends.
  return info.second.begin;
}

bool applies(const WeeklyRule& rule, date::local_days day) {
  return rule.weekday == date::weekday(day) && (!rule.valid_from || *rule.valid_from <= day) &&
         (!rule.valid_to || day <= *rule.valid_to);
}

}  // namespace

core::Result<std::vector<Slot>> free_slots(const SlotQuery& query, const SlotType& type,
                                           std::span<const PractitionerPlan> plans,
                                           std::span<const ResourceUse> resources,
                                           const BookingRules& rules,
                                           const PracticeCalendar& calendar) {
  if (calendar.zone == nullptr) {
    return core::fail(ErrorCode::internal, "", "slot engine: no time zone");
  }
  if (query.to < query.from) {
    return tl::unexpected(
        invalid("Der Zeitraum endet vor seinem Beginn. / The range ends "
                "before it starts.",
                "to", "≥ from"));
  }
  if ((query.to - query.from).count() + 1 > kMaxQueryDays) {
    return tl::unexpected(invalid("Höchstens 31 Tage auf einmal. / At most 31 days at once.", "to",
                                  "höchstens 31 Tage / at most 31 days"));
  }
  if (type.duration <= minutes(0) || type.practitioners.empty() || rules.grid <= minutes(0)) {
    return tl::unexpected(
        invalid("Dieser Termintyp ist nicht buchbar. / This appointment type "
                "cannot be booked.",
                "type", "ohne Dauer oder Behandler / no duration or practitioner"));
  }
  std::vector<std::string> who;
  if (query.practitioner) {
    if (std::find(type.practitioners.begin(), type.practitioners.end(), *query.practitioner) ==
        type.practitioners.end()) {
      return tl::unexpected(
          invalid("Diese Behandlerin oder dieser Behandler bietet den Termin "
                  "nicht an. / This practitioner does not offer the type.",
                  "practitioner",
                  "bietet den Termintyp nicht an / does not "
                  "offer the type"));
    }
    who.push_back(*query.practitioner);
  } else {
    who = type.practitioners;
  }

  std::vector<TimeRange> resource_busy;
  for (const auto& needed : type.resources) {
    for (const auto& r : resources) {
      if (r.id == needed) resource_busy.insert(resource_busy.end(), r.busy.begin(), r.busy.end());
    }
  }
  resource_busy = merged(std::move(resource_busy));
  const Instant earliest = query.now + rules.min_notice;
  const Instant latest = query.now + rules.horizon;
  const auto grid = rules.grid;

  std::vector<Slot> out;
  for (const auto& id : who) {
    auto plan = std::find_if(plans.begin(), plans.end(),
                             [&](const PractitionerPlan& p) { return p.id == id; });
    if (plan == plans.end()) continue;  // no working plan: never free
    const auto busy = merged(plan->busy);
    const std::size_t first_of_practitioner = out.size();
    for (auto day = query.from; day <= query.to; day += date::days(1)) {
      if (calendar.closed.contains(day)) continue;
      // Most days have one UTC offset from midnight to midnight; only the two switch days
      // need the zone's answer for every wall-clock time.
      std::optional<std::chrono::seconds> offset;
      if (const auto info = calendar.zone->get_info(date::local_seconds(day));
          info.result == date::local_info::unique &&
          Instant((day + date::days(1)).time_since_epoch() - info.first.offset) <= info.first.end) {
        offset = info.first.offset;
      }
      auto at = [&](minutes wall, bool last) -> std::optional<Instant> {
        if (offset) return Instant((day + wall).time_since_epoch() - *offset);
        return instant_of(calendar.zone, day + wall, last);
      };
      for (const auto& rule : plan->rules) {
        if (!applies(rule, day)) continue;
        for (const auto& interval : rule.intervals) {
          const auto end = at(interval.to, /*last=*/true);
          if (!end) continue;
          // The first start on the grid at or after the interval's beginning.
          auto m = (interval.from + grid - minutes(1)) / grid * grid;
          for (; m < interval.to; m += grid) {
            const auto start = at(m, /*last=*/false);
            if (!start) continue;  // does not exist today (spring forward)
            const Instant finish = *start + type.duration;
            if (finish > *end) break;
            if (*start < earliest) continue;
            if (*start >= latest) break;
            const Instant from = *start - type.buffer_before;
            const Instant to = finish + type.buffer_after;
            if (overlaps(busy, from, to) || overlaps(resource_busy, from, to)) continue;
            out.push_back({*start, id});
          }
        }
      }
    }
    // Overlapping rules of one practitioner must not offer a start twice.
    auto mine = out.begin() + static_cast<std::ptrdiff_t>(first_of_practitioner);
    std::sort(mine, out.end(), [](const Slot& a, const Slot& b) { return a.start < b.start; });
    out.erase(std::unique(mine, out.end()), out.end());
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Slot& a, const Slot& b) { return a.start < b.start; });
  return out;
}

std::string rfc3339(Instant t, const date::time_zone* zone) {
  // Written by hand: date::format goes through an ostringstream and its locale, which
  // cost more than the slot engine itself on an availability answer.
  const auto info = zone->get_info(t);
  const auto local = date::local_seconds(t.time_since_epoch() + info.offset);
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd(day);
  const date::hh_mm_ss<std::chrono::seconds> time(local - day);
  std::string out(25, '0');
  auto put = [&out](std::size_t at, long value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, int(ymd.year()), 4);
  out[4] = '-';
  put(5, unsigned(ymd.month()), 2);
  out[7] = '-';
  put(8, unsigned(ymd.day()), 2);
  out[10] = 'T';
  put(11, time.hours().count(), 2);
  out[13] = ':';
  put(14, time.minutes().count(), 2);
  out[16] = ':';
  put(17, time.seconds().count(), 2);
  out.resize(19);
  const auto offset = std::chrono::duration_cast<minutes>(info.offset).count();
  const auto magnitude = offset < 0 ? -offset : offset;
  out += offset < 0 ? '-' : '+';
  out += static_cast<char>('0' + magnitude / 600);
  out += static_cast<char>('0' + magnitude / 60 % 10);
  out += ':';
  out += static_cast<char>('0' + magnitude % 60 / 10);
  out += static_cast<char>('0' + magnitude % 10);
  return out;
}

}  // namespace praxis::scheduling
