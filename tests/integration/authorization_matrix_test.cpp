// The authorization matrix of issue #5, generated from the route table the server
// serves: every route × every role × own vs. foreign practice × no session. No route is
// listed here; a new route is covered the moment it is added, and one whose {id}
// parameter names a collection this test cannot create fails until it learns how.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "auth/permissions.hpp"
#include "integration/staff_fixture.hpp"

namespace praxis::test {
namespace {

class Matrix {
 public:
  Matrix()
      : api_(fast_auth_options(), false, StaffApi::unlimited(), StaffApi::cheap_proof_of_work(),
             notifications()) {
    own_ = api_.add_practice("alpha");
    foreign_ = api_.add_practice("beta");
  }

  StaffApi& api() { return api_; }
  const std::string& own() const { return own_; }
  const std::string& foreign() const { return foreign_; }
  const std::set<std::string>& foreign_ids() const { return foreign_ids_; }

  // A fresh resource of `collection` in `practice`; nullopt for an unknown collection.
  std::optional<std::string> make(std::string_view collection, const std::string& practice) {
    std::optional<std::string> id;
    if (collection == "patients") {
      auto created = api_.patients().create(
          audit::Context::system("test"), practice,
          boost::json::parse(R"({"family_name":"Matrix","given_names":"Test",)"
                             R"("birth_date":"1970-01-01","confirm_new":true})")
              .as_object());
      if (!created || !created->created) throw std::runtime_error("patient");
      id = created->created->row.id;
    } else if (collection == "users") {
      id = api_.add_active_user(practice, next_email(), "assistant");
    } else if (collection == "sessions") {
      id =
          api_.mint_session(practice, api_.add_active_user(practice, next_email(), "assistant")).id;
    } else if (collection == "api-tokens") {
      store::ApiTokenRow t;
      t.id = crypto::generate_token().substr(0, 32);
      t.practice_id = practice;
      t.name = "Matrix";
      t.created_by = api_.add_active_user(practice, next_email(), "owner");
      const auto h = crypto::hash_token(crypto::generate_token());
      t.token_hash.assign(h.begin(), h.end());
      t.permissions = "practice.read";
      t.created_at = core::to_iso8601(api_.clock.now());
      t.expires_at = core::to_iso8601(api_.clock.now() + std::chrono::hours(24));
      auto r = store::with_transaction(
          api_.store(), store::TxMode::read_write,
          [&](store::Transaction& tx) { return tx.api_tokens().insert(t); });
      if (!r) throw std::runtime_error(r.error().internal);
      id = t.id;
    } else if (collection == "break-glass") {
      const std::string patient = *make("patients", practice);
      auto row =
          store::with_transaction(api_.store(), store::TxMode::read_write,
                                  [&](store::Transaction& tx) -> core::Result<void> {
                                    auto p = tx.patients().find(practice, patient);
                                    if (!p || !*p)
                                      return core::fail(core::ErrorCode::internal, "", "patient");
                                    store::PatientRow restricted = **p;
                                    restricted.restricted = true;
                                    return tx.patients().update(restricted, std::nullopt);
                                  });
      if (!row) throw std::runtime_error(row.error().internal);
      audit::Context who;
      who.actor = {"user", api_.add_active_user(practice, next_email(), "reception"), "reception"};
      auto grant = api_.audit().break_glass(who, practice, patient, "Notfall in der Praxis");
      if (!grant) throw std::runtime_error(grant.error().message);
      id = grant->id;
    } else if (collection == "practitioners") {
      id = config(store::ConfigKind::practitioner, practice, R"({"name":"Dr. Matrix"})");
    } else if (collection == "resources") {
      id = config(store::ConfigKind::resource, practice, R"({"name":"Raum Matrix"})");
    } else if (collection == "appointment-types") {
      id = type(practice);
    } else if (collection == "absences") {
      auto a = api_.scheduling().add_absence(
          audit::Context::system("test"), practice,
          boost::json::object{{"practitioner_id", *make("practitioners", practice)},
                              {"start", "2026-07-01T08:00:00Z"},
                              {"end", "2026-07-01T12:00:00Z"}});
      if (!a) throw std::runtime_error(a.error().message);
      id = a->id;
    } else if (collection == "appointments") {
      const std::string practitioner = *make("practitioners", practice);
      scheduling::NewAppointment in;
      in.type_id = type(practice, practitioner);
      in.practitioner_id = practitioner;
      in.start = *scheduling::parse_instant("2027-01-04T09:00:00Z");
      in.outside_hours = true;
      auto a = api_.scheduling().book(audit::Context::system("test"), practice, in);
      if (!a) throw std::runtime_error(a.error().message);
      id = a->id;
    } else if (collection == "notifications") {
      // A dead letter the practice may send again.
      store::OutboxRow row;
      row.practice_id = practice;
      row.id = crypto::generate_token().substr(0, 32);
      row.kind = "confirmation";
      row.channel = "email";
      row.payload = std::vector<std::uint8_t>{1};
      row.state = "dead";
      row.created_at = core::to_iso8601(api_.clock.now());
      auto r =
          store::with_transaction(api_.store(), store::TxMode::read_write,
                                  [&](store::Transaction& tx) { return tx.outbox().insert(row); });
      if (!r) throw std::runtime_error(r.error().internal);
      id = row.id;
    } else if (collection == "notification-templates" || collection == "{kind}") {
      // Template names are the same in every practice: for the "foreign" case an unknown
      // name, which must answer exactly like a foreign id.
      if (practice == foreign_) return std::string("unknown");
      return std::string(collection == "{kind}" ? "de" : "confirmation");
    } else if (collection == "book") {  // the booking page, by slug
      id = practice == own_ ? "alpha" : "beta";
    } else if (collection == "assets") {  // the web assets (fake_web_assets)
      id = "book-1a2b3c4d.js";
    } else if (collection == "app") {  // a page of the staff app
      id = "enrol";
    } else if (collection == "practices") {
      id = practice == own_ ? "alpha" : "beta";  // the public booking API names by slug
    } else if (collection == "bookings" || collection == "online-bookings") {
      auto booked = online_booking(practice);
      id = collection == "bookings" ? booked.first : booked.second;
    }
    if (id && practice == foreign_) foreign_ids_.insert(*id);
    return id;
  }

  // A booking made on the public page: its manage token and its reference.
  std::pair<std::string, std::string> online_booking(const std::string& practice) {
    const auto online = api_.setup_online(practice);
    const std::string slug = practice == own_ ? "alpha" : "beta";
    const std::string body =
        StaffApi::booking_body(online.type, "2027-01-04T09:00:00+01:00", "Matrix", "1970-01-01",
                               api_.solved(slug), "0151 " + std::to_string(7000000 + ++n_));
    auto r = api_.call("POST", "/api/v1/public/practices/" + slug + "/bookings", body);
    if (r.status != 201) throw std::runtime_error("online booking: " + r.body);
    auto answer = json_of(r);
    return {std::string(answer["manage_token"].as_string()),
            std::string(answer["reference"].as_string())};
  }

  std::string config(store::ConfigKind kind, const std::string& practice, const std::string& body) {
    auto v = api_.scheduling().create(audit::Context::system("test"), practice, kind,
                                      boost::json::parse(body).as_object());
    if (!v) throw std::runtime_error(v.error().message);
    return v->row.id;
  }

  std::string type(const std::string& practice, std::string practitioner = {}) {
    if (practitioner.empty()) practitioner = *make("practitioners", practice);
    return config(store::ConfigKind::appointment_type, practice,
                  R"({"name_de":"Matrix","practitioners":[")" + practitioner + R"("]})");
  }

  // The route's path with every {param} filled by a resource of `practice`.
  std::optional<std::string> path(const http::Route& route, const std::string& practice) {
    std::string out;
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
      const auto& segment = route.segments[i];
      if (segment.starts_with("{")) {
        const std::string collection = i > 0 ? route.segments[i - 1] : "";
        auto id = make(collection, practice);
        if (!id) {
          ADD_FAILURE() << route.pattern << ": the matrix cannot create a '" << collection
                        << "' for " << segment << "; teach Matrix::make";
          return std::nullopt;
        }
        out += "/" + *id;
      } else {
        out += "/" + segment;
      }
    }
    return out;
  }

  // Messages that would go to a relay on a closed loopback port; the worker never runs.
  static StaffApi::Notifications notifications() {
    notify::MailSettings mail;
    mail.url = "smtp://127.0.0.1:9";
    mail.from_address = "termine@matrix.example";
    return {notify::make_smtp_mailer(mail), nullptr, {}};
  }

  Session caller(const std::string& role) {
    return api_.mint_session(own_, api_.add_active_user(own_, next_email(), role));
  }

 private:
  std::string next_email() { return "user" + std::to_string(++n_) + "@matrix.example"; }

  StaffApi api_;
  std::string own_;
  std::string foreign_;
  std::set<std::string> foreign_ids_;
  int n_ = 0;
};

bool has_params(const http::Route& route) {
  return std::any_of(route.segments.begin(), route.segments.end(),
                     [](const std::string& s) { return s.starts_with("{"); });
}

std::string body_for(http::Method m) {
  return m == http::Method::post || m == http::Method::patch || m == http::Method::put ? "{}" : "";
}

TEST(AuthorizationMatrix, EveryRouteRoleAndPracticeIsDecidedByTheChokePoint) {
  Matrix m;
  // Some foreign data to look for in list answers.
  for (auto c : {"users", "sessions", "api-tokens", "patients", "practitioners", "resources",
                 "appointment-types", "absences", "appointments", "break-glass", "online-bookings",
                 "notifications"}) {
    (void)m.make(c, m.foreign());
  }

  int protected_routes = 0;
  int cases = 0;
  for (const auto& route : m.api().router().routes()) {
    const std::string method(http::method_name(route.method));
    SCOPED_TRACE(method + " " + route.pattern);
    if (route.access.kind == http::Access::Kind::public_endpoint) {
      auto path = m.path(route, m.own());
      ASSERT_TRUE(path);
      auto r = m.api().call(method, *path, body_for(route.method));
      EXPECT_NE(r.status, 401);
      EXPECT_NE(r.status, 403);
      continue;
    }
    ++protected_routes;
    {
      auto path = m.path(route, m.own());
      ASSERT_TRUE(path);
      auto r = m.api().call(method, *path, body_for(route.method));
      EXPECT_EQ(r.status, 401) << "no session";
      ++cases;
    }
    for (auto role : auth::kRoleNames) {
      SCOPED_TRACE(std::string(role));
      const bool allowed = route.access.kind == http::Access::Kind::authenticated ||
                           auth::role_grants(role, route.access.permission);
      {
        const Session s = m.caller(std::string(role));
        auto path = m.path(route, m.own());
        ASSERT_TRUE(path);
        auto r = m.api().call(method, *path, body_for(route.method), &s);
        if (allowed) {
          EXPECT_NE(r.status, 401) << r.body;
          EXPECT_NE(r.status, 403) << r.body;
          EXPECT_LT(r.status, 500) << r.body;
          if (route.method == http::Method::get) {
            for (const auto& id : m.foreign_ids()) {
              EXPECT_EQ(r.body.find(id), std::string::npos) << "another practice's id leaked";
            }
          }
        } else {
          EXPECT_EQ(r.status, 403) << r.body;
        }
        ++cases;
      }
      if (has_params(route)) {
        const Session s = m.caller(std::string(role));
        auto path = m.path(route, m.foreign());
        ASSERT_TRUE(path);
        auto r = m.api().call(method, *path, body_for(route.method), &s);
        EXPECT_EQ(r.status, allowed ? 404 : 403)
            << "another practice's id answers exactly like an unknown one: " << r.body;
        ++cases;
      }
    }
  }
  EXPECT_GE(protected_routes, 15) << "the staff routes are in the table";
  RecordProperty("cases", cases);
}

// docs/api.md lists every route the server serves with who may call it, so the guide
// cannot fall behind the route table.
TEST(ApiGuide, ListsEveryRouteWithItsAccess) {
  Matrix m;
  std::ifstream in(std::string(PRAXIS_SOURCE_DIR) + "/docs/api.md");
  ASSERT_TRUE(in) << "docs/api.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const auto& route : m.api().router().routes()) {
    const std::string who = route.access.kind == http::Access::Kind::public_endpoint ? "public"
                            : route.access.kind == http::Access::Kind::authenticated
                                ? "signed in"
                                : route.access.permission;
    const std::string row = "| `" + std::string(http::method_name(route.method)) + " " +
                            route.pattern + "` | " + who + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/api.md lacks the row " << row;
  }
}

}  // namespace
}  // namespace praxis::test
