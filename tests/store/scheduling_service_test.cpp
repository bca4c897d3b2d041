// Scheduling through the service on a real SQLite store: configuration documents with
// every field error at once, availability from working plans, holidays and closing days,
// and the staff calendar (book, refuse off-hours and overlaps, move, status, cancel),
// each change in the audit trail.

#include "scheduling/scheduling_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "patients/patient_service.hpp"
#include "practices/practice_service.hpp"
#include "support/service_fixture.hpp"

namespace praxis::scheduling {
namespace {

namespace json = boost::json;
using store::ConfigKind;

struct SchedulingFixture : test::ServiceFixture, testing::Test {
  audit::Trail trail{*keys, clock};
  SchedulingService service{*store, trail, clock, random};
  audit::Context owner = [] {
    audit::Context c;
    c.actor = {"user", "u-owner", "owner"};
    return c;
  }();
  std::string practice = add_practice("termine", "NW");
  std::string berg;
  std::string room;
  std::string type;

  SchedulingFixture() {
    // Monday 2026-06-01, 08:00 in Berlin.
    clock.advance(core::Instant(std::chrono::seconds(1780293600)) - clock.now());
    berg = must(ConfigKind::practitioner, R"({"name":"Dr. Anna Berg","lanr":"123456601"})");
    room = must(ConfigKind::resource, R"({"name":"Raum 1"})");
    type = must(ConfigKind::appointment_type,
                R"({"name_de":"Sprechstunde","name_en":"Consultation","duration_minutes":20,)"
                R"("buffer_after_minutes":10,"online_bookable":true,"practitioners":[")" +
                    berg + R"("],"resources":[")" + room + R"("]})");
    auto plan = service.put_working_plan(
        owner, practice, berg, std::nullopt,
        json::parse(R"({"rules":[{"weekday":"mon","intervals":[["08:00","12:00"]]},)"
                    R"({"weekday":"thu","intervals":[["08:00","09:00"]]}]})")
            .as_object());
    EXPECT_TRUE(plan) << (plan ? "" : plan.error().message);
  }

  std::string add_practice(const std::string& slug, const std::string& state) {
    practices::PracticeService ps(*store, *keys, trail, clock, random);
    practices::NewPractice p;
    p.name = "Praxis " + slug;
    p.slug = slug;
    p.state = state;
    auto row = ps.create(audit::Context::system("test"), p);
    if (!row) throw std::runtime_error(row.error().internal);
    return row->id;
  }

  std::string must(ConfigKind kind, const std::string& body) {
    auto r = service.create(owner, practice, kind, json::parse(body).as_object());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->row.id : "";
  }

  static Instant at(const char* text) { return *parse_instant(text); }

  std::vector<std::string> free(date::local_days from, date::local_days to, bool online = false) {
    auto slots = service.availability(practice, type, std::nullopt, from, to, online);
    EXPECT_TRUE(slots) << (slots ? "" : slots.error().message);
    std::vector<std::string> out;
    if (slots) {
      for (const auto& s : *slots) out.push_back(rfc3339(s.start, service.zone()));
    }
    return out;
  }

  static date::local_days day(const char* text) { return *parse_local_date(text); }

  // The same as free(), from the cache (SchedulingService::offer).
  std::vector<std::string> offered(date::local_days from, date::local_days to,
                                   bool online = false) {
    auto offer = service.offer(practice, type, std::nullopt, from, to, online);
    EXPECT_TRUE(offer) << (offer ? "" : offer.error().message);
    std::vector<std::string> out;
    if (offer) {
      for (std::size_t i = offer->first; i < offer->last; ++i) {
        out.push_back(rfc3339(offer->starts->slots[i].start, service.zone()));
      }
    }
    return out;
  }

  core::Result<store::AppointmentRow> book(const char* start, bool outside = false) {
    return service.book(owner, practice,
                        {type, berg, std::nullopt, at(start), outside, "staff", std::nullopt, {}});
  }
};

TEST_F(SchedulingFixture, DocumentsListEveryFieldErrorAndWarnAboutACheckDigit) {
  auto bad = service.create(owner, practice, ConfigKind::appointment_type,
                            json::parse(R"({"name_de":"","duration_minutes":2,"colour":"red",)"
                                        R"("insurance_kinds":["gkv","aok"],"practitioners":["x"]})")
                                .as_object());
  ASSERT_FALSE(bad);
  std::set<std::string> fields;
  for (const auto& f : bad.error().fields) fields.insert(f.field);
  EXPECT_EQ(fields,
            (std::set<std::string>{"name_de", "duration_minutes", "colour", "insurance_kinds[1]"}));
  auto unknown =
      service.create(owner, practice, ConfigKind::appointment_type,
                     json::parse(R"({"name_de":"X","practitioners":["nobody"]})").as_object());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().fields.front().field, "practitioners[0]");
  auto warned = service.create(owner, practice, ConfigKind::practitioner,
                               json::parse(R"({"name":"Dr. X","lanr":"123456701"})").as_object());
  ASSERT_TRUE(warned);
  ASSERT_EQ(warned->warnings.size(), 1u);
  EXPECT_EQ(warned->warnings[0].code, "check_digit");
  auto plan = service.put_working_plan(
      owner, practice, berg, std::nullopt,
      json::parse(R"({"rules":[{"weekday":"mo","intervals":[["12:00","08:00"]]}]})").as_object());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().fields.size(), 2u);

  auto current = service.get(practice, ConfigKind::appointment_type, type);
  ASSERT_TRUE(current);
  auto stale = service.update(owner, practice, ConfigKind::appointment_type, type,
                              current->row.version + 1, json::object{{"duration_minutes", 30}});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, core::ErrorCode::precondition_failed);
  auto changed = service.update(owner, practice, ConfigKind::appointment_type, type,
                                current->row.version, json::object{{"duration_minutes", 30}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->doc["duration_minutes"].as_int64(), 30);
  EXPECT_EQ(changed->doc["name_de"].as_string(), "Sprechstunde") << "a patch keeps the rest";
}

TEST_F(SchedulingFixture, AvailabilityFollowsThePlanHolidaysClosingDaysAndBookings) {
  // 20 minutes + 10 after on a 15-minute grid from 08:00 to 12:00: starts until 11:40.
  auto monday = free(day("2026-06-08"), day("2026-06-08"));
  ASSERT_EQ(monday.size(), 15u);
  EXPECT_EQ(monday.front(), "2026-06-08T08:00:00+02:00");
  EXPECT_EQ(monday.back(), "2026-06-08T11:30:00+02:00");
  EXPECT_TRUE(free(day("2026-06-04"), day("2026-06-04")).empty()) << "Fronleichnam in NW";
  EXPECT_EQ(free(day("2026-06-11"), day("2026-06-11")).size(), 3u) << "an ordinary Thursday";

  ASSERT_TRUE(book("2026-06-08T09:00:00+02:00"));
  monday = free(day("2026-06-08"), day("2026-06-08"));
  for (const char* gone :
       {"2026-06-08T08:45:00+02:00", "2026-06-08T09:00:00+02:00", "2026-06-08T09:15:00+02:00"}) {
    EXPECT_EQ(std::count(monday.begin(), monday.end(), gone), 0) << gone;
  }
  EXPECT_EQ(std::count(monday.begin(), monday.end(), "2026-06-08T09:30:00+02:00"), 1);

  auto settings = service.put_settings(
      owner, practice, std::nullopt,
      json::parse(R"({"closing_days":["2026-06-08"],"grid_minutes":30,"min_notice_minutes":60})")
          .as_object());
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_TRUE(free(day("2026-06-08"), day("2026-06-08")).empty()) << "closed that day";
  auto thursday = free(day("2026-06-11"), day("2026-06-11"));
  EXPECT_EQ(thursday.size(), 2u) << "30-minute grid";
  EXPECT_EQ(
      service
          .availability(practice, type, std::nullopt, day("2026-06-01"), day("2026-07-02"), false)
          .error()
          .code,
      core::ErrorCode::invalid_input)
      << "32 days";
}

// The cached answers equal fresh ones after every kind of change, at once: bookings,
// moves, cancellations, absences, the booking rules, and time passing (the notice).
TEST_F(SchedulingFixture, CachedAvailabilityFollowsEveryChangeAtOnce) {
  const auto monday = day("2026-06-08");
  auto same = [&](const char* step) {
    for (const bool online : {false, true}) {
      EXPECT_EQ(offered(monday, monday, online), free(monday, monday, online))
          << step << (online ? " (online)" : " (staff)");
    }
  };
  same("start");
  auto first = service.offer(practice, type, std::nullopt, monday, monday, false);
  auto again = service.offer(practice, type, std::nullopt, monday, monday, false);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->starts, again->starts) << "the second answer comes from the cache";
  EXPECT_GE(service.availability_cache().size(), 2u);

  auto booked = book("2026-06-08T09:00:00+02:00");
  ASSERT_TRUE(booked);
  same("booked");
  const auto after_booking = offered(monday, monday);
  EXPECT_EQ(std::count(after_booking.begin(), after_booking.end(), "2026-06-08T09:00:00+02:00"), 0);
  auto moved = service.change(
      owner, practice, booked->id, booked->version,
      {at("2026-06-08T10:00:00+02:00"), std::nullopt, std::nullopt, std::nullopt, false});
  ASSERT_TRUE(moved);
  same("moved");
  auto cancelled = service.change(
      owner, practice, booked->id, moved->version,
      {std::nullopt, std::nullopt, std::string("cancelled"), std::string("patient"), false});
  ASSERT_TRUE(cancelled);
  same("cancelled");
  auto absence = service.add_absence(
      owner, practice,
      json::parse(R"({"practitioner_id":")" + berg +
                  R"(","start":"2026-06-08T10:00:00+02:00","end":"2026-06-08T11:00:00+02:00"})")
          .as_object());
  ASSERT_TRUE(absence) << absence.error().message;
  same("absent");
  ASSERT_TRUE(service.remove_absence(owner, practice, absence->id));
  same("back");
  ASSERT_TRUE(service.put_settings(owner, practice, std::nullopt,
                                   json::parse(R"({"min_notice_minutes":600})").as_object()));
  same("ten hours' notice");
  clock.advance(std::chrono::hours(24 * 7 - 9));  // Monday 2026-06-08, 07:00
  same("a week later");
  clock.advance(std::chrono::minutes(75));
  same("75 minutes later");
}

TEST_F(SchedulingFixture, StaffBookMoveAndCancelWithoutEverOverlapping) {
  auto first = book("2026-06-08T09:00:00+02:00");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->block_end - first->starts_at, 30 * 60) << "20 minutes and 10 after";
  EXPECT_EQ(first->resources, std::vector<std::string>{room});

  auto taken = book("2026-06-08T09:15:00+02:00");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, core::ErrorCode::conflict);
  auto off_grid = book("2026-06-08T09:37:00+02:00");
  ASSERT_FALSE(off_grid);
  EXPECT_EQ(off_grid.error().code, core::ErrorCode::invalid_input);
  auto evening = book("2026-06-08T19:00:00+02:00");
  ASSERT_FALSE(evening);
  EXPECT_EQ(evening.error().fields.front().field, "start");
  EXPECT_TRUE(book("2026-06-08T19:00:00+02:00", /*outside=*/true)) << "explicitly allowed";
  EXPECT_FALSE(book("2026-06-04T09:00:00+02:00")) << "a holiday";

  auto moved = service.change(
      owner, practice, first->id, first->version,
      {at("2026-06-08T10:00:00+02:00"), std::nullopt, std::nullopt, std::nullopt, false});
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_TRUE(book("2026-06-08T09:00:00+02:00")) << "the old time is free";
  auto stale =
      service.change(owner, practice, first->id, first->version,
                     {std::nullopt, std::nullopt, std::string("arrived"), std::nullopt, false});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, core::ErrorCode::precondition_failed);
  auto arrived =
      service.change(owner, practice, first->id, moved->version,
                     {std::nullopt, std::nullopt, std::string("arrived"), std::nullopt, false});
  ASSERT_TRUE(arrived);
  auto back =
      service.change(owner, practice, first->id, arrived->version,
                     {std::nullopt, std::nullopt, std::string("noshow"), std::nullopt, false});
  ASSERT_FALSE(back) << "arrived patients are no no-shows";
  auto cancelled = service.change(
      owner, practice, first->id, arrived->version,
      {std::nullopt, std::nullopt, std::string("cancelled"), std::string("patient"), false});
  ASSERT_TRUE(cancelled);
  EXPECT_FALSE(cancelled->active);
  EXPECT_TRUE(book("2026-06-08T10:00:00+02:00")) << "a cancelled appointment frees its time";

  auto listed = service.appointments(practice, at("2026-06-08T00:00:00+02:00"),
                                     at("2026-06-09T00:00:00+02:00"), std::nullopt);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 4u);

  auto tx = store->read();
  auto entries = (*tx)->audit().search(practice, [] {
    store::AuditQuery q;
    q.resource_type = "appointment";
    q.limit = 100;
    return q;
  }());
  ASSERT_TRUE(entries);
  std::multiset<std::string> actions;
  for (const auto& e : *entries) actions.insert(e.action);
  EXPECT_EQ(actions.count("appointment.create"), 4u);
  EXPECT_EQ(actions.count("appointment.move"), 1u);
  EXPECT_EQ(actions.count("appointment.status"), 1u);
  EXPECT_EQ(actions.count("appointment.cancel"), 1u);
}

TEST_F(SchedulingFixture, MergingPatientsMovesTheirAppointments) {
  patients::PatientService patients(*store, *keys, trail, clock, random);
  auto add = [&](const char* family, const char* born) {
    auto body =
        json::parse(R"({"family_name":")" + std::string(family) +
                    R"(","given_names":"Eva","birth_date":")" + born + R"(","confirm_new":true})")
            .as_object();
    auto r = patients.create(owner, practice, body);
    EXPECT_TRUE(r && r->created);
    return r->created->row.id;
  };
  const std::string keep = add("Roth", "1970-01-01");
  const std::string gone = add("Rot", "1970-01-01");
  auto a = service.book(
      owner, practice,
      {type, berg, gone, at("2026-06-08T09:00:00+02:00"), false, "staff", std::nullopt, {}});
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(patients.merge(owner, practice, keep, gone));
  auto moved = service.appointment(practice, a->id);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->patient_id, keep);
  EXPECT_EQ(moved->version, a->version + 1);
  auto unknown = service.book(
      owner, practice,
      {type, berg, gone, at("2026-06-08T10:00:00+02:00"), false, "staff", std::nullopt, {}});
  ASSERT_FALSE(unknown) << "a merged record takes no new appointments";
  EXPECT_EQ(unknown.error().fields.front().field, "patient_id");
}

}  // namespace
}  // namespace praxis::scheduling
