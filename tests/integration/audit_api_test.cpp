// The audit trail over HTTP (issue #8): every route that shows or changes patient data
// leaves exactly the expected entries (table-driven over the served route table, so a
// new patient route without an expectation fails), the access report names who did
// what and why, checkpoints and proofs verify with the practice's public key, and a
// read whose entry cannot be written shows nothing (fail closed).

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "audit/checkpoint.hpp"
#include "audit/merkle.hpp"
#include "audit/trail.hpp"
#include "audit/verify.hpp"
#include "crypto/encoding.hpp"
#include "integration/staff_fixture.hpp"
#include "store/sqlite/database.hpp"
#include "support/temp_dir.hpp"

namespace praxis::test {
namespace {

namespace json = boost::json;

class AuditApi : public testing::Test {
 public:
  StaffApi api;
  std::string practice = api.add_practice("eins");
  std::string other = api.add_practice("zwei");
  std::string desk_id = api.add_active_user(practice, "r@x.example", "reception", "Rita Empfang");
  Session desk = api.mint_session(practice, desk_id);
  std::string doctor_id = api.add_active_user(practice, "d@x.example", "physician", "Dr. Berg");
  Session doctor = api.mint_session(practice, doctor_id);
  Session owner = api.mint_session(practice, api.add_active_user(practice, "o@x.example", "owner"));
  Session auditor =
      api.mint_session(practice, api.add_active_user(practice, "a@x.example", "auditor"));

  std::string create(const std::string& family, const std::string& born = "1980-03-12") {
    auto r = api.call("POST", "/api/v1/patients",
                      R"({"family_name":")" + family + R"(","given_names":"Anna","birth_date":")" +
                          born + R"(","confirm_new":true})",
                      &desk);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json_of(r)["id"].as_string());
  }

  // A patient the owner has marked restricted.
  std::string restricted(const std::string& family) {
    const auto id = create(family);
    auto r = api.call("PATCH", "/api/v1/patients/" + id, R"({"restricted":true})", &owner,
                      "If-Match: \"1\"\r\n");
    EXPECT_EQ(r.status, 200) << r.body;
    return id;
  }

  HttpResponse open_glass(const std::string& patient,
                          const std::string& reason = "Patientin bewusstlos, Allergien prüfen") {
    return api.call("POST", "/api/v1/audit/break-glass",
                    R"({"patient_id":")" + patient + R"(","reason":")" + reason + "\"}", &desk);
  }

  std::int64_t size() {
    auto tx = api.store().read();
    auto head = (*tx)->audit().head(practice);
    return head && *head ? (*head)->size : 0;
  }

  // (action, resource id) of the entries from `from` on; for a list, the ids it shows.
  std::vector<std::pair<std::string, std::string>> since(std::int64_t from) {
    auto tx = api.store().read();
    auto rows = (*tx)->audit().entries(practice, from, 1000);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& e : *rows) {
      out.emplace_back(e.action, e.subjects.empty() ? e.resource_id : e.subjects);
    }
    return out;
  }
};

using Entries = std::vector<std::pair<std::string, std::string>>;

TEST_F(AuditApi, EveryPatientRouteLeavesExactlyTheExpectedEntries) {
  // One scenario per route that touches patient data: it performs the request and
  // returns the entries it must leave. Keyed by "METHOD pattern".
  using Scenario = std::function<Entries(AuditApi&)>;
  const std::map<std::string, Scenario> scenarios{
      {"GET /api/v1/patients",
       [](AuditApi& t) {
         const auto a = t.create("Suchfall");
         const auto b = t.create("Suchfall", "1990-01-01");
         const auto from = t.size();
         auto r = t.api.call("GET", "/api/v1/patients?q=Suchfall", {}, &t.desk);
         EXPECT_EQ(r.status, 200);
         auto entries = t.since(from);
         const Entries ab{{"patient.list", a + " " + b}};
         const Entries ba{{"patient.list", b + " " + a}};
         EXPECT_TRUE(entries == ab || entries == ba) << "one entry naming every patient shown";
         return Entries{};
       }},
      {"POST /api/v1/patients",
       [](AuditApi& t) {
         const auto id = t.create("Neu");
         auto r = t.api.call("POST", "/api/v1/patients",
                             R"({"family_name":"Neu","given_names":"Anna",)"
                             R"("birth_date":"1980-03-12"})",
                             &t.desk);
         EXPECT_EQ(r.status, 409) << "a possible duplicate is shown, which is a read";
         return Entries{{"patient.create", id}, {"patient.list", id}};
       }},
      {"GET /api/v1/patients/{id}",
       [](AuditApi& t) {
         const auto id = t.create("Lesen");
         EXPECT_EQ(t.api.call("GET", "/api/v1/patients/" + id, {}, &t.desk).status, 200);
         return Entries{{"patient.create", id}, {"patient.read", id}};
       }},
      {"PATCH /api/v1/patients/{id}",
       [](AuditApi& t) {
         const auto id = t.create("Aendern");
         EXPECT_EQ(t.api
                       .call("PATCH", "/api/v1/patients/" + id, R"({"title":"Dr."})", &t.desk,
                             "If-Match: \"1\"\r\n")
                       .status,
                   200);
         return Entries{{"patient.create", id}, {"patient.update", id}};
       }},
      {"DELETE /api/v1/patients/{id}",
       [](AuditApi& t) {
         const auto id = t.create("Loeschen");
         EXPECT_EQ(t.api.call("DELETE", "/api/v1/patients/" + id, {}, &t.owner).status, 204);
         return Entries{{"patient.create", id}, {"patient.delete", id}};
       }},
      {"POST /api/v1/patients/{id}/restore",
       [](AuditApi& t) {
         const auto id = t.create("Zurueck");
         EXPECT_EQ(t.api.call("DELETE", "/api/v1/patients/" + id, {}, &t.owner).status, 204);
         EXPECT_EQ(t.api.call("POST", "/api/v1/patients/" + id + "/restore", {}, &t.owner).status,
                   200);
         return Entries{{"patient.create", id}, {"patient.delete", id}, {"patient.restore", id}};
       }},
      {"POST /api/v1/patients/{id}/merge",
       [](AuditApi& t) {
         const auto keep = t.create("Doppelt");
         const auto gone = t.create("Doppelt", "1980-03-13");
         EXPECT_EQ(t.api
                       .call("POST", "/api/v1/patients/" + keep + "/merge",
                             R"({"other":")" + gone + "\"}", &t.owner)
                       .status,
                   200);
         return Entries{{"patient.create", keep},
                        {"patient.create", gone},
                        {"patient.merge", keep},
                        {"patient.merge", gone}};
       }},
      {"GET /api/v1/patients/{id}/access-log",
       [](AuditApi& t) {
         const auto id = t.create("Bericht");
         EXPECT_EQ(
             t.api.call("GET", "/api/v1/patients/" + id + "/access-log", {}, &t.auditor).status,
             200);
         return Entries{{"patient.create", id}, {"patient.access_log", id}};
       }},
      {"GET /api/v1/audit",
       [](AuditApi& t) {
         EXPECT_EQ(t.api.call("GET", "/api/v1/audit", {}, &t.auditor).status, 200);
         return Entries{{"audit.search", ""}};
       }},
      {"POST /api/v1/audit/break-glass",
       [](AuditApi& t) {
         const auto id = t.restricted("Glas");
         EXPECT_EQ(t.open_glass(id).status, 201);
         return Entries{
             {"patient.create", id}, {"patient.restrict", id}, {"patient.break_glass", id}};
       }},
      {"GET /api/v1/audit/break-glass",
       [](AuditApi& t) {
         EXPECT_EQ(t.api.call("GET", "/api/v1/audit/break-glass", {}, &t.owner).status, 200);
         return Entries{};  // reasons are no patient data; the grants are entries already
       }},
      {"POST /api/v1/audit/break-glass/{id}/review",
       [](AuditApi& t) {
         const auto id = t.restricted("Pruefen");
         const std::string grant(json_of(t.open_glass(id))["id"].as_string());
         EXPECT_EQ(
             t.api.call("POST", "/api/v1/audit/break-glass/" + grant + "/review", {}, &t.owner)
                 .status,
             204);
         return Entries{{"patient.create", id},
                        {"patient.restrict", id},
                        {"patient.break_glass", id},
                        {"break_glass.review", grant}};
       }},
  };

  int covered = 0;
  for (const auto& route : api.router().routes()) {
    const std::string key = std::string(http::method_name(route.method)) + " " + route.pattern;
    const bool patient_data = route.pattern.starts_with("/api/v1/patients") ||
                              route.pattern == "/api/v1/audit" ||
                              route.pattern.starts_with("/api/v1/audit/break-glass");
    auto it = scenarios.find(key);
    if (!patient_data) continue;
    if (it == scenarios.end()) {
      ADD_FAILURE() << key << " touches patient data but has no audit expectation here";
      continue;
    }
    SCOPED_TRACE(key);
    const auto from = size();
    const Entries expected = it->second(*this);
    if (!expected.empty()) {
      EXPECT_EQ(since(from), expected);
    }
    ++covered;
  }
  EXPECT_EQ(covered, static_cast<int>(scenarios.size())) << "every scenario names a served route";
}

TEST_F(AuditApi, TheAccessReportOfAPatientNamesTheListsThatShowedThemAndNoOneElse) {
  const auto a = create("Listenfall");
  const auto b = create("Listenfall", "1990-01-01");
  ASSERT_EQ(api.call("GET", "/api/v1/patients?q=Listenfall", {}, &desk).status, 200);

  auto r = api.call("GET", "/api/v1/patients/" + a + "/access-log", {}, &doctor);
  ASSERT_EQ(r.status, 200) << r.body;
  auto entries = json_of(r)["entries"].as_array();
  ASSERT_EQ(entries.size(), 2u);
  auto list = entries[0].as_object();  // newest first
  EXPECT_EQ(list["action"].as_string(), "patient.list");
  EXPECT_EQ(list["resource_id"].as_string(), a) << "shown as this patient's entry";
  EXPECT_TRUE(list["subjects"].as_array().empty()) << "the others listed are not named";
  EXPECT_EQ(r.body.find(b), std::string::npos);
  EXPECT_EQ(entries[1].as_object()["action"].as_string(), "patient.create");

  // The auditor's search shows the list as it is stored: everyone it showed.
  r = api.call("GET", "/api/v1/audit?action=patient.list", {}, &auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  entries = json_of(r)["entries"].as_array();
  ASSERT_EQ(entries.size(), 1u);
  auto stored = entries[0].as_object();
  EXPECT_EQ(stored["resource_id"].as_string(), "");
  auto subjects = stored["subjects"].as_array();
  ASSERT_EQ(subjects.size(), 2u);
  std::vector<std::string> names{std::string(subjects[0].as_string()),
                                 std::string(subjects[1].as_string())};
  std::sort(names.begin(), names.end());
  std::vector<std::string> both{a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(names, both);
  // And the auditor's search by patient finds it as well.
  r = api.call("GET", "/api/v1/audit?patient=" + b + "&action=patient.list", {}, &auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["entries"].as_array().size(), 1u);
}

TEST_F(AuditApi, TheAccessReportSaysWhoWhenWhatAndWhy) {
  const auto id = create("Zugriff");
  ASSERT_EQ(api.call("GET", "/api/v1/patients/" + id, {}, &doctor).status, 200);
  ASSERT_EQ(
      api.call("GET", "/api/v1/patients/" + id, {}, &desk, "X-Praxis-Purpose: billing\r\n").status,
      200);
  EXPECT_EQ(
      api.call("GET", "/api/v1/patients/" + id, {}, &desk, "X-Praxis-Purpose: neugier\r\n").status,
      400)
      << "an unknown purpose";

  auto r = api.call("GET", "/api/v1/patients/" + id + "/access-log", {}, &doctor);
  ASSERT_EQ(r.status, 200) << r.body;
  auto entries = json_of(r)["entries"].as_array();
  ASSERT_EQ(entries.size(), 3u);
  auto first = entries[0].as_object();  // newest first
  EXPECT_EQ(first["action"].as_string(), "patient.read");
  EXPECT_EQ(first["purpose"].as_string(), "billing");
  EXPECT_EQ(first["actor"].as_object()["name"].as_string(), "Rita Empfang");
  EXPECT_EQ(first["actor"].as_object()["role"].as_string(), "reception");
  auto second = entries[1].as_object();
  EXPECT_EQ(second["purpose"].as_string(), "treatment") << "a physician's default";
  EXPECT_EQ(second["actor"].as_object()["name"].as_string(), "Dr. Berg");
  EXPECT_EQ(entries[2].as_object()["action"].as_string(), "patient.create");

  auto csv = api.call("GET", "/api/v1/patients/" + id + "/access-log?format=csv", {}, &auditor);
  ASSERT_EQ(csv.status, 200);
  EXPECT_TRUE(csv.header("content-type").starts_with("text/csv"));
  EXPECT_NE(csv.body.find("\"Dr. Berg\",\"physician\",\"patient.read\",\"treatment\""),
            std::string::npos)
      << csv.body;
  EXPECT_EQ(csv.body.find("Zugriff"), std::string::npos) << "no patient data in the report";

  EXPECT_EQ(api.call("GET", "/api/v1/patients/" + id + "/access-log", {}, &desk).status, 403);
  Session stranger = api.mint_session(other, api.add_active_user(other, "s@x.example", "owner"));
  EXPECT_EQ(api.call("GET", "/api/v1/patients/" + id + "/access-log", {}, &stranger).status, 404);

  // The auditor's search: by user, by patient, paged.
  r = api.call("GET", "/api/v1/audit?user=" + doctor_id, {}, &auditor);
  ASSERT_EQ(r.status, 200);
  const auto by_user = json_of(r);
  for (const auto& e : by_user.at("entries").as_array()) {
    EXPECT_EQ(e.as_object().at("actor").as_object().at("id").as_string(), doctor_id);
  }
  r = api.call("GET", "/api/v1/audit?patient=" + id + "&limit=2", {}, &auditor);
  ASSERT_EQ(r.status, 200);
  auto page = json_of(r);
  ASSERT_EQ(page["entries"].as_array().size(), 2u);
  ASSERT_TRUE(page["next_cursor"].is_string());
  r = api.call("GET",
               "/api/v1/audit?patient=" + id +
                   "&limit=2&cursor=" + std::string(page["next_cursor"].as_string()),
               {}, &auditor);
  ASSERT_EQ(r.status, 200);
  EXPECT_GE(json_of(r)["entries"].as_array().size(), 1u);
  EXPECT_EQ(api.call("GET", "/api/v1/audit?from=gestern", {}, &auditor).status, 400);
  EXPECT_EQ(api.call("GET", "/api/v1/audit", {}, &doctor).status, 403);
}

TEST_F(AuditApi, ReadsStillInTheJournalAreInTheAccessReportAndTheProofs) {
  // As the server records reads: through the audit journal. With a long delay nothing is
  // moved by itself; whoever reads the trail waits for the move.
  TempDir dir;
  ASSERT_TRUE(api.trail().open_journal(api.store(), dir.path() / "audit.journal",
                                       {.delay = std::chrono::hours(1)}));
  const auto id = create("Journal");
  const auto before = size();
  ASSERT_EQ(api.call("GET", "/api/v1/patients/" + id, {}, &doctor).status, 200);
  ASSERT_EQ(api.call("GET", "/api/v1/patients?q=Journal", {}, &desk).status, 200);
  EXPECT_EQ(size(), before) << "the reads' entries wait in the journal";

  auto r = api.call("GET", "/api/v1/patients/" + id + "/access-log", {}, &doctor);
  ASSERT_EQ(r.status, 200) << r.body;
  auto entries = json_of(r)["entries"].as_array();
  ASSERT_EQ(entries.size(), 3u) << "create, read and the list that showed the patient";
  EXPECT_EQ(entries[0].as_object()["action"].as_string(), "patient.list");
  EXPECT_EQ(entries[1].as_object()["action"].as_string(), "patient.read");

  r = api.call("GET", "/api/v1/audit/checkpoint", {}, &auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(since(before).size(), 3u) << "read, list and the access report itself";
  ASSERT_TRUE(api.trail().close_journal());
  auto verified = audit::verify_practice(api.store(), api.trail(), practice);
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->ok) << verified->problem;
}

TEST_F(AuditApi, SignInsEnrolmentAndAdministrationAreRecorded) {
  const auto from = size();
  Account anna = api.enrol(practice, "anna@x.example", "owner");
  ASSERT_FALSE(anna.user_id.empty());
  auto wrong = anna;
  wrong.password = "Falsches Passwort am Morgen";
  EXPECT_FALSE(api.login(wrong)) << "a failed sign-in of an existing account";
  auto s = api.login(anna);
  ASSERT_TRUE(s);
  auto r = api.call("POST", "/api/v1/api-tokens",
                    R"({"name":"Kalender","permissions":["practice.read"]})", &*s);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string token_id(json_of(r)["id"].as_string());
  ASSERT_EQ(api.call("DELETE", "/api/v1/api-tokens/" + token_id, {}, &*s).status, 204);
  r = api.call("POST", "/api/v1/users", R"({"email":"neu@x.example","role":"assistant"})", &*s);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string new_user(json_of(r)["user"].as_object().at("id").as_string());
  ASSERT_EQ(api.call("PATCH", "/api/v1/users/" + doctor_id, R"({"role":"assistant"})", &*s).status,
            200);
  ASSERT_EQ(api.call("PATCH", "/api/v1/practice", R"({"city":"Potsdam"})", &*s).status, 200);
  ASSERT_EQ(api.call("POST", "/api/v1/auth/logout", {}, &*s).status, 204);

  const Entries expected{{"user.invite", anna.user_id},  {"auth.enrol", anna.user_id},
                         {"auth.login", anna.user_id},   {"auth.login", anna.user_id},
                         {"api_token.create", token_id}, {"api_token.revoke", token_id},
                         {"user.invite", new_user},      {"user.role_change", doctor_id},
                         {"practice.update", practice},  {"auth.logout", s->id}};
  EXPECT_EQ(since(from), expected);
  auto tx = api.store().read();
  auto rows = (*tx)->audit().entries(practice, from, 100);
  ASSERT_TRUE(rows && rows->size() == expected.size());
  EXPECT_EQ((*rows)[2].outcome, "failure") << "the wrong password";
  EXPECT_EQ((*rows)[3].outcome, "success");
  EXPECT_EQ((*rows)[3].actor_id, anna.user_id);
  EXPECT_EQ((*rows)[4].actor_id, anna.user_id) << "who created the token";
  EXPECT_EQ((*rows)[0].actor_kind, "system") << "the fixture invited her";
}

audit::Hash hash_of(const json::value& v) {
  auto bytes = crypto::base64_decode(v.as_string());
  audit::Hash h{};
  EXPECT_TRUE(bytes && bytes->size() == 32);
  if (bytes && bytes->size() == 32) std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::vector<audit::Hash> proof_of(const json::value& v) {
  std::vector<audit::Hash> out;
  for (const auto& h : v.as_array()) out.push_back(hash_of(h));
  return out;
}

TEST_F(AuditApi, CheckpointsAndProofsVerifyWithThePracticesPublicKey) {
  for (int i = 0; i < 5; ++i) create("Beweis" + std::to_string(i));
  auto r = api.call("GET", "/api/v1/audit/checkpoint", {}, &auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  auto first = json_of(r);
  auto key_bytes = crypto::base64_decode(first["public_key"].as_string());
  ASSERT_TRUE(key_bytes && key_bytes->size() == 32);
  crypto::PublicKey key{};
  std::copy(key_bytes->begin(), key_bytes->end(), key.begin());
  auto opened =
      audit::open_checkpoint(first["note"].as_string(), first["key_name"].as_string(), key);
  ASSERT_TRUE(opened);
  const std::uint64_t old_size = opened->size;
  const audit::Hash old_root = opened->root;
  EXPECT_EQ(old_size, 6u) << "practice.create and five patients";

  for (int i = 5; i < 12; ++i) create("Beweis" + std::to_string(i));
  r = api.call("GET", "/api/v1/audit/checkpoint", {}, &auditor);
  auto second =
      audit::open_checkpoint(json_of(r)["note"].as_string(), first["key_name"].as_string(), key);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->size, 13u);

  r = api.call("GET",
               "/api/v1/audit/proof/consistency?from=" + std::to_string(old_size) +
                   "&to=" + std::to_string(second->size),
               {}, &auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(audit::verify_consistency(old_size, second->size, old_root, second->root,
                                        proof_of(json_of(r)["proof"])));

  for (std::uint64_t i = 0; i < second->size; ++i) {
    r = api.call("GET", "/api/v1/audit/proof/inclusion?index=" + std::to_string(i), {}, &auditor);
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = json_of(r);
    EXPECT_EQ(body["size"].as_int64(), 13) << "against the latest checkpoint by default";
    EXPECT_TRUE(audit::verify_inclusion(i, second->size, hash_of(body["leaf_hash"]),
                                        proof_of(body["proof"]), second->root))
        << i;
  }
  EXPECT_EQ(api.call("GET", "/api/v1/audit/proof/inclusion?index=13", {}, &auditor).status, 400);
  EXPECT_EQ(api.call("GET", "/api/v1/audit/proof/inclusion", {}, &auditor).status, 400);
  EXPECT_EQ(api.call("GET", "/api/v1/audit/proof/consistency?from=3&to=2", {}, &auditor).status,
            400);
  EXPECT_EQ(api.call("GET", "/api/v1/audit/checkpoint", {}, &desk).status, 403);
}

TEST_F(AuditApi, AReadWhoseEntryCannotBeWrittenShowsNothing) {
  if (api.on_postgres()) GTEST_SKIP() << "inspects the SQLite file; see postgres_backend.cpp";
  const auto id = create("Geheimnisvoll");
  {
    auto db = store::sqlite::Database::open(api.db_path(), {});
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
                 "BEGIN SELECT RAISE(ABORT, 'audit store down'); END;"));
  }
  auto r = api.call("GET", "/api/v1/patients/" + id, {}, &desk);
  EXPECT_GE(r.status, 500);
  EXPECT_EQ(r.body.find("Geheimnisvoll"), std::string::npos) << "no data without an entry";
  r = api.call("GET", "/api/v1/patients?q=Geheimnisvoll", {}, &desk);
  EXPECT_GE(r.status, 500);
  EXPECT_EQ(r.body.find("Geheimnisvoll"), std::string::npos);
  r = api.call("PATCH", "/api/v1/patients/" + id, R"({"title":"Prof."})", &desk,
               "If-Match: \"1\"\r\n");
  EXPECT_GE(r.status, 500) << "no change without an entry";
  {
    auto db = store::sqlite::Database::open(api.db_path(), {});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("DROP TRIGGER audit_down;"));
  }
  r = api.call("GET", "/api/v1/patients/" + id, {}, &desk);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("etag"), "\"1\"") << "the refused change did not happen";
  EXPECT_FALSE(json_of(r).contains("title") && json_of(r)["title"].as_string() == "Prof.");
}

TEST_F(AuditApi, RestrictedRecordsOpenOnlyByBreakingTheGlassWhichOwnersReview) {
  const auto id = restricted("Verschlossen");
  const std::string path = "/api/v1/patients/" + id;
  EXPECT_EQ(api.call("PATCH", path, R"({"restricted":false})", &desk, "If-Match: \"2\"\r\n").status,
            403)
      << "only owners lift a restriction";
  auto r = api.call("GET", path, {}, &desk);
  ASSERT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("break_glass_required"), std::string::npos);
  EXPECT_EQ(r.body.find("Verschlossen"), std::string::npos);
  EXPECT_EQ(api.call("GET", path, {}, &doctor).status, 403) << "physicians too";
  EXPECT_EQ(api.call("GET", path, {}, &owner).status, 200) << "owners read restricted records";

  r = api.call("GET", "/api/v1/patients?q=Verschlossen", {}, &desk);
  ASSERT_EQ(r.status, 200);
  const auto found = json_of(r);
  ASSERT_EQ(found.at("patients").as_array().size(), 1u);
  const auto& masked = found.at("patients").as_array()[0].as_object();
  EXPECT_TRUE(masked.at("masked").as_bool());
  EXPECT_FALSE(masked.contains("family_name")) << "listed without its data";

  EXPECT_EQ(open_glass(id, "kurz").status, 400) << "a reason of at least 10 characters";
  EXPECT_EQ(open_glass(create("Offen")).status, 409) << "not restricted: nothing to break";
  r = open_glass(id);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string grant(json_of(r)["id"].as_string());
  r = api.call("GET", path, {}, &desk);
  ASSERT_EQ(r.status, 200) << "open for 30 minutes";
  EXPECT_EQ(json_of(r)["family_name"].as_string(), "Verschlossen");
  EXPECT_EQ(api.call("GET", path, {}, &doctor).status, 403) << "only for the one who broke it";

  r = api.call("GET", path + "/access-log", {}, &auditor);
  ASSERT_EQ(r.status, 200);
  const auto log = json_of(r);
  const auto& newest = log.at("entries").as_array()[0].as_object();
  EXPECT_EQ(newest.at("action").as_string(), "patient.read");
  EXPECT_TRUE(newest.at("break_glass").as_bool()) << "flagged";
  r = api.call("GET", "/api/v1/audit?break_glass=true", {}, &auditor);
  EXPECT_EQ(json_of(r)["entries"].as_array().size(), 2u) << "the grant and the read";

  api.clock.advance(std::chrono::minutes(31));
  desk = api.mint_session(practice, desk_id);  // the old sessions have timed out by now
  owner = api.mint_session(practice, api.add_active_user(practice, "o2@x.example", "owner"));
  EXPECT_EQ(api.call("GET", path, {}, &desk).status, 403) << "the access has ended";

  r = api.call("GET", "/api/v1/audit/break-glass?unreviewed=true", {}, &owner);
  ASSERT_EQ(r.status, 200);
  const auto open = json_of(r);
  ASSERT_EQ(open.at("break_glass").as_array().size(), 1u);
  const auto& g = open.at("break_glass").as_array()[0].as_object();
  EXPECT_EQ(g.at("reason").as_string(), "Patientin bewusstlos, Allergien prüfen");
  EXPECT_EQ(g.at("user").as_object().at("name").as_string(), "Rita Empfang");
  EXPECT_EQ(api.call("GET", "/api/v1/audit/break-glass", {}, &desk).status, 403);
  EXPECT_EQ(api.call("POST", "/api/v1/audit/break-glass/" + grant + "/review", {}, &owner).status,
            204);
  EXPECT_EQ(api.call("POST", "/api/v1/audit/break-glass/" + grant + "/review", {}, &owner).status,
            404)
      << "once";
  r = api.call("GET", "/api/v1/audit/break-glass?unreviewed=true", {}, &owner);
  EXPECT_TRUE(json_of(r)["break_glass"].as_array().empty());

  // The reason is sealed in the database (the SQLite file; on PostgreSQL the columns
  // are the same ciphertext).
  if (!api.on_postgres()) {
    std::ifstream db(api.db_path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("bewusstlos"), std::string::npos);
  }
}

}  // namespace
}  // namespace praxis::test
