// The staff scheduling API over HTTP (issue #7): an owner sets up a practitioner, an
// appointment type and a working plan; the front desk sees free times with their Berlin
// offsets, books, is refused a taken or off-hours time, moves and cancels; versions are
// required for changes.

#include <gtest/gtest.h>

#include "integration/staff_fixture.hpp"

namespace praxis::test {
namespace {

namespace json = boost::json;

class SchedulingApi : public testing::Test {
 protected:
  StaffApi api;
  std::string practice = api.add_practice("kalender");
  Session owner = api.mint_session(practice, api.add_active_user(practice, "o@x.example", "owner"));
  Session desk =
      api.mint_session(practice, api.add_active_user(practice, "r@x.example", "reception"));

  std::string id_of(const HttpResponse& r) { return std::string(json_of(r)["id"].as_string()); }

  void SetUp() override {
    // Monday 2026-03-23 06:00 UTC: the week of the spring switch.
    api.clock.advance(core::Instant(std::chrono::seconds(1774245600)) - api.clock.now());
  }
};

TEST_F(SchedulingApi, SetUpBookMoveAndCancelAcrossTheSpringSwitch) {
  auto r = api.call("POST", "/api/v1/practitioners", R"({"name":"Dr. Anna Berg"})", &owner);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string berg = id_of(r);
  EXPECT_EQ(api.call("POST", "/api/v1/practitioners", R"({"name":"X"})", &desk).status, 403)
      << "only owners configure";
  r = api.call(
      "POST", "/api/v1/appointment-types",
      R"({"name_de":"Sprechstunde","duration_minutes":30,"practitioners":[")" + berg + R"("]})",
      &owner);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string type = id_of(r);
  const std::string plan_path = "/api/v1/practitioners/" + berg + "/working-plan";
  const std::string plan = R"({"rules":[{"weekday":"fri","intervals":[["08:00","09:00"]]},)"
                           R"({"weekday":"mon","intervals":[["08:00","09:00"]]}]})";
  r = api.call("PUT", plan_path, plan, &owner);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(api.call("PUT", plan_path, plan, &owner).status, 428)
      << "replacing a plan needs its version";
  EXPECT_EQ(api.call("PUT", plan_path, plan, &owner, "If-Match: \"1\"\r\n").status, 200);

  r = api.call("GET", "/api/v1/availability?type=" + type + "&from=2026-03-27&to=2026-03-30", {},
               &desk);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> starts;
  const auto free = json_of(r);
  for (const auto& s : free.at("slots").as_array()) {
    starts.emplace_back(s.as_object().at("start").as_string());
  }
  EXPECT_EQ(starts,
            (std::vector<std::string>{"2026-03-27T08:00:00+01:00", "2026-03-27T08:15:00+01:00",
                                      "2026-03-27T08:30:00+01:00", "2026-03-30T08:00:00+02:00",
                                      "2026-03-30T08:15:00+02:00", "2026-03-30T08:30:00+02:00"}))
      << "winter time on Friday, summer time on Monday";

  auto book = [&](const std::string& start) {
    return api.call("POST", "/api/v1/appointments",
                    R"({"type_id":")" + type + R"(","practitioner_id":")" + berg +
                        R"(","start":")" + start + R"("})",
                    &desk);
  };
  r = book("2026-03-30T08:00:00+02:00");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string appointment = id_of(r);
  EXPECT_EQ(json_of(r)["end"].as_string(), "2026-03-30T08:30:00+02:00");
  EXPECT_EQ(book("2026-03-30T06:00:00Z").status, 409) << "the same instant, written in UTC";
  EXPECT_EQ(book("2026-03-30T10:00:00+02:00").status, 400) << "outside the working plan";
  EXPECT_EQ(book("30.03.2026 08:00").status, 400);

  const std::string path = "/api/v1/appointments/" + appointment;
  EXPECT_EQ(api.call("PATCH", path, R"({"start":"2026-03-30T08:30:00+02:00"})", &desk).status, 428);
  r = api.call("PATCH", path, R"({"start":"2026-03-30T08:30:00+02:00"})", &desk,
               "If-Match: \"1\"\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["start"].as_string(), "2026-03-30T08:30:00+02:00");
  EXPECT_EQ(book("2026-03-30T08:00:00+02:00").status, 201) << "the old time is free";

  r = api.call(
      "GET", "/api/v1/appointments?from=2026-03-30T00:00:00%2B02:00&to=2026-03-31T00:00:00%2B02:00",
      {}, &desk);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["appointments"].as_array().size(), 2u);
  EXPECT_EQ(api.call("GET", "/api/v1/appointments", {}, &desk).status, 400) << "a range is needed";

  r = api.call("DELETE", path + "?reason=patient", {}, &desk, "If-Match: \"2\"\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["status"].as_string(), "cancelled");
  EXPECT_EQ(json_of(r)["cancel_reason"].as_string(), "patient") << "the reason is kept";
  EXPECT_EQ(book("2026-03-30T08:30:00+02:00").status, 201) << "cancelled frees the time";

  r = api.call("PUT", "/api/v1/booking-rules", R"({"closing_days":["2026-03-27"]})", &owner);
  ASSERT_EQ(r.status, 200) << r.body;
  r = api.call("GET", "/api/v1/availability?type=" + type + "&from=2026-03-27&to=2026-03-27", {},
               &desk);
  EXPECT_TRUE(json_of(r)["slots"].as_array().empty()) << "closed that Friday";
}

}  // namespace
}  // namespace praxis::test
