// Notifications end to end (issue #11): bookings through the public API queue messages
// in their own transaction; the notifier hands them to a real SMTP server on 127.0.0.1
// (tests/support/smtp_sink.py, Debian's aiosmtpd) or a local SMS gateway
// (tests/support/sms_gateway.py); the received mail is read back as a mail client and a
// calendar would (tests/support/mail_summary.py: Python's email package and Debian's
// python3-icalendar). The clock is the test's, so reminders and retries are exact.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "integration/staff_fixture.hpp"

namespace praxis::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path kSupport = fs::path(PRAXIS_SOURCE_DIR) / "tests" / "support";

// A helper script run with Debian's Python (its packages: aiosmtpd, icalendar); it prints
// "port N" once it listens. Killed when the object goes.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>("/usr/bin/python3"));
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/usr/bin/python3", argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    FILE* in = ::fdopen(out[0], "r");
    std::array<char, 128> line{};
    while (std::fgets(line.data(), line.size(), in)) {
      if (std::sscanf(line.data(), "port %d", &port_) == 1) break;
    }
    stdout_ = in;
    if (port_ == 0) throw std::runtime_error("helper did not start: " + args.front());
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  int port() const { return port_; }
  // The helper's next line of output ("" when it ended).
  std::string next_line() {
    std::array<char, 128> line{};
    if (!stdout_ || !std::fgets(line.data(), line.size(), stdout_)) return {};
    std::string out(line.data());
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (stdout_) {
      std::fclose(stdout_);
      stdout_ = nullptr;
    }
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  FILE* stdout_ = nullptr;
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The received messages of a sink directory, in arrival order.
std::vector<fs::path> received(const fs::path& dir, std::string_view ext) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

json::object summary(const fs::path& eml) {
  const std::string cmd =
      "/usr/bin/python3 " + (kSupport / "mail_summary.py").string() + " " + eml.string();
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int rc = ::pclose(p);
  if (rc != 0) throw std::runtime_error("mail_summary failed for " + eml.string());
  return json::parse(out).as_object();
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

// A raw message with its random parts blanked: the Message-ID (the outbox row's random id)
// and the MIME boundaries. They may spell any digits ("1980" turned up in one), so a scan
// for patient data must not read them.
std::string without_random_parts(std::string raw) {
  auto blank_all = [&raw](const std::string& token) {
    if (token.empty()) return;
    for (auto at = raw.find(token); at != std::string::npos; at = raw.find(token, at)) {
      raw.replace(at, token.size(), std::string(token.size(), '_'));
    }
  };
  auto value_after = [&raw](std::string_view key, std::string_view end_chars) {
    const auto at = raw.find(key);
    if (at == std::string::npos) return std::string();
    const auto from = at + key.size();
    return raw.substr(from, raw.find_first_of(end_chars, from) - from);
  };
  blank_all(value_after("Message-ID: <", ">"));
  while (raw.find("boundary=") != std::string::npos) {
    auto boundary = value_after("boundary=", ";\r\n");
    raw.replace(raw.find("boundary="), 9, "BOUNDARY=");
    if (boundary.size() > 1 && boundary.front() == '"')
      boundary = boundary.substr(1, boundary.size() - 2);
    blank_all(boundary);
  }
  return raw;
}

class Notifications : public testing::Test {
 protected:
  TempDir dir;
  fs::path mails = dir.path() / "mail";
  fs::path texts = dir.path() / "sms";
  std::unique_ptr<Child> smtp = std::make_unique<Child>(
      std::vector<std::string>{(kSupport / "smtp_sink.py").string(), "--dir", mails.string()});
  std::unique_ptr<Child> gateway = std::make_unique<Child>(
      std::vector<std::string>{(kSupport / "sms_gateway.py").string(), "--dir", texts.string()});
  int smtp_port = smtp->port();
  StaffApi api{fast_auth_options(), false, StaffApi::unlimited(), StaffApi::cheap_proof_of_work(),
               transports(smtp_port, gateway->port())};
  std::string practice = api.add_practice("notify");
  StaffApi::Online online = api.setup_online(practice);

  static StaffApi::Notifications transports(int smtp_port, int sms_port) {
    notify::MailSettings mail;
    mail.url = "smtp://127.0.0.1:" + std::to_string(smtp_port);
    mail.from_address = "termine@praxis-notify.example";
    mail.from_name = "Praxis Notify – Termine";
    mail.timeout = std::chrono::seconds(30);
    notify::SmsSettings sms;
    sms.url = "http://127.0.0.1:" + std::to_string(sms_port) + "/send";
    sms.sender = "PraxisN";
    sms.authorization = "Bearer test-secret";
    notify::NotifierOptions o;
    o.base_url = [] { return std::string("https://termine.praxis-notify.example"); };
    o.max_attempts = 3;
    o.first_retry = std::chrono::seconds(60);
    return {notify::make_smtp_mailer(mail), notify::make_http_sms_gateway(sms), std::move(o)};
  }

  void SetUp() override { set_clock("2027-01-04T05:00:00Z"); }

  void set_clock(const std::string& rfc3339) {
    const auto at = scheduling::parse_instant(rfc3339);
    ASSERT_TRUE(at);
    api.clock.advance(core::Instant(std::chrono::duration_cast<std::chrono::microseconds>(
                          at->time_since_epoch())) -
                      api.clock.now());
  }

  json::object book(const std::string& start, const std::string& email,
                    const std::string& phone = "0151 2345678", const std::string& language = "",
                    bool consent = true) {
    auto body = json::parse(StaffApi::booking_body(online.type, start, "Musterfrau", "1980-03-12",
                                                   api.solved("notify"), phone, email))
                    .as_object();
    body["reminder_consent"] = consent;
    if (!language.empty()) body["language"] = language;
    auto r = api.call("POST", "/api/v1/public/practices/notify/bookings", json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return json_of(r);
  }

  std::int64_t send_due() {
    auto n = api.notifier().run_once();
    EXPECT_TRUE(n) << (n ? "" : n.error().internal);
    return n ? *n : -1;
  }

  std::vector<store::OutboxRow> outbox(std::string_view state = "") {
    auto rows = api.notifier().list(practice, state, std::nullopt, 100);
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<store::OutboxRow>{};
  }
};

TEST_F(Notifications, ConfirmationReminderAndCancellationArriveAsTheyShould) {
  auto settings = api.notifier().put_settings(
      audit::Context::system("test"), practice,
      json::object{{"practice_email", "team@notify.example"}, {"reminder_hours", 36}});
  ASSERT_TRUE(settings);
  auto answer = book("2027-01-06T09:00:00+01:00", "anna.musterfrau@example.org");
  const std::string token = str(answer["manage_token"]);
  const std::string reference = str(answer["reference"]);

  EXPECT_EQ(send_due(), 2) << "confirmation and the practice's notice; the reminder waits";
  auto files = received(mails, ".eml");
  ASSERT_EQ(files.size(), 2u);
  json::object confirmation;
  json::object notice;
  for (const auto& f : files) {
    auto s = summary(f);
    (s["to"].as_string().find("team@") != json::string::npos ? notice : confirmation) = s;
  }
  // The confirmation: multipart/mixed of text+HTML alternatives and the calendar file.
  EXPECT_EQ(str(confirmation["to"]), "anna.musterfrau@example.org");
  EXPECT_EQ(str(confirmation["from"]), "Praxis Notify – Termine <termine@praxis-notify.example>");
  EXPECT_EQ(str(confirmation["subject"]),
            "Terminbestätigung: Sprechstunde am Mittwoch, 6. Januar 2027");
  EXPECT_EQ(str(confirmation["content_language"]), "de");
  EXPECT_EQ(str(confirmation["auto_submitted"]), "auto-generated");
  const auto structure = json::serialize(confirmation["structure"]);
  EXPECT_EQ(structure,
            R"({"type":"multipart/mixed","parts":[{"type":"multipart/alternative","parts":[)"
            R"({"type":"text/plain"},{"type":"text/html"}]},)"
            R"({"type":"text/calendar","method":"REQUEST","filename":"termin.ics"}]})");
  const std::string text = str(confirmation["text"]);
  const std::string link = "https://termine.praxis-notify.example/book/notify/manage#" + token;
  EXPECT_NE(text.find("Mittwoch, 6. Januar 2027, 09:00 Uhr"), std::string::npos) << text;
  EXPECT_NE(text.find(reference), std::string::npos);
  EXPECT_NE(text.find(link), std::string::npos);
  EXPECT_NE(text.find("Bitte Karte mitbringen."), std::string::npos);
  EXPECT_EQ(text.find("Musterfrau"), std::string::npos) << "no patient data beyond the time";
  EXPECT_EQ(text.find("1980"), std::string::npos);
  EXPECT_NE(str(confirmation["html"]).find("<a href=\"" + link + "\">"), std::string::npos);
  EXPECT_EQ(str(confirmation["calendar_method"]), "REQUEST");
  auto event = confirmation["event"].as_object();
  EXPECT_EQ(str(event["tzid"]), "Europe/Berlin");
  EXPECT_EQ(str(event["start_local"]), "2027-01-06T09:00:00");
  EXPECT_EQ(str(event["end_local"]), "2027-01-06T09:15:00");
  EXPECT_EQ(str(event["start_utc"]), "2027-01-06T08:00:00Z");
  EXPECT_EQ(str(event["status"]), "CONFIRMED");
  EXPECT_EQ(str(event["description"]), link);
  const std::string uid = str(event["uid"]);
  const auto first_sequence = event["sequence"].as_int64();
  EXPECT_EQ(confirmation["calendar_timezones"].as_array().size(), 1u);

  // The practice's notice: a reference and a link, nothing about the patient.
  const std::string notice_text = str(notice["text"]);
  EXPECT_NE(notice_text.find(reference), std::string::npos);
  EXPECT_NE(notice_text.find("https://termine.praxis-notify.example/app/#/inbox"),
            std::string::npos);
  const std::string notice_file = without_random_parts(
      read_all(str(notice["to"]) == str(summary(files[0])["to"]) ? files[0] : files[1]));
  ASSERT_EQ(notice_file.find("boundary="), std::string::npos);
  for (auto secret : {"Musterfrau", "anna", "1980", "2345678", "manage#", token.c_str()}) {
    EXPECT_EQ(notice_file.find(secret), std::string::npos) << secret;
  }
  EXPECT_FALSE(notice["structure"].as_object().contains("method"));

  // Nothing more until 36 hours (the practice's choice) before the appointment; then the
  // reminder.
  set_clock("2027-01-04T19:59:00Z");
  EXPECT_EQ(send_due(), 0);
  set_clock("2027-01-04T20:00:00Z");
  EXPECT_EQ(send_due(), 1);
  files = received(mails, ".eml");
  ASSERT_EQ(files.size(), 3u);
  auto reminder = summary(files[2]);
  EXPECT_EQ(str(reminder["subject"]),
            "Erinnerung: Sprechstunde am Mittwoch, 6. Januar 2027, 09:00 Uhr");
  EXPECT_EQ(json::serialize(reminder["structure"]),
            R"({"type":"multipart/mixed","parts":[{"type":"multipart/alternative","parts":[)"
            R"({"type":"text/plain"},{"type":"text/html"}]}]})");

  // Cancelled with the manage link: a CANCEL for the same calendar entry.
  ASSERT_EQ(api.call("DELETE", "/api/v1/public/bookings/" + token).status, 200);
  EXPECT_EQ(send_due(), 1);
  files = received(mails, ".eml");
  ASSERT_EQ(files.size(), 4u);
  auto cancellation = summary(files[3]);
  EXPECT_EQ(str(cancellation["subject"]),
            "Termin abgesagt: Sprechstunde am Mittwoch, 6. Januar 2027");
  EXPECT_EQ(str(cancellation["calendar_method"]), "CANCEL");
  EXPECT_EQ(str(cancellation["event"].as_object()["uid"]), uid);
  EXPECT_EQ(str(cancellation["event"].as_object()["status"]), "CANCELLED");
  EXPECT_GT(cancellation["event"].as_object()["sequence"].as_int64(), first_sequence);

  // Every message has its own stable Message-ID; the outbox forgot the recipients.
  std::set<std::string> ids;
  for (const auto& f : files) ids.insert(str(summary(f)["message_id"]));
  EXPECT_EQ(ids.size(), 4u);
  for (const auto& row : outbox()) {
    EXPECT_EQ(row.state, "sent") << row.kind;
    EXPECT_FALSE(row.payload) << "sent: the sealed recipient is erased";
    EXPECT_NE(ids.count("<" + row.id + "@praxis-notify.example>"), 0u) << row.kind;
  }
}

TEST_F(Notifications, TheCalendarFileKeepsLocalTimeAcrossTheSpringSwitch) {
  // Booked in winter time for the Tuesday after the switch to summer time (28 March 2027,
  // Easter Sunday; Easter Monday is a holiday).
  set_clock("2027-03-22T07:00:00Z");
  auto answer = book("2027-03-30T09:00:00+02:00", "anna@example.org", "", "en");
  ASSERT_EQ(send_due(), 1);
  auto mail = summary(received(mails, ".eml").at(0));
  EXPECT_EQ(str(mail["subject"]), "Appointment confirmed: Consultation on Tuesday, 30 March 2027");
  EXPECT_EQ(str(mail["content_language"]), "en");
  auto event = mail["event"].as_object();
  EXPECT_EQ(str(event["start_local"]), "2027-03-30T09:00:00") << "09:00 on the calendar";
  EXPECT_EQ(str(event["start_utc"]), "2027-03-30T07:00:00Z") << "CEST, UTC+2";
  EXPECT_NE(str(mail["text"]).find("Tuesday, 30 March 2027, 09:00"), std::string::npos);
}

TEST_F(Notifications, AMoveSendsANewerVersionAndReschedulesTheReminder) {
  auto answer = book("2027-01-06T09:00:00+01:00", "anna@example.org");
  const std::string token = str(answer["manage_token"]);
  ASSERT_EQ(send_due(), 1);
  auto r = api.call("POST", "/api/v1/public/bookings/" + token + "/reschedule",
                    R"({"start":"2027-01-07T10:00:00+01:00"})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(send_due(), 1);
  auto files = received(mails, ".eml");
  ASSERT_EQ(files.size(), 2u);
  auto first = summary(files[0])["event"].as_object();
  auto moved = summary(files[1]);
  EXPECT_EQ(str(moved["subject"]),
            "Termin verschoben: Sprechstunde am Donnerstag, 7. Januar 2027, 10:00 Uhr");
  auto event = moved["event"].as_object();
  EXPECT_EQ(str(moved["calendar_method"]), "REQUEST");
  EXPECT_EQ(event["uid"], first["uid"]) << "the same calendar entry, updated";
  EXPECT_GT(event["sequence"].as_int64(), first["sequence"].as_int64());
  EXPECT_EQ(str(event["start_local"]), "2027-01-07T10:00:00");

  // The old reminder will not go; the new one goes 24 hours before the new time.
  int obsolete = 0;
  int waiting = 0;
  for (const auto& row : outbox()) {
    if (row.kind != "reminder") continue;
    obsolete += row.state == "obsolete";
    waiting += row.state == "pending";
  }
  EXPECT_EQ(obsolete, 1);
  EXPECT_EQ(waiting, 1);
  set_clock("2027-01-05T08:00:00Z");
  EXPECT_EQ(send_due(), 0) << "not at the old time";
  set_clock("2027-01-06T09:00:00Z");
  EXPECT_EQ(send_due(), 1);
  auto reminder = summary(received(mails, ".eml").at(2));
  EXPECT_NE(str(reminder["subject"]).find("Donnerstag, 7. Januar 2027, 10:00 Uhr"),
            std::string::npos);
}

TEST_F(Notifications, StaffCancellingOrMovingAnOnlineBookingTellsTheBooker) {
  book("2027-01-06T09:00:00+01:00", "anna@example.org");
  book("2027-01-06T10:00:00+01:00", "ben@example.org");
  ASSERT_EQ(send_due(), 2);
  auto day = api.scheduling().appointments(
      practice, *scheduling::parse_instant("2027-01-06T00:00:00+01:00"),
      *scheduling::parse_instant("2027-01-07T00:00:00+01:00"), std::nullopt);
  ASSERT_TRUE(day);
  ASSERT_EQ(day->size(), 2u);
  audit::Context desk;
  desk.actor = {"user", "u-desk", "reception"};
  desk.purpose = "administration";
  scheduling::AppointmentChange cancel;
  cancel.status = "cancelled";
  cancel.cancel_reason = "practice";
  ASSERT_TRUE(api.scheduling().change(desk, practice, (*day)[0].id, (*day)[0].version, cancel));
  scheduling::AppointmentChange move;
  move.start = *scheduling::parse_instant("2027-01-07T11:00:00+01:00");
  ASSERT_TRUE(api.scheduling().change(desk, practice, (*day)[1].id, (*day)[1].version, move));
  ASSERT_EQ(send_due(), 2);
  std::map<std::string, json::object> by_to;
  for (const auto& f : received(mails, ".eml")) {
    auto m = summary(f);
    by_to[str(m["to"]) + " " + str(m["calendar_method"])] = m;
  }
  ASSERT_TRUE(by_to.contains("anna@example.org CANCEL"));
  ASSERT_TRUE(by_to.contains("ben@example.org REQUEST"));
  auto moved = by_to["ben@example.org REQUEST"];
  EXPECT_NE(str(moved["subject"]).find("Donnerstag, 7. Januar 2027, 11:00 Uhr"), std::string::npos);
  // Only the booking knew the manage token; staff changes go out without a link.
  EXPECT_EQ(str(by_to["anna@example.org CANCEL"]["text"]).find("manage#"), std::string::npos);
  // Anna's reminder is dropped; Ben's follows his new time.
  std::map<std::string, int> reminders;
  for (const auto& row : outbox()) {
    if (row.kind == "reminder") ++reminders[row.state];
  }
  EXPECT_EQ(reminders["obsolete"], 2);
  EXPECT_EQ(reminders["pending"], 1);
}

TEST_F(Notifications, NoReminderWithoutConsent) {
  book("2027-01-06T09:00:00+01:00", "anna@example.org", "0151 2345678", "", /*consent=*/false);
  EXPECT_EQ(send_due(), 1);
  for (const auto& row : outbox()) EXPECT_NE(row.kind, "reminder");
  set_clock("2027-01-05T09:00:00Z");
  EXPECT_EQ(send_due(), 0);
  EXPECT_EQ(received(mails, ".eml").size(), 1u);
}

TEST_F(Notifications, AnSmsGoesToBookersWithoutEMailThroughTheGateway) {
  auto answer = book("2027-01-06T09:00:00+01:00", "", "0151 2345678");
  ASSERT_EQ(send_due(), 1);
  EXPECT_TRUE(received(mails, ".eml").empty());
  auto sent = received(texts, ".json");
  ASSERT_EQ(sent.size(), 1u);
  auto request = json::parse(read_all(sent[0])).as_object();
  EXPECT_EQ(str(request["path"]), "/send");
  auto headers = request["headers"].as_object();
  EXPECT_EQ(str(headers["Authorization"]), "Bearer test-secret");
  EXPECT_EQ(str(headers["Content-Type"]), "application/json");
  auto body = json::parse(str(request["body"])).as_object();
  EXPECT_EQ(str(body["to"]), "+491512345678");
  EXPECT_EQ(str(body["sender"]), "PraxisN");
  const std::string text = str(body["text"]);
  EXPECT_NE(text.find("Mittwoch, 6. Januar 2027, 09:00 Uhr"), std::string::npos) << text;
  EXPECT_NE(text.find("/manage#" + str(answer["manage_token"])), std::string::npos);
  const auto rows = outbox("sent");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].channel, "sms");
  EXPECT_EQ(str(headers["Idempotency-Key"]), rows[0].id) << "stable per message";
}

TEST_F(Notifications, ARelayThatIsDownGetsTheMessageOnceItIsBack) {
  smtp->stop();  // nothing listens on the port any more
  book("2027-01-06T09:00:00+01:00", "anna@example.org", "", "", false);
  EXPECT_EQ(send_due(), 1);
  auto rows = outbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, "pending");
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].last_error, "connect");
  EXPECT_EQ(api.notifier().failures_total(), 1);
  EXPECT_EQ(send_due(), 0) << "not before the back-off";

  // Back on the same port after the first back-off (60 s, up to 10 % more).
  smtp = std::make_unique<Child>(std::vector<std::string>{(kSupport / "smtp_sink.py").string(),
                                                          "--dir", mails.string(), "--port",
                                                          std::to_string(smtp_port)});
  api.clock.advance(std::chrono::seconds(67));
  EXPECT_EQ(send_due(), 1);
  EXPECT_EQ(received(mails, ".eml").size(), 1u);
  EXPECT_EQ(outbox()[0].state, "sent");
  EXPECT_EQ(outbox()[0].attempts, 2);
  api.clock.advance(std::chrono::hours(2));
  EXPECT_EQ(send_due(), 0);
  EXPECT_EQ(received(mails, ".eml").size(), 1u) << "delivered once";
}

TEST_F(Notifications, TemporaryRejectionsBackOffThenDieAndStaffCanSendAgain) {
  smtp->stop();
  smtp = std::make_unique<Child>(
      std::vector<std::string>{(kSupport / "smtp_sink.py").string(), "--dir", mails.string(),
                               "--port", std::to_string(smtp_port), "--reject-first", "3"});
  book("2027-01-06T09:00:00+01:00", "anna@example.org", "", "", false);
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(send_due(), 1);
    auto row = outbox().at(0);
    EXPECT_EQ(row.last_error, "smtp_451");
    if (row.state != "pending") break;
    waits.push_back(row.next_attempt_at - std::chrono::duration_cast<std::chrono::seconds>(
                                              api.clock.now().time_since_epoch())
                                              .count());
    api.clock.advance(std::chrono::seconds(waits.back()));
  }
  ASSERT_EQ(waits.size(), 2u) << "three attempts: the third gives up";
  EXPECT_GE(waits[0], 60);
  EXPECT_LE(waits[0], 66);
  EXPECT_GE(waits[1], 120) << "doubled";
  EXPECT_LE(waits[1], 132);
  auto dead = outbox("dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(api.notifier().dead_now(), 1);

  // Staff see the dead letter (codes only) and send it again.
  const Session owner =
      api.mint_session(practice, api.add_active_user(practice, "owner@notify.example", "owner"));
  auto r = api.call("GET", "/api/v1/notifications?state=dead", "", &owner);
  ASSERT_EQ(r.status, 200) << r.body;
  auto listed = json_of(r)["notifications"].as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(str(listed[0].as_object()["last_error"]), "smtp_451");
  EXPECT_EQ(r.body.find("anna"), std::string::npos);
  r = api.call("POST", "/api/v1/notifications/" + dead[0].id + "/retry", "", &owner);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(api.call("POST", "/api/v1/notifications/" + dead[0].id + "/retry", "", &owner).status,
            404)
      << "only a dead message";
  EXPECT_EQ(send_due(), 1);
  EXPECT_EQ(received(mails, ".eml").size(), 1u);
  EXPECT_EQ(outbox().at(0).state, "sent");
}

TEST_F(Notifications, StoppingDoesNotWaitForARelayThatHangs) {
  smtp->stop();
  smtp = std::make_unique<Child>(std::vector<std::string>{(kSupport / "smtp_sink.py").string(),
                                                          "--dir", mails.string(), "--port",
                                                          std::to_string(smtp_port), "--stall"});
  book("2027-01-06T09:00:00+01:00", "anna@example.org", "", "", false);
  api.notifier().start();
  ASSERT_EQ(smtp->next_line(), "connection") << "the worker is in the middle of a send";
  const auto before = std::chrono::steady_clock::now();
  api.notifier().stop();
  // The relay timeout is 30 s: a stop that waited for it would take that long (the bound
  // leaves room for a loaded CI machine; an aborted send ends within a second).
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(15));
  auto row = outbox().at(0);
  EXPECT_EQ(row.state, "pending") << "due again for the next start";
  EXPECT_EQ(row.last_error, "aborted");
  EXPECT_TRUE(row.payload);
}

TEST_F(Notifications, AnUnknownMailboxIsADeadLetterAtOnce) {
  smtp->stop();
  smtp = std::make_unique<Child>(
      std::vector<std::string>{(kSupport / "smtp_sink.py").string(), "--dir", mails.string(),
                               "--port", std::to_string(smtp_port), "--reject-all", "550"});
  book("2027-01-06T09:00:00+01:00", "nobody@example.org", "", "", false);
  EXPECT_EQ(send_due(), 1);
  auto row = outbox().at(0);
  EXPECT_EQ(row.state, "dead");
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.last_error, "smtp_550");
  EXPECT_TRUE(row.payload) << "kept, so it can be sent again";
}

TEST_F(Notifications, TheOutboxHoldsNoRecipientInTheClear) {
  if (api.on_postgres()) GTEST_SKIP() << "inspects the SQLite file; see postgres_backend.cpp";
  book("2027-01-06T09:00:00+01:00", "very.unique.patient@example.org", "0151 7654321");
  ASSERT_FALSE(outbox("pending").empty());
  // Everything the database holds: its file and its write-ahead log.
  std::string bytes = read_all(api.db_path());
  const fs::path wal = api.db_path().string() + "-wal";
  if (fs::exists(wal)) bytes += read_all(wal);
  EXPECT_EQ(bytes.find("very.unique.patient"), std::string::npos);
  // The whole number without its leading zero: shorter digit runs may turn up in the
  // random hex ids the file holds.
  EXPECT_EQ(bytes.find("1517654321"), std::string::npos);
}

TEST_F(Notifications, OwnersEditTemplatesWithCheckedPlaceholdersAndAPreview) {
  const Session owner =
      api.mint_session(practice, api.add_active_user(practice, "owner@notify.example", "owner"));
  const Session desk =
      api.mint_session(practice, api.add_active_user(practice, "desk@notify.example", "reception"));
  EXPECT_EQ(api.call("GET", "/api/v1/notification-templates", "", &desk).status, 403);

  auto r = api.call("PUT", "/api/v1/notification-templates/confirmation/de",
                    R"({"subject":"Termin {{patient_name}}","text":"Hallo {{diagnosis}","sms":1})",
                    &owner);
  ASSERT_EQ(r.status, 400) << r.body;
  std::set<std::string> codes;
  const auto refused = json_of(r);
  for (const auto& e : refused.at("errors").as_array()) {
    codes.insert(str(e.as_object().at("field")) + ":" + str(e.as_object().at("code")));
  }
  EXPECT_EQ(codes, (std::set<std::string>{"subject:placeholder", "text:braces", "sms:type"}))
      << "every error at once; a name or a diagnosis cannot be put in";

  r = api.call("PUT", "/api/v1/notification-templates/confirmation/de",
               R"({"subject":"Ihr Termin am {{date}} um {{time}}",)"
               R"("text":"Bis bald in der {{practice}}!\n{{manage_link}}"})",
               &owner);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("etag"), "\"1\"");
  r = api.call("POST", "/api/v1/notification-templates/confirmation/de/preview", "", &owner);
  ASSERT_EQ(r.status, 200) << r.body;
  auto preview = json_of(r);
  EXPECT_EQ(str(preview["text"]).rfind("Bis bald in der Praxis notify!", 0), 0u);
  EXPECT_NE(str(preview["html"]).find("<html lang=\"de\">"), std::string::npos);
  r = api.call("POST", "/api/v1/notification-templates/reminder/en/preview",
               R"({"subject":"See you {{date}}","text":"<b>{{practice}}</b>"})", &owner);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(str(json_of(r)["html"]).find("&lt;b&gt;Praxis notify&lt;/b&gt;"), std::string::npos)
      << "template text is escaped in HTML";

  // A stale If-Match is refused; the booking uses the practice's text.
  r = api.call("PUT", "/api/v1/notification-templates/confirmation/de",
               R"({"subject":"x","text":"y"})", &owner, "If-Match: \"7\"\r\n");
  EXPECT_EQ(r.status, 412) << r.body;
  book("2027-01-06T09:00:00+01:00", "anna@example.org", "", "", false);
  ASSERT_EQ(send_due(), 2) << "the confirmation, and the notice to the owner (no address set)";
  std::set<std::string> subjects;
  for (const auto& f : received(mails, ".eml")) {
    auto mail = summary(f);
    subjects.insert(str(mail["to"]) + " " + str(mail["subject"]));
  }
  EXPECT_EQ(subjects.size(), 2u);
  EXPECT_TRUE(
      subjects.contains("anna@example.org Ihr Termin am Mittwoch, 6. Januar 2027 um 09:00 Uhr"));
  EXPECT_TRUE(subjects.contains("owner@notify.example Neue Online-Buchung " +
                                str(json_of(api.call("GET", "/api/v1/online-bookings", "", &owner))
                                        .at("online_bookings")
                                        .as_array()
                                        .at(0)
                                        .as_object()
                                        .at("id"))));

  // Back to the built-in text.
  ASSERT_EQ(api.call("DELETE", "/api/v1/notification-templates/confirmation/de", "", &owner).status,
            204);
  r = api.call("GET", "/api/v1/notification-templates", "", &owner);
  const auto all = json_of(r);
  ASSERT_EQ(all.at("templates").as_array().size(), 10u);
  for (const auto& t : all.at("templates").as_array()) {
    EXPECT_FALSE(t.as_object().at("custom").as_bool());
  }
}

// A relay that takes 100 s per message (on the test's clock) and records what it got.
class SlowMailer final : public notify::Mailer {
 public:
  notify::SendResult send(const notify::Mail& mail, const std::atomic<bool>*) override {
    if (clock) clock->advance(std::chrono::seconds(100));
    ids.push_back(mail.message_id);
    return {};
  }
  const notify::MailSettings& settings() const override { return settings_; }
  core::ManualClock* clock = nullptr;
  std::vector<std::string> ids;

 private:
  notify::MailSettings settings_ = [] {
    notify::MailSettings m;
    m.url = "smtp://127.0.0.1:25";
    m.from_address = "t@slow.example";
    return m;
  }();
};

TEST(NotificationLeases, AMessageWhoseLeaseRanOutInTheBatchIsLeftForTheNextClaim) {
  auto* slow = new SlowMailer;
  notify::NotifierOptions options;
  options.lease = std::chrono::seconds(120);
  StaffApi api{fast_auth_options(),
               false,
               StaffApi::unlimited(),
               StaffApi::cheap_proof_of_work(),
               {std::unique_ptr<notify::Mailer>(slow), nullptr, std::move(options)}};
  slow->clock = &api.clock;
  const std::string practice = api.add_practice("slow");
  const auto online = api.setup_online(practice);
  const auto at = scheduling::parse_instant("2027-01-04T05:00:00Z");
  api.clock.advance(
      core::Instant(std::chrono::duration_cast<std::chrono::microseconds>(at->time_since_epoch())) -
      api.clock.now());
  for (const auto* start :
       {"2027-01-06T09:00:00+01:00", "2027-01-06T09:15:00+01:00", "2027-01-06T09:30:00+01:00"}) {
    auto r = api.call("POST", "/api/v1/public/practices/slow/bookings",
                      StaffApi::booking_body(online.type, start, "Langsam", "1980-03-12",
                                             api.solved("slow"), "", "a@example.org"));
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // One batch claims all three confirmations (the reminders wait): sending the first
  // two takes 200 s, past the 120 s lease, so the third is not sent by this worker.
  auto handled = api.notifier().run_once();
  ASSERT_TRUE(handled);
  EXPECT_EQ(*handled, 3);
  EXPECT_EQ(slow->ids.size(), 2u);
  // It is free again (its lease ran out) and the next claim sends it, once.
  handled = api.notifier().run_once();
  ASSERT_TRUE(handled);
  EXPECT_EQ(*handled, 1);
  ASSERT_EQ(slow->ids.size(), 3u);
  EXPECT_EQ(std::set<std::string>(slow->ids.begin(), slow->ids.end()).size(), 3u);
  auto rows = api.notifier().list(practice, "sent", std::nullopt, 10);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 3u);
}

}  // namespace
}  // namespace praxis::test
