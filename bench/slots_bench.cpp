// The slot engine alone (issue #7): one appointment type, one practitioner, 7 days with
// 100 existing appointments (about 150 free starts), and the same for "any of 5
// practitioners". Target: at most 30 µs for the one-practitioner request.

#include <benchmark/benchmark.h>

#include <random>

#include "scheduling/holidays.hpp"
#include "scheduling/slots.hpp"

namespace {

using namespace praxis::scheduling;
using std::chrono::hours;
using std::chrono::minutes;

struct Setup {
  SlotType type;
  std::vector<PractitionerPlan> plans;
  BookingRules rules{date::days(90), minutes(120), minutes(10)};
  PracticeCalendar calendar;
  SlotQuery query;

  explicit Setup(int practitioners) {
    calendar.zone = date::locate_zone("Europe/Berlin");
    for (const auto& h : holidays(2026, "BE")) {
      calendar.closed.insert(date::local_days(h.day.time_since_epoch()));
    }
    type.duration = minutes(10);
    query.from = date::local_days(date::year(2026) / 6 / 8);  // a Monday
    query.to = query.from + date::days(6);
    query.now =
        std::chrono::sys_seconds(date::sys_days(date::year(2026) / 6 / 1).time_since_epoch());
    std::mt19937_64 rng(7);
    for (int p = 0; p < practitioners; ++p) {
      PractitionerPlan plan;
      plan.id = "practitioner-" + std::to_string(p);
      type.practitioners.push_back(plan.id);
      for (unsigned d = 1; d <= 5; ++d) {
        plan.rules.push_back(
            {date::weekday(d), {{hours(8), hours(12)}, {hours(14), hours(18)}}, {}, {}});
      }
      // 100 appointments of 10 minutes on the working grid of the week.
      std::vector<int> cells(5 * 48);
      for (int i = 0; i < static_cast<int>(cells.size()); ++i)
        cells[static_cast<std::size_t>(i)] = i;
      std::shuffle(cells.begin(), cells.end(), rng);
      for (int i = 0; i < 100; ++i) {
        const int cell = cells[static_cast<std::size_t>(i)];
        const int day = cell / 48;
        const int slot = cell % 48;
        const auto local = query.from + date::days(day) + (slot < 24 ? hours(8) : hours(14)) +
                           minutes(10 * (slot % 24));
        const auto start = calendar.zone->to_sys(local);
        plan.busy.push_back({start, start + minutes(10)});
      }
      plans.push_back(std::move(plan));
    }
  }
};

void OnePractitionerSevenDays(benchmark::State& state) {
  Setup s(1);
  std::size_t n = 0;
  for (auto _ : state) {
    auto slots = free_slots(s.query, s.type, s.plans, {}, s.rules, s.calendar);
    n = slots->size();
    benchmark::DoNotOptimize(slots);
  }
  state.counters["free_slots"] = static_cast<double>(n);
}
BENCHMARK(OnePractitionerSevenDays)->Unit(benchmark::kMicrosecond);

void AnyOfFivePractitionersSevenDays(benchmark::State& state) {
  Setup s(5);
  std::size_t n = 0;
  for (auto _ : state) {
    auto slots = free_slots(s.query, s.type, s.plans, {}, s.rules, s.calendar);
    n = slots->size();
    benchmark::DoNotOptimize(slots);
  }
  state.counters["free_slots"] = static_cast<double>(n);
}
BENCHMARK(AnyOfFivePractitionersSevenDays)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
