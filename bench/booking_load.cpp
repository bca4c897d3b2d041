// Fills the data directory of a stopped praxis installation for the booking benchmarks
// (bench/booking_http.sh, issue #7): the practice "bench" with five practitioners working
// Monday to Friday 08:00–12:00 and 14:00–18:00, one online-bookable 10-minute type they
// all offer, a 10-minute grid, no minimum notice, and 100 appointments per practitioner
// in the measured week (next Monday to Sunday): about 140 free starts each, as in
// slots_bench. Everything goes through the services (audit trail included).
//
// The booking runs book a second online type, "Online-Termin", that BOOKING_PRACTITIONERS
// more practitioners (default 48, same hours) offer: every free start of theirs in the
// 50 weeks after the measured one (within the 365-day horizon) is written as a
// "practitioner start" line to FREE_FILE, about 560,000 starts: enough for ten minutes of
// the mixed workload without running out (with the five alone a run of 20 s did, and
// the 409s that followed were cheap answers that inflated its figure).
//
// Prints "TYPE PRACTITIONER FROM TO BOOKING_TYPE": the availability requests ask for
// TYPE and PRACTITIONER from FROM to TO; the bookings book BOOKING_TYPE.
//
// Usage: booking_load DATA_DIR FREE_FILE

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

#include "app/installation.hpp"
#include "practices/practice_service.hpp"
#include "scheduling/config.hpp"
#include "scheduling/scheduling_service.hpp"

using namespace praxis;

namespace {

template <typename T>
T need(core::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s %s\n", what, r.error().message.c_str(),
                 r.error().internal.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: booking_load DATA_DIR FREE_FILE\n");
    return 2;
  }
  const app::DataDir dir{argv[1]};
  const app::PassphraseSource no_passphrase;
  auto in = need(app::Installation::open(dir, &no_passphrase), "open");
  practices::PracticeService practices(in->store(), in->keys(), in->trail(), in->clock(),
                                       in->random());
  scheduling::SchedulingService scheduling(in->store(), in->trail(), in->clock(), in->random());
  const auto who = audit::Context::system("bench");
  practices::NewPractice np;
  np.name = "Praxis Bench";
  np.slug = "bench";
  np.state = "BE";
  np.street = "Benchstraße 1";
  np.postcode = "10115";
  np.city = "Berlin";
  const auto practice = need(practices.create(who, np), "practice").id;

  // `count` practitioners named "<name> N", and a 10-minute online type they all offer.
  auto add_practitioners = [&](const std::string& name, int count) {
    std::vector<std::string> out;
    for (int p = 0; p < count; ++p) {
      out.push_back(
          need(scheduling.create(who, practice, store::ConfigKind::practitioner,
                                 boost::json::object{{"name", name + " " + std::to_string(p)}}),
               "practitioner")
              .row.id);
    }
    return out;
  };
  auto add_type = [&](const char* name, const std::vector<std::string>& offered_by) {
    boost::json::array ids(offered_by.begin(), offered_by.end());
    return need(scheduling.create(who, practice, store::ConfigKind::appointment_type,
                                  boost::json::object{{"name_de", name},
                                                      {"duration_minutes", 10},
                                                      {"online_bookable", true},
                                                      {"practitioners", std::move(ids)}}),
                "type")
        .row.id;
  };
  const auto practitioners = add_practitioners("Dr. Bench", 5);
  const auto type = add_type("Sprechstunde", practitioners);
  // The practitioners and the type the booking runs book.
  const char* wanted = std::getenv("BOOKING_PRACTITIONERS");
  const int booking_count = wanted ? std::atoi(wanted) : 48;
  const auto bookable = add_practitioners("Dr. Online", booking_count);
  const auto booking_type = add_type("Online-Termin", bookable);
  (void)need(scheduling.put_settings(who, practice, std::nullopt,
                                     boost::json::object{{"grid_minutes", 10},
                                                         {"min_notice_minutes", 0},
                                                         {"horizon_days", 365},
                                                         {"max_future_online_bookings", 20}}),
             "settings");
  boost::json::array rules;
  for (const char* day : {"mon", "tue", "wed", "thu", "fri"}) {
    rules.push_back(boost::json::object{
        {"weekday", day},
        {"intervals", boost::json::array{boost::json::array{"08:00", "12:00"},
                                         boost::json::array{"14:00", "18:00"}}}});
  }
  std::vector<std::string> everyone = practitioners;
  everyone.insert(everyone.end(), bookable.begin(), bookable.end());
  for (const auto& p : everyone) {
    (void)need(scheduling.put_working_plan(who, practice, p, std::nullopt,
                                           boost::json::object{{"rules", rules}}),
               "plan");
  }

  // The measured week: next Monday to Sunday.
  const auto zone = scheduling.zone();
  const auto today = date::floor<date::days>(zone->to_local(in->clock().now()));
  const auto weekday = date::weekday(today);
  const auto monday =
      today + date::days((8 - weekday.c_encoding()) % 7 + (weekday == date::Monday ? 7 : 0));
  const auto sunday = monday + date::days(6);
  std::mt19937_64 rng(7);
  for (const auto& p : practitioners) {
    auto free = need(scheduling.availability(practice, type, p, monday, sunday, false), "free");
    std::shuffle(free.begin(), free.end(), rng);
    int booked = 0;
    for (const auto& slot : free) {
      if (booked == 100) break;
      scheduling::NewAppointment a;
      a.type_id = type;
      a.practitioner_id = p;
      a.start = slot.start;
      if (scheduling.book(who, practice, a)) ++booked;
    }
  }
  (void)need(in->trail().checkpoint(in->store(), practice, true), "checkpoint");

  // Free starts for the booking runs: the booking practitioners' 50 weeks after the
  // measured one.
  std::ofstream out(argv[2]);
  std::size_t lines = 0;
  for (int week = 1; week <= 50; ++week) {
    const auto from = monday + date::days(7 * week);
    for (const auto& p : bookable) {
      auto free =
          need(scheduling.availability(practice, booking_type, p, from, from + date::days(6), true),
               "free");
      for (const auto& slot : free) {
        out << p << ' ' << scheduling::rfc3339(slot.start, zone) << '\n';
        ++lines;
      }
    }
  }
  std::fprintf(stderr,
               "practice bench: 5 practitioners, 500 appointments; %d more for the bookings, "
               "%zu free starts listed\n",
               booking_count, lines);
  std::printf("%s %s %s %s %s\n", type.c_str(), practitioners[0].c_str(),
              scheduling::format_local_date(monday).c_str(),
              scheduling::format_local_date(sunday).c_str(), booking_type.c_str());
  return 0;
}
