// The slot engine against the table in tests/data/slot_cases.json: daylight-saving
// days, holidays per state, closing days, buffers, absences, resources, minimum notice,
// horizon, rule validity, the grid and bad ranges.

#include "scheduling/slots.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/clock.hpp"
#include "scheduling/config.hpp"
#include "scheduling/holidays.hpp"
#include "scheduling/scheduling_service.hpp"

namespace praxis::scheduling {
namespace {

namespace json = boost::json;
using std::chrono::minutes;

json::object load_cases() {
  std::ifstream in(std::string(PRAXIS_TEST_DATA_DIR) + "/slot_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

date::local_days local_date(std::string_view text) {
  auto d = parse_local_date(text);
  if (!d) throw std::runtime_error("bad date " + std::string(text));
  return *d;
}

Instant instant(std::string_view text) {
  auto t = core::parse_iso8601(text);
  if (!t) throw std::runtime_error("bad instant " + std::string(text));
  return std::chrono::floor<std::chrono::seconds>(*t);
}

minutes clock_time(std::string_view hhmm) {
  return std::chrono::hours(std::stoi(std::string(hhmm.substr(0, 2)))) +
         minutes(std::stoi(std::string(hhmm.substr(3, 2))));
}

date::weekday weekday_of(std::string_view name) {
  static const char* names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  for (unsigned i = 0; i < 7; ++i) {
    if (name == names[i]) return date::weekday(i);
  }
  throw std::runtime_error("bad weekday");
}

std::vector<TimeRange> ranges(const json::object& o, std::string_view key) {
  std::vector<TimeRange> out;
  if (const auto* v = o.if_contains(key)) {
    for (const auto& r : v->as_array()) {
      out.push_back({instant(r.as_array()[0].as_string()), instant(r.as_array()[1].as_string())});
    }
  }
  return out;
}

// A case's value, or the default's.
const json::value& pick(const json::object& c, const json::object& defaults, std::string_view key) {
  if (const auto* v = c.if_contains(key)) return *v;
  return defaults.at(key);
}

class SlotCases : public testing::TestWithParam<std::size_t> {};

TEST_P(SlotCases, ProduceExactlyTheExpectedStarts) {
  static const json::object all = load_cases();
  const auto& defaults = all.at("defaults").as_object();
  const auto& c = all.at("cases").as_array()[GetParam()].as_object();
  SCOPED_TRACE(std::string(c.at("name").as_string()));

  const date::time_zone* berlin = date::locate_zone("Europe/Berlin");
  SlotQuery query;
  query.from = local_date(c.at("from").as_string());
  query.to = local_date(c.at("to").as_string());
  query.now = instant(pick(c, defaults, "now").as_string());
  if (const auto* p = c.if_contains("practitioner"))
    query.practitioner = std::string(p->as_string());

  const auto& t = pick(c, defaults, "type").as_object();
  SlotType type;
  type.duration = minutes(t.at("duration").as_int64());
  type.buffer_before = minutes(t.at("buffer_before").as_int64());
  type.buffer_after = minutes(t.at("buffer_after").as_int64());
  for (const auto& p : t.at("practitioners").as_array())
    type.practitioners.emplace_back(p.as_string());
  for (const auto& r : t.at("resources").as_array()) type.resources.emplace_back(r.as_string());

  const auto& r = pick(c, defaults, "rules").as_object();
  BookingRules rules;
  rules.grid = minutes(r.at("grid").as_int64());
  rules.horizon = date::days(r.at("horizon_days").as_int64());
  rules.min_notice = minutes(r.at("min_notice_minutes").as_int64());

  PracticeCalendar calendar;
  calendar.zone = berlin;
  const std::string state(pick(c, defaults, "state").as_string());
  RegionalHolidays regional;
  if (const auto* reg = c.if_contains("regional")) {
    const auto& o = reg->as_object();
    regional.fronleichnam = o.contains("fronleichnam") && o.at("fronleichnam").as_bool();
  }
  for (int y = int(date::year_month_day(query.from).year());
       y <= int(date::year_month_day(query.to).year()); ++y) {
    for (const auto& h : holidays(y, state, regional)) {
      calendar.closed.insert(date::local_days(h.day.time_since_epoch()));
    }
  }
  if (const auto* closed = c.if_contains("closed")) {
    for (const auto& d : closed->as_array()) calendar.closed.insert(local_date(d.as_string()));
  }

  std::vector<PractitionerPlan> plans;
  for (const auto& pv : c.at("plans").as_array()) {
    const auto& p = pv.as_object();
    PractitionerPlan plan;
    plan.id = std::string(p.at("id").as_string());
    for (const auto& wv : p.at("weekly").as_array()) {
      const auto& w = wv.as_object();
      WeeklyRule rule{weekday_of(w.at("weekday").as_string()), {}, {}, {}};
      for (const auto& iv : w.at("intervals").as_array()) {
        rule.intervals.push_back(
            {clock_time(iv.as_array()[0].as_string()), clock_time(iv.as_array()[1].as_string())});
      }
      if (const auto* f = w.if_contains("valid_from")) rule.valid_from = local_date(f->as_string());
      if (const auto* u = w.if_contains("valid_to")) rule.valid_to = local_date(u->as_string());
      plan.rules.push_back(std::move(rule));
    }
    plan.busy = ranges(p, "busy");
    plans.push_back(std::move(plan));
  }
  std::vector<ResourceUse> resources;
  if (const auto* rs = c.if_contains("resources")) {
    for (const auto& rv : rs->as_array()) {
      resources.push_back(
          {std::string(rv.as_object().at("id").as_string()), ranges(rv.as_object(), "busy")});
    }
  }

  auto slots = free_slots(query, type, plans, resources, rules, calendar);
  if (const auto* field = c.if_contains("error")) {
    ASSERT_FALSE(slots);
    EXPECT_EQ(slots.error().code, core::ErrorCode::invalid_input);
    ASSERT_FALSE(slots.error().fields.empty());
    EXPECT_EQ(slots.error().fields.front().field, field->as_string());
    return;
  }
  ASSERT_TRUE(slots) << slots.error().message;
  std::vector<std::string> got;
  for (const auto& s : *slots) got.push_back(rfc3339(s.start, berlin) + " " + s.practitioner);
  std::vector<std::string> expected;
  for (const auto& e : c.at("expect").as_array()) expected.emplace_back(e.as_string());
  EXPECT_EQ(got, expected);
  std::set<std::pair<Instant, std::string>> unique;
  for (const auto& s : *slots) {
    EXPECT_TRUE(unique.insert({s.start, s.practitioner}).second) << "offered twice";
  }
}

INSTANTIATE_TEST_SUITE_P(Table, SlotCases,
                         testing::Range<std::size_t>(0,
                                                     load_cases().at("cases").as_array().size()));

TEST(SlotEngine, NoInstantIsOfferedTwiceAcrossAWholeYearOfDaylightSavingSwitches) {
  const date::time_zone* berlin = date::locate_zone("Europe/Berlin");
  SlotType type;
  type.duration = minutes(10);
  type.practitioners = {"a"};
  PractitionerPlan plan{"a", {}, {}};
  for (unsigned d = 0; d < 7; ++d)
    plan.rules.push_back({date::weekday(d), {{minutes(0), std::chrono::hours(24)}}, {}, {}});
  BookingRules rules{date::days(400), minutes(0), minutes(10)};
  PracticeCalendar calendar{berlin, {}};
  std::set<Instant> seen;
  for (auto from = local_date("2026-01-01"); from < local_date("2027-01-01");
       from += date::days(31)) {
    SlotQuery q{from, from + date::days(30), std::nullopt, instant("2025-12-31T00:00:00Z")};
    auto slots = free_slots(q, type, std::span(&plan, 1), {}, rules, calendar);
    ASSERT_TRUE(slots);
    for (const auto& s : *slots) {
      if (s.start >= instant("2026-12-31T23:00:00Z")) continue;  // the last window runs over
      ASSERT_TRUE(seen.insert(s.start).second) << rfc3339(s.start, berlin);
      const auto local = berlin->to_local(s.start);
      const auto tod = local - date::floor<date::days>(local);
      EXPECT_EQ(tod % minutes(10), std::chrono::seconds(0)) << "on the wall-clock grid";
    }
  }
  // 365 days of 144 ten-minute starts, minus the hour that does not exist in March
  // (6 starts), and the repeated October hour offered once.
  EXPECT_EQ(seen.size(), 365u * 144u - 6u);
}

TEST(Rfc3339, ParsedWithZOrAnOffsetAndFormattedWithBerlinsOffset) {
  EXPECT_EQ(parse_instant("2026-06-08T06:00:00Z"), instant("2026-06-08T06:00:00Z"));
  EXPECT_EQ(parse_instant("2026-06-08T08:00:00+02:00"), instant("2026-06-08T06:00:00Z"));
  EXPECT_EQ(parse_instant("2026-06-08T00:30:00-05:30"), instant("2026-06-08T06:00:00Z"));
  for (const char* bad :
       {"2026-06-08T08:00:00", "2026-06-08 08:00:00Z", "2026-02-30T08:00:00Z",
        "2026-06-08T24:00:00Z", "2026-06-08T08:00:00.5Z", "2026-06-08T08:00:00+2:00", ""}) {
    EXPECT_FALSE(parse_instant(bad)) << bad;
  }
  const auto* berlin = date::locate_zone("Europe/Berlin");
  EXPECT_EQ(rfc3339(instant("2026-01-15T07:00:00Z"), berlin), "2026-01-15T08:00:00+01:00");
  EXPECT_EQ(rfc3339(instant("2026-07-15T07:00:00Z"), berlin), "2026-07-15T09:00:00+02:00");
  EXPECT_TRUE(parse_local_date("2028-02-29"));
  EXPECT_FALSE(parse_local_date("2027-02-29"));
  EXPECT_FALSE(parse_local_date("2027-2-28"));
}

}  // namespace
}  // namespace praxis::scheduling

namespace praxis::scheduling {
namespace {

// Instants as clients write them: whole seconds, a zero fraction allowed (JavaScript's
// toISOString), anything else refused.
TEST(ParseInstant, WholeSecondsWithOrWithoutAZeroFraction) {
  const auto z = parse_instant("2026-06-08T06:00:00Z");
  ASSERT_TRUE(z);
  EXPECT_EQ(parse_instant("2026-06-08T06:00:00.000Z"), z);
  EXPECT_EQ(parse_instant("2026-06-08T06:00:00.0Z"), z);
  EXPECT_EQ(parse_instant("2026-06-08T08:00:00+02:00"), z);
  EXPECT_EQ(parse_instant("2026-06-08T08:00:00.000+02:00"), z);
  EXPECT_EQ(parse_instant("2026-06-08T04:30:00-01:30"), z);
  for (const char* bad :
       {"2026-06-08T06:00:00.500Z", "2026-06-08T06:00:00.Z", "2026-06-08T06:00:00.000",
        "2026-06-08T06:00:00", "2026-06-08T06:00:00+0200", "2026-06-08T06:00:00+02:00Z",
        "2026-06-08T06:00:00.00a0Z", "2026-06-08T24:00:00Z", "2026-06-08T06:00:00+24:00",
        "2026-06-08 06:00:00Z", ""}) {
    EXPECT_FALSE(parse_instant(bad)) << bad;
  }
}

}  // namespace
}  // namespace praxis::scheduling
