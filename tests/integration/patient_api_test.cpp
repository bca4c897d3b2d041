// The patient API over HTTP (issue #6): ETag and If-Match, duplicates, validation, and
// the proof that no patient value reaches the database file, its WAL or the log.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "integration/staff_fixture.hpp"

namespace praxis::test {
namespace {

class PatientApi : public testing::Test {
 protected:
  StaffApi api;
  std::string practice = api.add_practice("eins");
  std::string other = api.add_practice("zwei");
  Session owner = api.mint_session(practice, api.add_active_user(practice, "o@x.example", "owner"));
  Session desk =
      api.mint_session(practice, api.add_active_user(practice, "r@x.example", "reception"));
  Session auditor =
      api.mint_session(practice, api.add_active_user(practice, "a@x.example", "auditor"));
  Session stranger = api.mint_session(other, api.add_active_user(other, "s@x.example", "owner"));
};

const char* kAnna = R"({"family_name":"Müller","given_names":"Anna","birth_date":"1980-03-12",
  "phones":[{"kind":"mobile","number":"0151 12345678"}],"email":"anna@example.org"})";

TEST_F(PatientApi, CreateReadAndUpdateWithIfMatch) {
  auto r = api.call("POST", "/api/v1/patients", kAnna, &desk);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("etag"), "\"1\"");
  auto body = json_of(r);
  const std::string id(body["id"].as_string());
  EXPECT_EQ(r.header("location"), "/api/v1/patients/" + id);
  EXPECT_EQ(body["phones"].as_array()[0].as_object()["number"].as_string(), "+4915112345678");
  EXPECT_EQ(body["status"].as_string(), "active");

  const std::string path = "/api/v1/patients/" + id;
  EXPECT_EQ(api.call("GET", path, {}, &desk).header("etag"), "\"1\"");
  r = api.call("PATCH", path, R"({"given_names":"Anna Lena"})", &desk);
  EXPECT_EQ(r.status, 428) << "If-Match is required";
  r = api.call("PATCH", path, R"({"given_names":"Anna Lena"})", &desk, "If-Match: \"1\"\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("etag"), "\"2\"");
  r = api.call("PATCH", path, R"({"given_names":"Anna"})", &desk, "If-Match: \"1\"\r\n");
  EXPECT_EQ(r.status, 412) << "stale: the other edit is not overwritten silently";
  r = api.call("PATCH", path, R"({"birth_date":"32.13.1980","sex":"q"})", &desk,
               "If-Match: W/\"2\"\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r)["errors"].as_array().size(), 2u) << "every field error at once";

  EXPECT_EQ(api.call("GET", path, {}, &stranger).status, 404) << "another practice";
  EXPECT_EQ(api.call("PATCH", path, "{}", &stranger, "If-Match: \"2\"\r\n").status, 404);
  EXPECT_EQ(api.call("GET", "/api/v1/patients?q=M%C3%BCller", {}, &auditor).status, 403)
      << "auditors see no patient data";
  EXPECT_EQ(api.call("DELETE", path, {}, &desk).status, 403) << "reception does not delete";
  EXPECT_EQ(api.call("DELETE", path, {}, &owner).status, 204);
  EXPECT_EQ(api.call("POST", path + "/restore", {}, &owner).status, 200);
}

// The server on SQLite records reads through the audit journal: a read then waits for no
// store commit, so the patient routes run on the CPU-sized pool, not the write pool; the
// routes that read the trail itself (they flush the journal) stay on the write pool.
TEST(PatientApiPools, RecordedReadsRunOnTheReadPoolWhenTheJournalKeepsTheirEntries) {
  if (test::postgres_requested()) GTEST_SKIP() << "the server journals reads on SQLite only";
  auto commits = [](const StaffApi& api, const std::string& path) {
    auto match = api.router().match(http::Method::get, path);
    EXPECT_EQ(match.status, http::MatchStatus::found) << path;
    return match.status == http::MatchStatus::found && match.route->options.commits;
  };
  StaffApi plain;
  EXPECT_TRUE(commits(plain, "/api/v1/patients"));
  EXPECT_TRUE(commits(plain, "/api/v1/patients/p-1"));

  StaffApi api(fast_auth_options(), false, StaffApi::unlimited(), StaffApi::cheap_proof_of_work(),
               {},
               /*journal_reads=*/true);
  EXPECT_FALSE(commits(api, "/api/v1/patients"));
  EXPECT_FALSE(commits(api, "/api/v1/patients/p-1"));
  EXPECT_TRUE(commits(api, "/api/v1/audit")) << "reading the trail waits for the journal";

  // A read through it answers and its entry reaches the trail.
  const auto practice = api.add_practice("eins");
  const auto desk =
      api.mint_session(practice, api.add_active_user(practice, "r@x.example", "reception"));
  auto r = api.call("POST", "/api/v1/patients", kAnna, &desk);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id(json_of(r)["id"].as_string());
  ASSERT_EQ(api.call("GET", "/api/v1/patients/" + id, {}, &desk).status, 200);
  ASSERT_EQ(api.call("GET", "/api/v1/patients?q=M%C3%BCller", {}, &desk).status, 200);
  ASSERT_TRUE(api.trail().flush());
  auto tx = api.store().read();
  ASSERT_TRUE(tx);
  auto entries = (*tx)->audit().entries(practice, 0, 1000);
  ASSERT_TRUE(entries);
  std::vector<std::string> actions;
  for (const auto& e : *entries) {
    if (e.resource_id == id || e.subjects == id) actions.push_back(e.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"patient.create", "patient.read", "patient.list"}));
}

TEST_F(PatientApi, DuplicatesAnswer409WithCandidates) {
  ASSERT_EQ(api.call("POST", "/api/v1/patients", kAnna, &desk).status, 201);
  auto r = api.call("POST", "/api/v1/patients",
                    R"({"family_name":"Mueller","given_names":"Anna","birth_date":"1980-03-12"})",
                    &desk);
  ASSERT_EQ(r.status, 409) << r.body;
  auto candidates = json_of(r)["candidates"].as_array();
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(candidates[0].as_object()["reason"].as_string(), "name_birth_date");
  r = api.call("POST", "/api/v1/patients",
               R"({"family_name":"Mueller","given_names":"Anna","birth_date":"1980-03-12",
                   "confirm_new":true})",
               &desk);
  EXPECT_EQ(r.status, 201);
}

TEST_F(PatientApi, SearchOverHttp) {
  ASSERT_EQ(api.call("POST", "/api/v1/patients", kAnna, &desk).status, 201);
  for (auto q : {"M%C3%BCller", "m%C3%BCl", "Mueller", "Muller", "12.3.80", "0151%2012345678",
                 "anna%40example.org", "M%C3%BCller%201980"}) {
    auto r = api.call("GET", std::string("/api/v1/patients?q=") + q, {}, &desk);
    ASSERT_EQ(r.status, 200) << q;
    EXPECT_EQ(json_of(r)["patients"].as_array().size(), 1u) << q;
  }
  auto r = api.call("GET", "/api/v1/patients?q=Mueller", {}, &stranger);
  EXPECT_TRUE(json_of(r)["patients"].as_array().empty()) << "never another practice's patients";
  EXPECT_EQ(api.call("GET", "/api/v1/patients?limit=0", {}, &desk).status, 400);
}

// A search lists what picks the patient out (names, birth date) and what opening it
// needs; contact data, insurance and the note stay in the record (GET /patients/{id}).
TEST_F(PatientApi, SearchHitsNameThePatientWithoutTheirRecord) {
  auto created = api.call("POST", "/api/v1/patients", kAnna, &desk);
  ASSERT_EQ(created.status, 201) << created.body;
  auto r = api.call("GET", "/api/v1/patients?q=M%C3%BCller", {}, &desk);
  ASSERT_EQ(r.status, 200) << r.body;
  auto hits = json_of(r)["patients"].as_array();
  ASSERT_EQ(hits.size(), 1u);
  const auto& hit = hits[0].as_object();
  EXPECT_EQ(hit.at("id"), json_of(created)["id"]);
  EXPECT_EQ(hit.at("family_name"), "Müller");
  EXPECT_EQ(hit.at("given_names"), "Anna");
  EXPECT_EQ(hit.at("birth_date"), "1980-03-12");
  EXPECT_EQ(hit.at("status"), "active");
  EXPECT_EQ(hit.at("version"), 1);
  for (auto field : {"phones", "email", "address", "insurance", "note", "consents", "language"})
    EXPECT_FALSE(hit.contains(field)) << field;
  auto record = json_of(
      api.call("GET", "/api/v1/patients/" + std::string(hit.at("id").as_string()), {}, &desk));
  EXPECT_EQ(record["phones"].as_array().size(), 1u) << "the record keeps them";
}

// Every distinctive value in every form an attacker with the files might look for.
std::vector<std::string> encodings(const std::string& utf8) {
  std::vector<std::string> out;
  auto lower = utf8, upper = utf8;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& s : {utf8, lower, upper}) {
    out.push_back(s);
    std::string le, be;  // UTF-16 (these test values are ASCII)
    for (char c : s) {
      le += c;
      le += '\0';
      be += '\0';
      be += c;
    }
    out.push_back(le);
    out.push_back(be);
  }
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(PatientApi, NoPatientValueReachesTheDatabaseFilesOrTheLog) {
  if (api.on_postgres()) GTEST_SKIP() << "inspects the SQLite file; see postgres_backend.cpp";
  const std::vector<std::string> values = {"Quintessenzfeld",
                                           "Xaverinerin",
                                           "Zwirbelstrasse 77",
                                           "Kraxelhausen",
                                           "Plumbumversicherung",
                                           "Q123456785",
                                           "zyx.quorum@leakcheck.example",
                                           "4915199887766",
                                           "Vertraulichkeitsvermerk",
                                           "Dr. Quaxbaum"};
  const std::string body = R"({"family_name":"Quintessenzfeld","given_names":"Xaverinerin",
    "title":"Dr. Quaxbaum","birth_date":"1977-07-17","sex":"d",
    "address":{"street":"Zwirbelstrasse 77","postcode":"10115","city":"Kraxelhausen"},
    "phones":[{"kind":"mobile","number":"+49 151 99887766"}],
    "email":"zyx.quorum@leakcheck.example",
    "insurance":{"kind":"GKV","insurer_name":"Plumbumversicherung","kvnr":"Q123456785"},
    "note":"Vertraulichkeitsvermerk"})";
  auto r = api.call("POST", "/api/v1/patients", body, &desk);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id(json_of(r)["id"].as_string());
  // Read and search it the ways the front desk would, so the values pass every path.
  ASSERT_EQ(api.call("GET", "/api/v1/patients/" + id, {}, &desk).status, 200);
  for (auto q : {"Quintessenzfeld", "zyx.quorum%40leakcheck.example", "Q123456785"}) {
    auto s = api.call("GET", std::string("/api/v1/patients?q=") + q, {}, &desk);
    ASSERT_EQ(json_of(s)["patients"].as_array().size(), 1u) << q;
  }
  ASSERT_EQ(api.call("PATCH", "/api/v1/patients/" + id, R"({"note":"Vertraulichkeitsvermerk 2"})",
                     &desk, "If-Match: \"1\"\r\n")
                .status,
            200);

  const std::string db = read_file(api.db_path());
  const std::string wal = read_file(api.db_path().string() + "-wal");
  const std::string log = api.log_text();
  ASSERT_FALSE(db.empty());
  ASSERT_FALSE(log.empty());
  // Positive control: staff e-mail addresses are stored in clear (they are login names,
  // not patient data), so the scan does see what the files hold.
  EXPECT_NE((db + wal).find("r@x.example"), std::string::npos);
  for (const auto& value : values) {
    for (const auto& form : encodings(value)) {
      EXPECT_EQ(db.find(form), std::string::npos) << value << " in the database file";
      EXPECT_EQ(wal.find(form), std::string::npos) << value << " in the WAL";
      EXPECT_EQ(log.find(form), std::string::npos) << value << " in the log";
    }
  }
}

// Issue #9, wiper resilience: one account deleting patients and cancelling appointments
// in bulk is stopped, the owner learns of it from the audit trail, and what was refused
// stays.
TEST(WiperResilience, BulkDeletionByOneAccountIsStoppedAndRecorded) {
  StaffApi api;
  const std::string practice = api.add_practice("wiper");
  auto& guard = api.limit_deletes(3);
  const std::string user = api.add_active_user(practice, "w@x.example", "physician");
  const Session s = api.mint_session(practice, user);
  const Session other =
      api.mint_session(practice, api.add_active_user(practice, "o@x.example", "physician"));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto made = api.patients().create(
        audit::Context::system("test"), practice,
        boost::json::parse(
            R"({"family_name":"Wisch)" + std::to_string(i) +
            R"(","given_names":"Test","birth_date":"1970-01-01","confirm_new":true})")
            .as_object());
    ASSERT_TRUE(made && made->created);
    ids.push_back(made->created->row.id);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(api.call("DELETE", "/api/v1/patients/" + ids[static_cast<std::size_t>(i)], {}, &s,
                       "If-Match: \"1\"\r\n")
                  .status,
              204)
        << i;
  }
  auto refused = api.call("DELETE", "/api/v1/patients/" + ids[3], {}, &s, "If-Match: \"1\"\r\n");
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_EQ(guard.refusals(), 1u);
  auto kept = api.patients().get(audit::Context::system("test"), practice, ids[3]);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->row.status, "active") << "the refused deletion changed nothing";
  EXPECT_EQ(
      api.call("DELETE", "/api/v1/patients/" + ids[4], {}, &other, "If-Match: \"1\"\r\n").status,
      204)
      << "another account has its own allowance";

  // Cancelling appointments draws on the same allowance: `other` has two left.
  auto practitioner = api.scheduling().create(
      audit::Context::system("test"), practice, store::ConfigKind::practitioner,
      boost::json::parse(R"({"name":"Dr. W"})").as_object());
  ASSERT_TRUE(practitioner);
  auto type = api.scheduling().create(
      audit::Context::system("test"), practice, store::ConfigKind::appointment_type,
      boost::json::parse(R"({"name_de":"T","practitioners":[")" + practitioner->row.id + R"("]})")
          .as_object());
  ASSERT_TRUE(type);
  std::vector<int> cancel_status;
  for (int i = 0; i < 3; ++i) {
    scheduling::NewAppointment in;
    in.type_id = type->row.id;
    in.practitioner_id = practitioner->row.id;
    in.start = *scheduling::parse_instant("2027-02-0" + std::to_string(i + 1) + "T09:00:00Z");
    in.outside_hours = true;
    auto a = api.scheduling().book(audit::Context::system("test"), practice, in);
    ASSERT_TRUE(a);
    cancel_status.push_back(api.call("DELETE", "/api/v1/appointments/" + a->id + "?reason=practice",
                                     {}, &other, "If-Match: \"1\"\r\n")
                                .status);
  }
  EXPECT_EQ(cancel_status, (std::vector<int>{200, 200, 429}));

  store::AuditQuery query;
  query.action = "security.delete_limit";
  auto alerts = api.audit().search(audit::Context::system("test"), practice, query);
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->entries.size(), 2u) << "the owner sees who was stopped";
  EXPECT_EQ(alerts->entries[1].entry.resource_id, user) << "newest first";
  EXPECT_EQ(alerts->entries[1].entry.outcome, "denied");
  EXPECT_EQ(guard.refusals(), 2u);

  api.clock.advance(std::chrono::minutes(20));  // one more deletion's worth after 20 min
  const Session again = api.mint_session(practice, user);
  EXPECT_EQ(
      api.call("DELETE", "/api/v1/patients/" + ids[3], {}, &again, "If-Match: \"1\"\r\n").status,
      204);
  EXPECT_EQ(
      api.call("DELETE", "/api/v1/patients/" + ids[5], {}, &again, "If-Match: \"1\"\r\n").status,
      429);
}

}  // namespace
}  // namespace praxis::test
