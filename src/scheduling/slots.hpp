#pragma once
// The slot engine (issue #7): the free start times of an appointment type, pure domain
// code with no store and no clock of its own. Working plans are weekly rules in local
// wall-clock time of the practice's zone (Europe/Berlin); every instant in and out is
// UTC. Around daylight-saving switches a wall-clock time that does not exist (spring
// forward) is never offered, and one that exists twice (fall back) is offered once, at
// its first occurrence, so no instant is ever offered twice.

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace praxis::scheduling {

using Instant = std::chrono::sys_seconds;

// [start, end), UTC.
struct TimeRange {
  Instant start;
  Instant end;
  bool operator==(const TimeRange&) const = default;
};

// Wall-clock minutes after local midnight, [from, to), 0 ≤ from < to ≤ 24 h.
struct DayInterval {
  std::chrono::minutes from{0};
  std::chrono::minutes to{0};
};

// A weekly rule of a working plan: on `weekday`, these intervals, between valid_from and
// valid_to (local dates, inclusive; open when absent).
struct WeeklyRule {
  date::weekday weekday;
  std::vector<DayInterval> intervals;
  std::optional<date::local_days> valid_from;
  std::optional<date::local_days> valid_to;
};

struct PractitionerPlan {
  std::string id;
  std::vector<WeeklyRule> rules;
  // Appointments (each widened by its own buffers) and absences; any order, may overlap.
  std::vector<TimeRange> busy;
};

struct ResourceUse {
  std::string id;
  std::vector<TimeRange> busy;  // appointments holding the resource, widened by buffers
};

struct SlotType {
  std::chrono::minutes duration{15};
  std::chrono::minutes buffer_before{0};
  std::chrono::minutes buffer_after{0};
  std::vector<std::string> practitioners;  // who offers it
  std::vector<std::string> resources;      // all of them are needed
};

struct BookingRules {
  date::days horizon{90};                // bookable up to now + horizon
  std::chrono::minutes min_notice{120};  // not sooner than now + min_notice
  std::chrono::minutes grid{15};         // starts on multiples of this after local midnight
};

// Where the practice is and when it is closed (public holidays and its own closing days).
struct PracticeCalendar {
  const date::time_zone* zone = nullptr;
  std::set<date::local_days> closed;
};

struct SlotQuery {
  date::local_days from;                    // first local date
  date::local_days to;                      // last local date (inclusive); at most 31 days in all
  std::optional<std::string> practitioner;  // nullopt: any who offers the type
  Instant now;
};

struct Slot {
  Instant start;
  std::string practitioner;
  bool operator==(const Slot&) const = default;
};

inline constexpr int kMaxQueryDays = 31;

// Free starts in time order (for one start, practitioners in the order given).
// invalid_input for an empty or reversed range, more than 31 days, a practitioner who
// does not offer the type, or a type without practitioners or with a zero duration.
[[nodiscard]] core::Result<std::vector<Slot>> free_slots(const SlotQuery& query,
                                                         const SlotType& type,
                                                         std::span<const PractitionerPlan> plans,
                                                         std::span<const ResourceUse> resources,
                                                         const BookingRules& rules,
                                                         const PracticeCalendar& calendar);

// RFC 3339 with the zone's offset at that instant, e.g. 2026-03-29T03:00:00+02:00.
std::string rfc3339(Instant t, const date::time_zone* zone);

}  // namespace praxis::scheduling
