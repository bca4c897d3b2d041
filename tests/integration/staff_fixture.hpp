#pragma once
// The staff API as the server runs it (route table, choke point, services, SQLite store)
// on 127.0.0.1:0, with a clock the test moves. Helpers enrol accounts over HTTP and
// mint sessions directly in the store where a test needs many of them.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "api/authorizer.hpp"
#include "app/routes.hpp"
#include "auth/account_service.hpp"
#include "auth/auth_service.hpp"
#include "booking/booking_service.hpp"
#include "booking/proof_of_work.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/encoding.hpp"
#include "crypto/token.hpp"
#include "crypto/totp.hpp"
#include "integration/server_fixture.hpp"
#include "notify/notifier.hpp"
#include "practices/practice_service.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/key_ring.hpp"
#include "support/pg_schema.hpp"

namespace praxis::test {

inline auth::AuthOptions fast_auth_options() {
  auth::AuthOptions o;
  o.password_cost = {crypto::kMinPasswordOps, crypto::kMinPasswordMemory};
  o.max_password_checks = 4;
  return o;
}

struct Session {
  std::string cookie;  // "__Host-praxis=…"
  std::string csrf;
  std::string id;
};

struct Account {
  std::string practice_id;
  std::string user_id;
  std::string email;
  std::string password;
  std::string role;
  std::vector<std::uint8_t> totp_secret;
  std::vector<std::string> recovery_codes;
};

inline boost::json::object json_of(const HttpResponse& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

// A stand-in for the Vite build (web/): the entry points the server serves by name.
inline http::StaticFiles fake_web_assets(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "book.html") << "<!doctype html><title>Online-Terminbuchung</title>";
  std::ofstream(dir / "app.html") << "<!doctype html><title>praxis</title>";
  std::ofstream(dir / "widget.js") << "customElements.define('praxis-booking', class {});";
  std::string script;
  for (int i = 0; i < 100; ++i) script += "export const x" + std::to_string(i) + " = 1;\n";
  std::ofstream(dir / "assets" / "book-1a2b3c4d.js") << script;
  auto loaded = http::StaticFiles::load(dir);
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return std::move(*loaded);
}

class StaffApi {
 public:
  // Public limits off unless a test sets them.
  static api::PublicLimits unlimited() { return {{0, 1}, {0, 1}, {0, 1}}; }

  // Where messages go when a test wants them sent (issue #11).
  struct Notifications {
    std::unique_ptr<notify::Mailer> mailer;
    std::unique_ptr<notify::SmsGateway> sms;
    notify::NotifierOptions options;
  };

  explicit StaffApi(auth::AuthOptions options = fast_auth_options(),
                    bool trust_forwarded_for = false, api::PublicLimits limits = unlimited(),
                    booking::BookingOptions booking_options = cheap_proof_of_work(),
                    Notifications notifications = {}, bool journal_reads = false) {
    if (test::postgres_requested()) {
      // The same tests on PostgreSQL (ctest label pg): a fresh schema per test.
      pg_schema_ = std::make_unique<test::PgSchema>("integration");
      auto opened = store::postgres::PgStore::open({pg_schema_->dsn(), 8, pg_schema_->owner_dsn()});
      if (!opened) throw std::runtime_error(opened.error().message + opened.error().internal);
      store_ = std::move(*opened);
    } else {
      auto created = store::sqlite::SqliteStore::create(dir_.path() / "staff.db",
                                                        store::sqlite::Synchronous::normal);
      if (!created) throw std::runtime_error(created.error().internal);
      store_ = std::move(*created);
    }
    trail_ = std::make_unique<audit::Trail>(*keys_, clock);
    if (journal_reads) {
      // As the server on SQLite: reads' entries through the audit journal, open before
      // the routes are made (they ask whether reads wait for a commit).
      if (auto r = trail_->open_journal(*store_, dir_.path() / "audit.journal"); !r) {
        throw std::runtime_error(r.error().internal);
      }
    }
    practices_ =
        std::make_unique<practices::PracticeService>(*store_, *keys_, *trail_, clock, random_);
    accounts_ = std::make_unique<auth::AccountService>(*store_, *trail_, clock, random_);
    auth_ = std::make_unique<auth::AuthService>(*store_, *keys_, *trail_, clock, random_, options);
    audit_ = std::make_unique<audit::AuditService>(*store_, *trail_, clock, random_);
    scheduling_ = std::make_unique<scheduling::SchedulingService>(*store_, *trail_, clock, random_);
    patients_ =
        std::make_unique<patients::PatientService>(*store_, *keys_, *trail_, clock, random_);
    if (notifications.mailer || notifications.sms) {
      notifier_ = std::make_unique<notify::Notifier>(
          *store_, *trail_, clock, random_, notify_log_, std::move(notifications.mailer),
          std::move(notifications.sms), std::move(notifications.options));
    }
    bookings_ =
        std::make_unique<booking::BookingService>(*store_, *patients_, *scheduling_, *trail_, clock,
                                                  random_, notifier_.get(), booking_options);
    scheduling_->set_change_listener([this](store::Transaction& tx, const audit::Context& context,
                                            const store::AppointmentRow& before,
                                            const store::AppointmentRow& after) {
      return bookings_->appointment_changed(tx, context, before, after);
    });
    authorizer_ = std::make_unique<api::SessionAuthorizer>(*auth_);
    web_ = fake_web_assets(dir_.path() / "web");
    http::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.io_threads = 1;
    server_options.worker_threads = 4;
    server_options.trust_forwarded_for = trust_forwarded_for;
    server_ = std::make_unique<TestServer>(server_options, [this, limits](http::Router& router) {
      app::add_all_routes(
          router,
          {metrics_, []() -> core::Result<void> { return {}; },
           api::StaffServices{*auth_, *accounts_, *practices_, *patients_, *audit_, *scheduling_,
                              [] { return std::string("https://praxis.test"); }},
           app::RouteDeps::Public{*bookings_, limiter_, clock, limits}, notifier_.get(), &web_});
      router_ = &router;
    });
    server_->set_authorizer(authorizer_.get());
    if (auto r = server_->start(); !r) throw std::runtime_error(r.error().internal);
  }

  ~StaffApi() { expect_recorded_reads_on_the_write_pool(); }
  StaffApi(const StaffApi&) = delete;
  StaffApi& operator=(const StaffApi&) = delete;

  // Every audit entry a GET of this test wrote came from a route marked `commits`: a read
  // handler that waits for a durable commit must not hold a thread of the read pool.
  // With the journal, reads wait for no commit (RouteOptions::commits says so per route).
  void expect_recorded_reads_on_the_write_pool() {
    if (reads_.empty() || router_ == nullptr || !trail_->reads_wait_for_commit()) return;
    auto tx = store_->read();
    if (!tx) return;
    auto practices = (*tx)->practices().list();
    if (!practices) return;
    for (const auto& p : *practices) {
      auto rows = (*tx)->audit().entries(p.id, 0, 100000);
      if (!rows) continue;
      for (const auto& e : *rows) {
        auto it = reads_.find(e.request_id);
        if (it == reads_.end()) continue;
        const auto path = it->second.substr(0, it->second.find('?'));
        auto match = router_->match(http::Method::get, path);
        if (match.status != http::MatchStatus::found) continue;
        EXPECT_TRUE(match.route->options.commits)
            << "GET " << match.route->pattern << " records " << e.action
            << " but is not marked RouteOptions::commits";
      }
    }
  }

  std::uint16_t port() const { return server_->port(); }
  std::filesystem::path db_path() const { return dir_.path() / "staff.db"; }
  // The suite also runs on PostgreSQL; tests that inspect the SQLite file skip there
  // (their PostgreSQL counterparts live in tests/store_conformance/postgres_backend.cpp).
  bool on_postgres() const { return pg_schema_ != nullptr; }
  std::string log_text() { return server_->log_text(); }
  const http::Router& router() const { return *router_; }
  store::Store& store() { return *store_; }
  auth::AccountService& accounts() { return *accounts_; }
  practices::PracticeService& practices() { return *practices_; }
  patients::PatientService& patients() { return *patients_; }
  audit::Trail& trail() { return *trail_; }
  scheduling::SchedulingService& scheduling() { return *scheduling_; }
  audit::AuditService& audit() { return *audit_; }
  booking::BookingService& bookings() { return *bookings_; }
  notify::Notifier& notifier() { return *notifier_; }

  // Limits deletions per user and hour as the server does ([patients] deletes_per_hour).
  audit::DeleteGuard& limit_deletes(std::int64_t per_hour) {
    delete_guard_ = std::make_unique<audit::DeleteGuard>(*store_, *trail_, clock, per_hour);
    patients_->set_delete_guard(delete_guard_.get());
    scheduling_->set_delete_guard(delete_guard_.get());
    return *delete_guard_;
  }

  // Proof-of-work that a test solves in microseconds (one hex digit, cheap PBKDF2).
  static booking::BookingOptions cheap_proof_of_work() {
    booking::BookingOptions o;
    o.pow.cost = 10;
    o.pow.key_prefix = "0";
    return o;
  }

  // The widget's answer to a challenge: searched like the altcha widget does.
  static std::string solve(const boost::json::object& challenge) {
    const auto& p = challenge.at("parameters").as_object();
    auto hex = [](std::string_view text) {
      std::vector<std::uint8_t> out;
      for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        out.push_back(
            static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
      }
      return out;
    };
    const auto nonce = hex(p.at("nonce").as_string());
    const auto salt = hex(p.at("salt").as_string());
    const std::string prefix(p.at("keyPrefix").as_string());
    for (std::uint32_t counter = 0;; ++counter) {
      const auto key = booking::derive_key(nonce, counter, salt, p.at("cost").as_int64(),
                                           static_cast<std::size_t>(p.at("keyLength").as_int64()));
      const std::string derived = crypto::hex_encode(key);
      if (derived.starts_with(prefix)) {
        const std::string payload = boost::json::serialize(boost::json::object{
            {"challenge", challenge},
            {"solution", boost::json::object{{"counter", counter}, {"derivedKey", derived}}}});
        return crypto::base64_encode(std::span<const std::uint8_t>(
            reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
      }
    }
  }

  // A challenge from the API, solved.
  std::string solved(const std::string& slug) {
    auto r = call("GET", "/api/v1/public/practices/" + slug + "/challenge");
    if (r.status != 200) throw std::runtime_error("challenge: " + r.body);
    return solve(json_of(r));
  }

  // A practitioner working Monday to Friday 08:00–12:00 and an online-bookable 15-minute
  // type of hers.
  struct Online {
    std::string practitioner;
    std::string type;
  };
  Online setup_online(const std::string& practice_id, const std::string& type_extra = {}) {
    const auto system = audit::Context::system("test");
    auto p = scheduling_->create(system, practice_id, store::ConfigKind::practitioner,
                                 boost::json::parse(R"({"name":"Dr. Online"})").as_object());
    if (!p) throw std::runtime_error(p.error().message);
    auto t = scheduling_->create(
        system, practice_id, store::ConfigKind::appointment_type,
        boost::json::parse(R"({"name_de":"Sprechstunde","name_en":"Consultation",)"
                           R"("duration_minutes":15,"online_bookable":true,)"
                           R"("instructions_de":"Bitte Karte mitbringen.",)" +
                           type_extra + R"("practitioners":[")" + p->row.id + R"("]})")
            .as_object());
    if (!t) throw std::runtime_error(t.error().message);
    std::string rules;
    for (auto day : {"mon", "tue", "wed", "thu", "fri"}) {
      if (!rules.empty()) rules += ",";
      rules += R"({"weekday":")" + std::string(day) + R"(","intervals":[["08:00","12:00"]]})";
    }
    auto plan = scheduling_->put_working_plan(
        system, practice_id, p->row.id, std::nullopt,
        boost::json::parse(R"({"rules":[)" + rules + "]}").as_object());
    if (!plan) throw std::runtime_error(plan.error().message);
    return {p->row.id, t->row.id};
  }

  // A booking request body (DESIGN.md §5).
  static std::string booking_body(const std::string& type, const std::string& start,
                                  const std::string& family, const std::string& birth_date,
                                  const std::string& altcha,
                                  const std::string& phone = "0151 2345678",
                                  const std::string& email = "") {
    boost::json::object patient{{"family_name", family},
                                {"given_names", "Anna"},
                                {"birth_date", birth_date},
                                {"insurance_kind", "GKV"},
                                {"new_patient", true}};
    if (!phone.empty()) patient["phone"] = phone;
    if (!email.empty()) patient["email"] = email;
    boost::json::object body{{"appointment_type", type},
                             {"start", start},
                             {"patient", std::move(patient)},
                             {"reminder_consent", true}};
    if (!altcha.empty()) body["altcha"] = altcha;
    return boost::json::serialize(body);
  }

  std::string add_practice(const std::string& slug) {
    practices::NewPractice p;
    p.name = "Praxis " + slug;
    p.slug = slug;
    p.state = "BE";
    auto row = practices_->create(audit::Context::system("test"), p);
    if (!row) throw std::runtime_error(row.error().internal);
    return row->id;
  }

  // The enrolment token of a new invitation.
  std::string invite(const std::string& practice_id, const std::string& email,
                     const std::string& role, const std::string& name = "") {
    auto inv = accounts_->invite(audit::Context::system("test"), practice_id, email, role, name);
    if (!inv) throw std::runtime_error(inv.error().message);
    return inv->token;
  }

  HttpResponse call(std::string_view method, std::string_view path, std::string_view body = {},
                    const Session* session = nullptr, std::string extra = {}) {
    if (session) {
      extra += "Cookie: " + session->cookie + "\r\n";
      if (method != "GET" && method != "HEAD") extra += "X-CSRF-Token: " + session->csrf + "\r\n";
    }
    if (!body.empty()) extra += "Content-Type: application/json\r\n";
    auto r = http_request(port(), method, path, body, extra);
    if (!r) throw std::runtime_error("no response");
    if (method == "GET" || method == "HEAD") reads_.emplace(r->header("x-request-id"), path);
    return *r;
  }

  std::string code(const Account& a, int steps_from_now = 0) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    return crypto::totp_code(a.totp_secret, crypto::totp_step(now) + steps_from_now);
  }

  // Invites, enrols and confirms over HTTP; the account is active afterwards.
  Account enrol(const std::string& practice_id, const std::string& email, const std::string& role) {
    Account a{practice_id, "", email, "Kaffee ist gut am Morgen", role, {}, {}};
    const std::string token = invite(practice_id, email, role);
    auto r = call("POST", "/api/v1/auth/enrol",
                  R"({"token":")" + token + R"(","password":")" + a.password + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = json_of(r);
    a.totp_secret = crypto::base32_decode(std::string(body["totp_secret"].as_string()))
                        .value_or(std::vector<std::uint8_t>{});
    for (const auto& c : body["recovery_codes"].as_array()) {
      a.recovery_codes.emplace_back(c.as_string());
    }
    r = call("POST", "/api/v1/auth/enrol/confirm",
             R"({"token":")" + token + R"(","totp":")" + code(a) + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    clock.advance(std::chrono::seconds(30));  // the next login needs a fresh code
    auto user = store::first_row([&]() -> core::Result<std::vector<store::UserRow>> {
      std::vector<store::UserRow> rows;
      auto rr = store::with_transaction(*store_, store::TxMode::read_only,
                                        [&](store::Transaction& tx) -> core::Result<void> {
                                          auto u = tx.users().find_by_email(email);
                                          if (!u) return tl::unexpected(u.error());
                                          if (*u) rows.push_back(**u);
                                          return {};
                                        });
      if (!rr) return tl::unexpected(rr.error());
      return rows;
    }());
    if (user && *user) a.user_id = (*user)->id;
    return a;
  }

  // Signs in over HTTP with password and the current TOTP code; moves the clock on by
  // one TOTP step afterwards so the next login has a fresh code.
  std::optional<Session> login(const Account& a, const std::string& extra = {}) {
    auto r = call("POST", "/api/v1/auth/login",
                  R"({"email":")" + a.email + R"(","password":")" + a.password + R"(","totp":")" +
                      code(a) + R"("})",
                  nullptr, extra);
    clock.advance(std::chrono::seconds(30));
    if (r.status != 200) return std::nullopt;
    return session_of(r);
  }

  static Session session_of(const HttpResponse& r) {
    Session s;
    const std::string set_cookie = r.header("set-cookie");
    s.cookie = set_cookie.substr(0, set_cookie.find(';'));
    auto body = json_of(r);
    s.csrf = std::string(body["csrf_token"].as_string());
    s.id = std::string(body["session"].as_object().at("id").as_string());
    return s;
  }

  // A session written straight into the store (no password check): for tests that need
  // many principals, like the authorization matrix.
  Session mint_session(const std::string& practice_id, const std::string& user_id) {
    Session s;
    const std::string token = crypto::generate_token();
    s.csrf = crypto::generate_token();
    s.cookie = "__Host-praxis=" + token;
    s.id = core::random_hex(random_, 16);
    store::SessionRow row;
    row.id = s.id;
    row.practice_id = practice_id;
    row.user_id = user_id;
    const auto th = crypto::hash_token(token);
    const auto ch = crypto::hash_token(s.csrf);
    row.token_hash.assign(th.begin(), th.end());
    row.csrf_hash.assign(ch.begin(), ch.end());
    row.created_at = core::to_iso8601(clock.now());
    row.last_seen_at = row.created_at;
    row.expires_at = core::to_iso8601(clock.now() + std::chrono::hours(12));
    auto r =
        store::with_transaction(*store_, store::TxMode::read_write,
                                [&](store::Transaction& tx) { return tx.sessions().insert(row); });
    if (!r) throw std::runtime_error(r.error().internal);
    return s;
  }

  // An active user created straight in the store (password and TOTP unset).
  std::string add_active_user(const std::string& practice_id, const std::string& email,
                              const std::string& role, const std::string& display_name = "") {
    store::UserRow u;
    u.display_name = display_name;
    u.id = core::random_hex(random_, 16);
    u.practice_id = practice_id;
    u.email = email;
    u.role = role;
    u.status = "active";
    u.created_at = core::to_iso8601(clock.now());
    auto r = store::with_transaction(*store_, store::TxMode::read_write,
                                     [&](store::Transaction& tx) { return tx.users().insert(u); });
    if (!r) throw std::runtime_error(r.error().internal);
    return u.id;
  }

  core::ManualClock clock{core::Instant(std::chrono::seconds(1798000000))};

 private:
  TempDir dir_;
  std::unique_ptr<crypto::KeyRing> keys_ = fresh_key_ring();
  core::SystemRandom random_;
  std::unique_ptr<test::PgSchema> pg_schema_;  // before store_: dropped after it closes
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<practices::PracticeService> practices_;
  std::unique_ptr<auth::AccountService> accounts_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<audit::Trail> trail_;
  std::unique_ptr<audit::AuditService> audit_;
  std::unique_ptr<scheduling::SchedulingService> scheduling_;
  std::unique_ptr<patients::PatientService> patients_;
  core::Logger notify_log_{{core::LogLevel::warn, "", /*buffered=*/false}};
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<booking::BookingService> bookings_;
  std::unique_ptr<audit::DeleteGuard> delete_guard_;
  core::RateLimiter limiter_;
  std::unique_ptr<api::SessionAuthorizer> authorizer_;
  http::Metrics metrics_;
  http::StaticFiles web_;
  const http::Router* router_ = nullptr;
  std::unique_ptr<TestServer> server_;
  std::map<std::string, std::string> reads_;  // request id → path of GET and HEAD calls
};

}  // namespace praxis::test
