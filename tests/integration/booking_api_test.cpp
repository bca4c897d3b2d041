// The public booking API over HTTP (issue #7): practice info, availability, the ALTCHA
// proof-of-work, bookings with Idempotency-Key, patient linking that the answer never
// reveals, the manage link (view, cancel, reschedule until the deadline), abuse limits,
// and the staff's review list of online bookings.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "integration/staff_fixture.hpp"

namespace praxis::test {
namespace {

namespace json = boost::json;

class BookingApi : public testing::Test {
 protected:
  StaffApi api;
  std::string practice = api.add_practice("online");
  StaffApi::Online online = api.setup_online(practice);
  const std::string base = "/api/v1/public/practices/online";

  void SetUp() override {
    // Monday 2027-01-04 06:00 Berlin (05:00 UTC).
    set_clock("2027-01-04T05:00:00Z");
  }

  void set_clock(const std::string& rfc3339) {
    const auto at = scheduling::parse_instant(rfc3339);
    ASSERT_TRUE(at);
    api.clock.advance(core::Instant(std::chrono::duration_cast<std::chrono::microseconds>(
                          at->time_since_epoch())) -
                      api.clock.now());
  }

  HttpResponse book(const std::string& start, const std::string& family = "Muster",
                    const std::string& birth = "1980-03-12",
                    const std::string& phone = "0151 2345678", const std::string& extra = {}) {
    return api.call(
        "POST", base + "/bookings",
        StaffApi::booking_body(online.type, start, family, birth, api.solved("online"), phone),
        nullptr, extra);
  }

  std::size_t appointments_on(const std::string& day) {
    std::size_t n = 0;
    auto from = scheduling::parse_instant(day + "T00:00:00+01:00");
    auto list = api.scheduling().appointments(practice, *from, *from + std::chrono::hours(24),
                                              std::nullopt);
    if (!list) return 0;
    for (const auto& a : *list) n += a.active ? 1 : 0;
    return n;
  }

  static std::set<std::string> keys(const json::object& o) {
    std::set<std::string> out;
    for (const auto& [k, _] : o) out.emplace(k);
    return out;
  }

  static std::set<std::string> field_codes(const HttpResponse& r) {
    std::set<std::string> out;
    auto body = json_of(r);
    if (auto* errors = body.if_contains("errors")) {
      for (const auto& e : errors->as_array()) {
        out.insert(std::string(e.as_object().at("field").as_string()) + ":" +
                   std::string(e.as_object().at("code").as_string()));
      }
    }
    return out;
  }
};

TEST_F(BookingApi, PracticeInfoShowsOnlyWhatThePublicMaySee) {
  (void)api.scheduling().create(
      audit::Context::system("test"), practice, store::ConfigKind::appointment_type,
      json::parse(R"({"name_de":"Intern","practitioners":[")" + online.practitioner + R"("]})")
          .as_object());
  auto r = api.call("GET", base);
  ASSERT_EQ(r.status, 200) << r.body;
  auto info = json_of(r);
  EXPECT_EQ(info["slug"].as_string(), "online");
  EXPECT_EQ(info["name"].as_string(), "Praxis online");
  ASSERT_EQ(info["appointment_types"].as_array().size(), 1u) << "only online-bookable types";
  const auto& type = info["appointment_types"].as_array()[0].as_object();
  EXPECT_EQ(type.at("id").as_string(), online.type);
  EXPECT_EQ(type.at("name").as_string(), "Sprechstunde");
  EXPECT_EQ(type.at("name_en").as_string(), "Consultation");
  EXPECT_EQ(type.at("duration_minutes").as_int64(), 15);
  ASSERT_EQ(info["practitioners"].as_array().size(), 1u);
  EXPECT_EQ(info["practitioners"].as_array()[0].as_object().at("display_name").as_string(),
            "Dr. Online");
  EXPECT_EQ(api.call("GET", "/api/v1/public/practices/nirgendwo").status, 404);
}

TEST_F(BookingApi, AvailabilityRespectsNoticeHorizonAndRange) {
  auto r = api.call("GET",
                    base + "/availability?type=" + online.type + "&from=2027-01-04&to=2027-01-04");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json_of(r);
  const auto& slots = body["slots"].as_array();
  ASSERT_FALSE(slots.empty());
  EXPECT_EQ(slots.front().as_object().at("start").as_string(), "2027-01-04T08:00:00+01:00")
      << "two hours' notice from 06:00";
  EXPECT_EQ(slots.front().as_object().at("end").as_string(), "2027-01-04T08:15:00+01:00");
  EXPECT_EQ(slots.front().as_object().at("practitioner").as_string(), online.practitioner);
  EXPECT_EQ(slots.size(), 16u);

  set_clock("2027-01-04T08:30:00Z");  // 09:30 Berlin
  r = api.call("GET",
               base + "/availability?type=" + online.type + "&from=2027-01-04&to=2027-01-04");
  body = json_of(r);
  EXPECT_EQ(body["slots"].as_array().front().as_object().at("start").as_string(),
            "2027-01-04T11:30:00+01:00");

  r = api.call("GET",
               base + "/availability?type=" + online.type + "&from=2027-06-01&to=2027-06-04");
  ASSERT_EQ(r.status, 200) << r.body;
  body = json_of(r);
  EXPECT_TRUE(body["slots"].as_array().empty()) << "beyond the 90-day horizon";
  r = api.call("GET",
               base + "/availability?type=" + online.type + "&from=2027-01-04&to=2027-02-15");
  EXPECT_EQ(r.status, 400) << "more than 31 days";
  EXPECT_EQ(api.call("GET", base + "/availability?from=2027-01-04").status, 400);
  EXPECT_EQ(api.call("GET", base + "/availability?type=" + online.type + "&from=4.1.2027").status,
            400);
  EXPECT_EQ(api.call("GET", base + "/availability?type=nope&from=2027-01-04").status, 404);
}

TEST_F(BookingApi, BookViewAndCancelWithTheManageToken) {
  auto r = book("2027-01-05T09:00:00+01:00");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  auto answer = json_of(r);
  EXPECT_EQ(keys(answer),
            (std::set<std::string>{"reference", "manage_token", "start", "end", "appointment_type",
                                   "instructions", "instructions_en"}));
  EXPECT_EQ(answer["start"].as_string(), "2027-01-05T09:00:00+01:00");
  EXPECT_EQ(answer["end"].as_string(), "2027-01-05T09:15:00+01:00");
  EXPECT_EQ(answer["instructions"].as_string(), "Bitte Karte mitbringen.");
  const std::string token(answer["manage_token"].as_string());
  const std::string reference(answer["reference"].as_string());
  EXPECT_EQ(reference.size(), 9u);
  EXPECT_EQ(appointments_on("2027-01-05"), 1u);

  r = api.call("GET", "/api/v1/public/bookings/" + token);
  ASSERT_EQ(r.status, 200) << r.body;
  auto view = json_of(r);
  EXPECT_EQ(keys(view),
            (std::set<std::string>{"reference", "status", "start", "end", "appointment_type",
                                   "appointment_type_id", "practitioner", "practice",
                                   "changeable_until", "changeable"}))
      << "time, type, practitioner and practice, nothing about the patient";
  EXPECT_EQ(view.at("appointment_type_id").as_string(), online.type);
  // The random ids may spell any digits: the scan reads the other values.
  auto shown = view;
  shown.erase("reference");
  shown.erase("appointment_type_id");
  shown.erase("practitioner");
  const auto rest = json::serialize(shown);
  EXPECT_EQ(rest.find("Muster"), std::string::npos);
  EXPECT_EQ(rest.find("1980"), std::string::npos);
  EXPECT_EQ(view["reference"].as_string(), reference);
  EXPECT_EQ(view["status"].as_string(), "booked");
  EXPECT_EQ(view["changeable_until"].as_string(), "2027-01-04T09:00:00+01:00");
  EXPECT_TRUE(view["changeable"].as_bool());

  std::string altered = token;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';  // another token, whatever the last char
  EXPECT_EQ(api.call("GET", "/api/v1/public/bookings/" + altered).status, 404);
  EXPECT_EQ(api.call("GET", "/api/v1/public/bookings/nonsense").status, 404);

  r = api.call("DELETE", "/api/v1/public/bookings/" + token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["status"].as_string(), "cancelled");
  EXPECT_EQ(appointments_on("2027-01-05"), 0u) << "the time is free again";
  EXPECT_EQ(api.call("DELETE", "/api/v1/public/bookings/" + token).status, 409);
  EXPECT_EQ(book("2027-01-05T09:00:00+01:00", "Andere", "1990-01-01", "0151 9999999").status, 201);
}

TEST_F(BookingApi, AnExistingPatientAndANewOneGetTheSameAnswer) {
  auto existing = api.patients().create(
      audit::Context::system("test"), practice,
      json::parse(R"({"family_name":"Muster","given_names":"Anna","birth_date":"1980-03-12",)"
                  R"("confirm_new":true})")
          .as_object());
  ASSERT_TRUE(existing && existing->created);
  auto first = book("2027-01-05T09:00:00+01:00", "Muster", "1980-03-12", "0151 1111111");
  auto second = book("2027-01-05T10:00:00+01:00", "Neumann", "1975-07-01", "0151 2222222");
  ASSERT_EQ(first.status, 201) << first.body;
  ASSERT_EQ(second.status, 201) << second.body;
  auto shape = [](const HttpResponse& r) {
    auto o = json_of(r);
    for (auto key : {"reference", "manage_token", "start", "end"}) {
      o[key] = std::string(o[key].as_string().size(), 'x');
    }
    return json::serialize(o);
  };
  EXPECT_EQ(shape(first), shape(second)) << "byte-identical apart from the booking's own values";
  EXPECT_EQ(first.header("content-length").empty(), second.header("content-length").empty());

  auto list = api.scheduling().appointments(
      practice, *scheduling::parse_instant("2027-01-05T00:00:00Z"),
      *scheduling::parse_instant("2027-01-06T00:00:00Z"), std::nullopt);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].patient_id, existing->created->row.id) << "linked by name and birth date";
  EXPECT_EQ((*list)[0].source, "online");
  ASSERT_TRUE((*list)[1].patient_id);
  EXPECT_NE((*list)[1].patient_id, existing->created->row.id);
  auto created =
      api.patients().get(audit::Context::system("test"), practice, *(*list)[1].patient_id);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->row.status, "new") << "for staff to review";
  EXPECT_EQ(created->record.family_name, "Neumann");
  EXPECT_EQ(created->record.phones.at(0).number, "+491512222222");
  EXPECT_TRUE(created->record.sms_reminders.given) << "reminder consent with its time";
}

TEST_F(BookingApi, EveryBookingCarriesAFreshSolvedProofOfWork) {
  const std::string start = "2027-01-05T09:00:00+01:00";
  auto post = [&](const std::string& altcha) {
    return api.call("POST", base + "/bookings",
                    StaffApi::booking_body(online.type, start, "Muster", "1980-03-12", altcha));
  };
  auto r = post("");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(field_codes(r).contains("altcha:required")) << r.body;
  r = post("bm90IGpzb24=");
  EXPECT_TRUE(field_codes(r).contains("altcha:malformed")) << r.body;

  auto challenge = json_of(api.call("GET", base + "/challenge"));
  ASSERT_TRUE(challenge.contains("parameters"));
  EXPECT_EQ(challenge["parameters"].as_object()["algorithm"].as_string(), "PBKDF2/SHA-256");
  auto eased = challenge;
  eased["parameters"].as_object()["keyPrefix"] = "";
  r = post(StaffApi::solve(eased));
  EXPECT_TRUE(field_codes(r).contains("altcha:signature")) << "parameters are signed: " << r.body;

  // A derived key that is not the one for its counter.
  const std::string good = StaffApi::solve(challenge);
  auto decoded = crypto::base64_decode(good);
  auto payload = json::parse(std::string(decoded->begin(), decoded->end())).as_object();
  payload["solution"].as_object()["counter"] =
      payload["solution"].as_object()["counter"].as_int64() + 1;
  const std::string forged = json::serialize(payload);
  r = post(crypto::base64_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(forged.data()), forged.size())));
  EXPECT_TRUE(field_codes(r).contains("altcha:solution")) << r.body;
  EXPECT_EQ(appointments_on("2027-01-05"), 0u) << "nothing was booked";

  r = post(good);
  ASSERT_EQ(r.status, 201) << r.body;
  r = api.call("POST", base + "/bookings",
               StaffApi::booking_body(online.type, "2027-01-05T10:00:00+01:00", "Muster",
                                      "1980-03-12", good));
  EXPECT_TRUE(field_codes(r).contains("altcha:used")) << "single use: " << r.body;

  const std::string late = api.solved("online");
  api.clock.advance(std::chrono::minutes(11));
  r = api.call("POST", base + "/bookings",
               StaffApi::booking_body(online.type, "2027-01-05T10:00:00+01:00", "Muster",
                                      "1980-03-12", late));
  EXPECT_TRUE(field_codes(r).contains("altcha:expired")) << r.body;
  EXPECT_EQ(appointments_on("2027-01-05"), 1u);
}

TEST_F(BookingApi, ARetriedPostWithTheSameIdempotencyKeyGetsTheFirstAnswer) {
  const std::string body = StaffApi::booking_body(online.type, "2027-01-05T09:00:00+01:00",
                                                  "Muster", "1980-03-12", api.solved("online"));
  const std::string key = "Idempotency-Key: 0b9c7a52-retry\r\n";
  auto first = api.call("POST", base + "/bookings", body, nullptr, key);
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = api.call("POST", base + "/bookings", body, nullptr, key);
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.body, first.body) << "the same reference and manage token";
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(appointments_on("2027-01-05"), 1u);

  auto other = api.call("POST", base + "/bookings",
                        StaffApi::booking_body(online.type, "2027-01-05T10:00:00+01:00", "Muster",
                                               "1980-03-12", api.solved("online")),
                        nullptr, key);
  EXPECT_EQ(other.status, 409) << "the key belongs to another request";
  EXPECT_EQ(api.call("POST", base + "/bookings", body, nullptr, "Idempotency-Key: \x01\r\n").status,
            400);
}

TEST_F(BookingApi, TimesThePracticeDoesNotOfferAreRefusedWithAPreciseReason) {
  auto reason = [&](const std::string& start) {
    auto r = book(start);
    EXPECT_EQ(r.status, 400) << start << ": " << r.body;
    auto codes = field_codes(r);
    return codes.empty() ? std::string() : *codes.begin();
  };
  EXPECT_EQ(reason("2027-01-05T09:07:00+01:00"), "start:not_offered") << "off the grid";
  EXPECT_EQ(reason("2027-01-05T13:00:00+01:00"), "start:not_offered") << "after hours";
  EXPECT_EQ(reason("2027-01-09T09:00:00+01:00"), "start:not_offered") << "a Saturday";
  EXPECT_EQ(reason("2027-03-26T09:00:00+01:00"), "start:not_offered") << "Good Friday";
  EXPECT_EQ(reason("2027-01-03T09:00:00+01:00"), "start:past");
  EXPECT_EQ(reason("2027-01-04T07:00:00+01:00"), "start:notice");
  EXPECT_EQ(reason("2027-06-01T09:00:00+02:00"), "start:horizon");
  EXPECT_EQ(appointments_on("2027-01-05"), 0u);

  auto r = api.call("POST", base + "/bookings",
                    R"({"appointment_type":"nope","start":"gestern","patient":{"family_name":"",)"
                    R"("birth_date":"2099-01-01","phone":"12","insurance_kind":"AOK"},"x":1})");
  ASSERT_EQ(r.status, 400);
  const auto codes = field_codes(r);
  for (auto expected :
       {"start:invalid", "patient.given_names:required", "patient.family_name:required",
        "patient.new_patient:required", "altcha:required", "x:unknown"}) {
    EXPECT_TRUE(codes.contains(expected)) << expected << " in " << r.body;
  }
  EXPECT_TRUE(codes.contains("patient.birth_date:in_future")) << r.body;
  EXPECT_TRUE(codes.contains("patient.phone:invalid")) << r.body;
  EXPECT_TRUE(codes.contains("patient.insurance_kind:invalid")) << r.body;
  r = api.call("POST", base + "/bookings",
               StaffApi::booking_body("nope", "2027-01-05T09:00:00+01:00", "Muster", "1980-03-12",
                                      api.solved("online")));
  EXPECT_TRUE(field_codes(r).contains("appointment_type:unknown")) << r.body;

  ASSERT_EQ(book("2027-01-05T09:00:00+01:00").status, 201);
  r = book("2027-01-05T09:00:00+01:00", "Zweit", "1990-01-01", "0151 7777777");
  EXPECT_EQ(r.status, 409) << "taken: " << r.body;
}

TEST_F(BookingApi, ACapLimitsFutureOnlineBookingsPerContact) {
  for (const char* start :
       {"2027-01-05T09:00:00+01:00", "2027-01-05T09:15:00+01:00", "2027-01-05T09:30:00+01:00"}) {
    ASSERT_EQ(book(start, "Muster", "1980-03-12", "0151 5555555").status, 201) << start;
  }
  auto r = book("2027-01-05T09:45:00+01:00", "Anders", "1981-01-01", "+49 151 5555555");
  EXPECT_EQ(r.status, 409) << "the same number, written differently: " << r.body;
  EXPECT_EQ(book("2027-01-05T09:45:00+01:00", "Anders", "1981-01-01", "0151 6666666").status, 201);
}

TEST_F(BookingApi, ABookingMovesUntilTheDeadlineAndNotAfter) {
  auto r = book("2027-01-06T09:00:00+01:00");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string token(json_of(r)["manage_token"].as_string());
  const std::string path = "/api/v1/public/bookings/" + token + "/reschedule";
  r = api.call("POST", path, R"({"start":"2027-01-07T10:00:00+01:00"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["start"].as_string(), "2027-01-07T10:00:00+01:00");
  EXPECT_EQ(appointments_on("2027-01-06"), 0u);
  EXPECT_EQ(appointments_on("2027-01-07"), 1u);
  EXPECT_EQ(api.call("POST", path, R"({"start":"2027-01-07T10:05:00+01:00"})").status, 400);
  EXPECT_EQ(api.call("POST", path, R"({"when":"morgen"})").status, 400);

  set_clock("2027-01-06T10:00:00Z");  // less than 24 h before
  r = api.call("POST", path, R"({"start":"2027-01-08T10:00:00+01:00"})");
  EXPECT_EQ(r.status, 409) << r.body;
  r = api.call("GET", "/api/v1/public/bookings/" + token);
  EXPECT_FALSE(json_of(r)["changeable"].as_bool());
  EXPECT_EQ(api.call("DELETE", "/api/v1/public/bookings/" + token).status, 409);
  EXPECT_EQ(appointments_on("2027-01-07"), 1u);
}

TEST_F(BookingApi, AnyPractitionerTakesWhoeverIsFree) {
  // A second practitioner offering the same type.
  auto second = api.scheduling().create(audit::Context::system("test"), practice,
                                        store::ConfigKind::practitioner,
                                        json::parse(R"({"name":"Dr. Zwei"})").as_object());
  ASSERT_TRUE(second);
  auto type = api.scheduling().get(practice, store::ConfigKind::appointment_type, online.type);
  ASSERT_TRUE(type);
  ASSERT_TRUE(api.scheduling().update(
      audit::Context::system("test"), practice, store::ConfigKind::appointment_type, online.type,
      type->row.version,
      json::object{{"practitioners", json::array{online.practitioner, second->row.id}}}));
  auto plan = api.scheduling().working_plan(practice, online.practitioner);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(api.scheduling().put_working_plan(audit::Context::system("test"), practice,
                                                second->row.id, std::nullopt, plan->doc));
  std::set<std::string> who;
  for (const char* phone : {"0151 1000001", "0151 1000002"}) {
    auto r = book("2027-01-05T09:00:00+01:00", "Muster", "1980-03-12", phone);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  auto list = api.scheduling().appointments(
      practice, *scheduling::parse_instant("2027-01-05T00:00:00Z"),
      *scheduling::parse_instant("2027-01-06T00:00:00Z"), std::nullopt);
  ASSERT_TRUE(list);
  for (const auto& a : *list) who.insert(a.practitioner_id);
  EXPECT_EQ(who.size(), 2u) << "one each";
  EXPECT_EQ(book("2027-01-05T09:00:00+01:00", "Muster", "1980-03-12", "0151 1000003").status, 409);
}

TEST_F(BookingApi, SixtyFourPatientsBookingTheSameTimeGetOneSuccess) {
  constexpr int kClients = 64;
  std::vector<std::string> bodies;
  for (int i = 0; i < kClients; ++i) {
    bodies.push_back(StaffApi::booking_body(
        online.type, "2027-01-05T09:00:00+01:00", "Gleich" + std::to_string(i), "1980-03-12",
        api.solved("online"), "0151 " + std::to_string(3000000 + i)));
  }
  std::vector<int> status(kClients);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      auto r =
          http_request(api.port(), "POST", base + "/bookings", bodies[static_cast<std::size_t>(i)],
                       "Content-Type: application/json\r\n");
      status[static_cast<std::size_t>(i)] = r ? r->status : 0;
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(status.begin(), status.end(), 201), 1);
  EXPECT_EQ(std::count(status.begin(), status.end(), 409), kClients - 1);
  EXPECT_EQ(appointments_on("2027-01-05"), 1u);
}

TEST_F(BookingApi, StaffReviewWhatCameInOnline) {
  ASSERT_EQ(book("2027-01-05T09:00:00+01:00", "Neumann", "1975-07-01").status, 201);
  const Session desk =
      api.mint_session(practice, api.add_active_user(practice, "r@online.example", "reception"));
  auto r = api.call("GET", "/api/v1/online-bookings", {}, &desk);
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = json_of(r)["online_bookings"].as_array();
  ASSERT_EQ(list.size(), 1u);
  const auto& item = list[0].as_object();
  EXPECT_TRUE(item.at("new_patient_record").as_bool());
  EXPECT_EQ(item.at("entered").as_object().at("family_name").as_string(), "Neumann");
  EXPECT_EQ(item.at("entered").as_object().at("phone").as_string(), "+491512345678");
  EXPECT_EQ(item.at("start").as_string(), "2027-01-05T09:00:00+01:00");
  const std::string id(item.at("id").as_string());

  store::AuditQuery query;
  query.action = "patient.list";
  query.resource_id = std::string(item.at("patient_id").as_string());
  auto reads = api.audit().search(audit::Context::system("test"), practice, query);
  ASSERT_TRUE(reads);
  const bool listed = !reads->entries.empty();
  EXPECT_TRUE(listed) << "showing what a booker entered is a recorded read";

  EXPECT_EQ(api.call("POST", "/api/v1/online-bookings/" + id + "/review", {}, &desk).status, 204);
  EXPECT_EQ(api.call("POST", "/api/v1/online-bookings/" + id + "/review", {}, &desk).status, 404);
  r = api.call("GET", "/api/v1/online-bookings", {}, &desk);
  auto after = json_of(r);
  EXPECT_TRUE(after["online_bookings"].as_array().empty());
}

TEST(BookingLimits, TooManyRequestsFromOneAddressAreRefusedWith429) {
  api::PublicLimits limits = StaffApi::unlimited();
  limits.writes = {1, 2};  // one a minute, two at once
  limits.reads = {60, 3};
  StaffApi api(fast_auth_options(), false, limits);
  const std::string practice = api.add_practice("limits");
  const auto online = api.setup_online(practice);
  api.clock.advance(core::Instant(std::chrono::seconds(1799038800)) - api.clock.now());
  int refused = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = api.call("GET", "/api/v1/public/practices/limits");
    if (r.status == 429) {
      ++refused;
      EXPECT_FALSE(r.header("retry-after").empty());
    }
  }
  EXPECT_EQ(refused, 2) << "a burst of three reads";
  for (int i = 0; i < 3; ++i) {
    auto r = api.call("POST", "/api/v1/public/practices/limits/bookings", "{}");
    EXPECT_EQ(r.status, i < 2 ? 400 : 429) << i;
  }
  api.clock.advance(std::chrono::minutes(1));
  EXPECT_EQ(api.call("POST", "/api/v1/public/practices/limits/bookings", "{}").status, 400)
      << "refilled";
  (void)online;
}

TEST(BookingLimits, WithoutProofOfWorkNoChallengeIsAskedFor) {
  booking::BookingOptions options;
  options.proof_of_work = false;
  StaffApi api(fast_auth_options(), false, StaffApi::unlimited(), options);
  const std::string practice = api.add_practice("ohne");
  const auto online = api.setup_online(practice);
  api.clock.advance(core::Instant(std::chrono::seconds(1799038800)) - api.clock.now());
  EXPECT_EQ(api.call("GET", "/api/v1/public/practices/ohne/challenge").status, 404);
  auto r = api.call(
      "POST", "/api/v1/public/practices/ohne/bookings",
      StaffApi::booking_body(online.type, "2027-01-05T09:00:00+01:00", "Muster", "1980-03-12", ""));
  EXPECT_EQ(r.status, 201) << r.body;
  auto info = json_of(api.call("GET", "/api/v1/public/practices/ohne"));
  EXPECT_FALSE(info["proof_of_work"].as_bool());
}

}  // namespace
}  // namespace praxis::test
