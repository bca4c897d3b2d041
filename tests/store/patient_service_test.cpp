// Patients through the service on a real SQLite store: the search examples of issue #6,
// duplicates, versioned updates, soft delete, restore and merge.

#include "patients/patient_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "practices/practice_service.hpp"
#include "support/service_fixture.hpp"

namespace praxis::patients {
namespace {

namespace json = boost::json;

struct PatientFixture : test::ServiceFixture, testing::Test {
  audit::Trail trail{*keys, clock};
  PatientService service{*store, *keys, trail, clock, random};
  audit::Context ctx = staff_context();

  static audit::Context staff_context() {
    audit::Context c;
    c.actor = {"user", "u-test", "physician"};
    c.purpose = "treatment";
    return c;
  }
  std::string practice = add_practice("eins");
  std::string other_practice = add_practice("zwei");

  std::string add_practice(const std::string& slug) {
    practices::PracticeService ps(*store, *keys, trail, clock, random);
    practices::NewPractice p;
    p.name = "Praxis " + slug;
    p.slug = slug;
    p.state = "BE";
    auto row = ps.create(audit::Context::system("test"), p);
    if (!row) throw std::runtime_error(row.error().internal);
    return row->id;
  }

  std::string add(const std::string& body, const std::string& in = "") {
    auto o = json::parse(body).as_object();
    o["confirm_new"] = true;
    auto r = service.create(ctx, in.empty() ? practice : in, o);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r || !r->created) return {};
    return r->created->row.id;
  }

  std::string person(const std::string& family, const std::string& given, const std::string& born,
                     const std::string& extra = "", const std::string& in = "") {
    return add(R"({"family_name":")" + family + R"(","given_names":")" + given +
                   R"(","birth_date":")" + born + "\"" + extra + "}",
               in);
  }

  // The patient's rows in the blind index, counted in the database file itself: search
  // removes false positives after decryption, so it cannot tell stale rows apart.
  std::int64_t index_rows(const std::string& id) {
    store::sqlite::OpenOptions options;
    options.mode = store::sqlite::OpenMode::read_only;
    auto db = store::sqlite::Database::open(store->file(), options);
    if (!db) throw std::runtime_error(db.error().internal);
    auto n = db->query_text("SELECT count(*) FROM patient_index WHERE patient_id = '" + id + "'");
    if (!n) throw std::runtime_error(n.error().internal);
    return std::stoll(*n);
  }
  std::vector<std::string> find(const std::string& q) {
    auto page = service.search(ctx, practice, q, "", 100);
    EXPECT_TRUE(page) << q;
    std::vector<std::string> out;
    if (page) {
      for (const auto& p : page->patients) out.push_back(p.record.family_name);
    }
    return out;
  }
};

TEST_F(PatientFixture, NamesAreFoundExactlyByPrefixAndByHowTheySound) {
  person("Müller", "Anna", "1980-03-12");
  person("Meyer", "Bernd", "1975-01-01");
  person("Maier", "Carla", "1990-07-07");
  person("Mayer", "Dieter", "1960-02-02");
  person("Schulz", "Eva", "1985-05-05");
  person("Müller", "Zoe", "1999-09-09", "", other_practice);  // another practice

  for (auto q : {"Müller", "mül", "Mueller", "Muller", "MÜLLER", "muel"}) {
    EXPECT_EQ(find(q), std::vector<std::string>{"Müller"}) << q;
  }
  const auto meier = find("Meier");
  EXPECT_EQ(std::set<std::string>(meier.begin(), meier.end()),
            (std::set<std::string>{"Meyer", "Maier", "Mayer"}));
  EXPECT_EQ(find("Anna"), std::vector<std::string>{"Müller"}) << "given names too";
  EXPECT_TRUE(find("Xylophon").empty());
}

TEST_F(PatientFixture, RankingIsExactThenPrefixThenPhonetic) {
  person("Mayer", "Phon", "1970-01-01");         // phonetic match for "Meier"
  person("Meierhofer", "Prefix", "1970-01-01");  // prefix match
  person("Meier", "Exakt", "1970-01-01");        // exact
  EXPECT_EQ(find("Meier"), (std::vector<std::string>{"Meier", "Meierhofer", "Mayer"}));
}

TEST_F(PatientFixture, BirthDatesPhonesEmailsAndKvnrsAndCombinations) {
  person("Müller", "Anna", "1980-03-12",
         R"(,"phones":[{"kind":"mobile","number":"0151 12345678"}],"email":"Anna.M@Example.org",)"
         R"("insurance":{"kind":"GKV","kvnr":"A123456780"})");
  person("Müller", "Bert", "1955-11-30");
  person("Schmidt", "Clara", "1980-03-12");
  for (auto q : {"12.03.1980", "12.3.80", "1980-03-12"}) {
    EXPECT_EQ(find(q), (std::vector<std::string>{"Müller", "Schmidt"})) << q;
  }
  for (auto q : {"+4915112345678", "0151 12345678", "0151/123 456 78", "0049151 12345678"}) {
    EXPECT_EQ(find(q), std::vector<std::string>{"Müller"}) << q;
  }
  // A day or month below 10 written with its leading zero is a date, not a phone number.
  person("Wolff", "Dora", "1961-07-04");
  for (auto q : {"04.07.1961", "4.7.1961", "04.07.61", "1961-07-04", "Wolff 04.07.1961"}) {
    EXPECT_EQ(find(q), std::vector<std::string>{"Wolff"}) << q;
  }
  EXPECT_EQ(find("anna.m@example.org"), std::vector<std::string>{"Müller"});
  EXPECT_EQ(find("a123456780"), std::vector<std::string>{"Müller"});
  EXPECT_EQ(find("Müller 1980"), std::vector<std::string>{"Müller"}) << "terms intersect";
  EXPECT_EQ(find("Müller 1955").size(), 1u);
  EXPECT_TRUE(find("Schmidt 1955").empty());
}

TEST_F(PatientFixture, SearchPagesWithACursor) {
  for (int i = 0; i < 25; ++i) {
    person("Berger", "Kind" + std::to_string(100 + i), "2001-01-01");
  }
  auto first = service.search(ctx, practice, "Berger", "", 10);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->patients.size(), 10u);
  ASSERT_TRUE(first->next_cursor);
  std::set<std::string> seen;
  std::optional<std::string> cursor = first->next_cursor;
  for (const auto& p : first->patients) seen.insert(p.row.id);
  while (cursor) {
    auto page = service.search(ctx, practice, "Berger", *cursor, 10);
    ASSERT_TRUE(page);
    for (const auto& p : page->patients) seen.insert(p.row.id);
    cursor = page->next_cursor;
  }
  EXPECT_EQ(seen.size(), 25u);
  for (std::size_t i = 1; i < first->patients.size(); ++i) {
    EXPECT_LT(first->patients[i - 1].record.given_names, first->patients[i].record.given_names)
        << "within a page, by name";
  }
}

TEST_F(PatientFixture, PagesRunAcrossRanksWithoutGapsOrRepeats) {
  for (int i = 0; i < 3; ++i) {
    person("Meier", "Exakt" + std::to_string(i), "1970-01-01");
    person("Meierhofer", "Prefix" + std::to_string(i), "1970-01-01");
    person("Mayer", "Phonetisch" + std::to_string(i), "1970-01-01");
  }
  person("Schulz", "Andere", "1970-01-01");
  std::vector<std::string> families;
  std::set<std::string> ids;
  std::optional<std::string> cursor = "";
  int pages = 0;
  while (cursor) {
    auto page = service.search(ctx, practice, "Meier", *cursor, 2);
    ASSERT_TRUE(page) << page.error().message;
    for (const auto& p : page->patients) {
      families.push_back(p.record.family_name);
      EXPECT_TRUE(ids.insert(p.row.id).second) << "shown twice";
    }
    cursor = page->next_cursor;
    ASSERT_LT(++pages, 10);
  }
  EXPECT_EQ(families,
            (std::vector<std::string>{"Meier", "Meier", "Meier", "Meierhofer", "Meierhofer",
                                      "Meierhofer", "Mayer", "Mayer", "Mayer"}));
  EXPECT_EQ(pages, 5) << "2+2+2+2+1, and no empty page at the end";
  auto bad = service.search(ctx, practice, "Meier", "s9.x", 2);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::invalid_input);

  // Several terms page by position in the ranked intersection.
  std::set<std::string> combined;
  cursor = "";
  while (cursor) {
    auto page = service.search(ctx, practice, "Meier 1970", *cursor, 4);
    ASSERT_TRUE(page);
    for (const auto& p : page->patients) combined.insert(p.row.id);
    cursor = page->next_cursor;
  }
  EXPECT_EQ(combined, ids);
}

// "Meie" matches nobody exactly, so its prefix rank is read without excluding the exact
// lookups; a patient both of prefix and of phonetic rank ("Meieh": prefix "meie", code
// 6 like "Meie") is still shown once, in the better rank, on one page or across many.
TEST_F(PatientFixture, ARankThatFindsNobodyLeavesTheNextRanksWithoutRepeats) {
  for (int i = 0; i < 3; ++i) {
    person("Meier", "Prefix" + std::to_string(i), "1970-01-01");
    person("Meierhofer", "Prefix" + std::to_string(i), "1970-01-01");
  }
  person("Meieh", "Beides", "1970-01-01");
  person("Mai", "Phonetisch", "1970-01-01");
  const auto all = find("Meie");
  EXPECT_EQ(all.size(), 8u);
  EXPECT_EQ(std::count(all.begin(), all.end(), "Meieh"), 1);
  EXPECT_EQ(all.back(), "Mai") << "the phonetic rank comes last";
  for (std::size_t size : {1u, 3u}) {
    std::vector<std::string> families;
    std::set<std::string> ids;
    std::optional<std::string> cursor = "";
    while (cursor) {
      auto page = service.search(ctx, practice, "Meie", *cursor, size);
      ASSERT_TRUE(page) << page.error().message;
      for (const auto& p : page->patients) {
        families.push_back(p.record.family_name);
        EXPECT_TRUE(ids.insert(p.row.id).second) << "shown twice, page size " << size;
      }
      cursor = page->next_cursor;
      ASSERT_LT(families.size(), 20u);
    }
    EXPECT_EQ(families.size(), 8u) << size;
    ASSERT_FALSE(families.empty());
    EXPECT_EQ(families.back(), "Mai") << size;
  }
}

TEST_F(PatientFixture, EveryFieldErrorAtOnceAndKvnrCheckDigitIsAWarning) {
  auto bad = service.create(ctx, practice,
                            json::parse(R"({
    "family_name": "", "given_names": "x", "birth_date": "2999-01-01", "sex": "q",
    "address": {"postcode": "123", "country": "DE"},
    "phones": [{"kind": "mobile", "number": "12"}],
    "email": "kein-at", "insurance": {"kind": "AOK", "ik": "123456789", "kvnr": "123"},
    "unknown": 1})")
                                .as_object());
  ASSERT_FALSE(bad);
  std::set<std::string> fields;
  for (const auto& f : bad.error().fields) fields.insert(f.field);
  EXPECT_EQ(fields, (std::set<std::string>{"family_name", "birth_date", "sex", "address.postcode",
                                           "phones[0].number", "email", "insurance.kind",
                                           "insurance.ik", "insurance.kvnr", "unknown"}));

  auto warned = service.create(ctx, practice,
                               json::parse(R"({"family_name":"Test","given_names":"A",
    "birth_date":"1901-01-01","insurance":{"kvnr":"g995030567"},"confirm_new":true})")
                                   .as_object());
  ASSERT_TRUE(warned && warned->created);
  ASSERT_EQ(warned->created->warnings.size(), 1u);
  EXPECT_EQ(warned->created->warnings[0].field, "insurance.kvnr");
  EXPECT_EQ(warned->created->warnings[0].code, "check_digit");
  EXPECT_EQ(warned->created->record.insurance.kvnr, "G995030567") << "upper-cased";
  auto early = service.create(ctx, practice,
                              json::parse(R"({"family_name":"Alt","given_names":"A",
    "birth_date":"1899-12-31"})")
                                  .as_object());
  ASSERT_FALSE(early);
}

TEST_F(PatientFixture, DuplicatesAreReportedUnlessConfirmed) {
  const std::string anna = person("Müller", "Anna", "1980-03-12", R"(,"email":"anna@example.org")");
  auto again = [&](const std::string& body) {
    return service.create(ctx, practice, json::parse(body).as_object());
  };
  auto same_name =
      again(R"({"family_name":"Mueller","given_names":"anna","birth_date":"1980-03-12"})");
  ASSERT_TRUE(same_name);
  EXPECT_FALSE(same_name->created);
  ASSERT_EQ(same_name->duplicates.size(), 1u);
  EXPECT_EQ(same_name->duplicates[0].id, anna);
  EXPECT_EQ(same_name->duplicates[0].reason, "name_birth_date");
  auto same_mail = again(
      R"({"family_name":"Neu","given_names":"X","birth_date":"1970-01-01","email":"ANNA@example.org"})");
  ASSERT_TRUE(same_mail);
  ASSERT_EQ(same_mail->duplicates.size(), 1u);
  EXPECT_EQ(same_mail->duplicates[0].reason, "email");
  auto other_birthday =
      again(R"({"family_name":"Müller","given_names":"Anna","birth_date":"1981-03-12"})");
  ASSERT_TRUE(other_birthday);
  EXPECT_TRUE(other_birthday->created) << "same name, other birthday: a different person";
  auto confirmed = again(
      R"({"family_name":"Müller","given_names":"Anna","birth_date":"1980-03-12","confirm_new":true})");
  ASSERT_TRUE(confirmed);
  EXPECT_TRUE(confirmed->created);
}

// A file may name a patient twice, by any of the keys duplicates uses: the second row is
// already present, whether its twin is in the database or earlier in the same batch.
TEST_F(PatientFixture, AnImportBatchSkipsRowsThatRepeatAPatientByAnyKey) {
  auto row = [](std::size_t line, const std::string& body) {
    return ImportRow{line, json::parse(body).as_object()};
  };
  const std::vector<ImportRow> rows = {
      row(2, R"({"family_name":"Adler","given_names":"Anna","birth_date":"1980-03-12",)"
             R"("email":"anna@example.org","phones":[{"kind":"mobile","number":"0151 12345678"}],)"
             R"("insurance":{"kind":"GKV","kvnr":"A123456780"}})"),
      row(3, R"({"family_name":"Berg","given_names":"B","birth_date":"1970-01-01",)"
             R"("insurance":{"kind":"GKV","kvnr":"A123456780"}})"),
      row(4, R"({"family_name":"Cramer","given_names":"C","birth_date":"1971-01-01",)"
             R"("email":"ANNA@example.org"})"),
      row(5, R"({"family_name":"Dietz","given_names":"D","birth_date":"1972-01-01",)"
             R"("phones":[{"kind":"home","number":"+49 151 12345678"}]})"),
      row(6, R"({"family_name":"Ernst","given_names":"Eva","birth_date":"1990-07-07"})"),
      row(7, R"({"family_name":"Ernst","given_names":"eva","birth_date":"1990-07-07"})"),
      row(8, R"({"family_name":"Ernst","given_names":"Eva","birth_date":"1991-07-07"})"),
  };
  using K = ImportResult::Kind;
  auto kinds = [&](const std::vector<ImportRow>& batch) {
    auto r = service.import_batch(audit::Context::system("test"), practice, batch);
    EXPECT_TRUE(r);
    std::vector<K> out;
    if (r) {
      for (const auto& x : *r) out.push_back(x.kind);
    }
    return out;
  };
  EXPECT_EQ(kinds(rows),
            (std::vector<K>{K::created, K::already_present, K::already_present, K::already_present,
                            K::created, K::already_present, K::created}));
  EXPECT_EQ(find("Adler"), (std::vector<std::string>{"Adler"}));
  EXPECT_TRUE(find("Berg").empty());
  EXPECT_EQ(find("Ernst").size(), 2u) << "same name, other birthday: a different person";
  // The same file again: everything is in the database now.
  EXPECT_EQ(kinds(rows), std::vector<K>(rows.size(), K::already_present));
}

TEST_F(PatientFixture, UpdatesAreVersionedMergePatches) {
  const std::string id =
      person("Weber", "Jan", "1970-01-01",
             R"(,"email":"jan@example.org","consents":{"email_reminders":{"given":true}})");
  auto before = service.get(ctx, practice, id);
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->record.email_reminders.at.empty()) << "the time consent was given";
  auto changed = service.update(
      ctx, practice, id, 1, json::parse(R"({"email":null,"address":{"city":"Köln"}})").as_object());
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(changed->row.version, 2);
  EXPECT_EQ(changed->record.email, "");
  EXPECT_EQ(changed->record.address.city, "Köln");
  EXPECT_EQ(changed->record.family_name, "Weber") << "untouched fields stay";
  EXPECT_EQ(changed->record.email_reminders, before->record.email_reminders);
  auto stale = service.update(ctx, practice, id, 1, json::parse(R"({"note":"x"})").as_object());
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, core::ErrorCode::precondition_failed);
  auto invalid =
      service.update(ctx, practice, id, 2, json::parse(R"({"birth_date":"gestern"})").as_object());
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, core::ErrorCode::invalid_input);
  EXPECT_TRUE(find("jan@example.org").empty()) << "the removed e-mail is no longer indexed";
  const auto rows = index_rows(id);
  ASSERT_TRUE(service.update(ctx, practice, id, 2,
                             json::parse(R"({"email":"jan@example.org"})").as_object()));
  EXPECT_GT(index_rows(id), rows) << "the e-mail's entry is back";
  ASSERT_TRUE(service.update(ctx, practice, id, 3, json::parse(R"({"email":null})").as_object()));
  EXPECT_EQ(index_rows(id), rows) << "and gone again: no stale rows";
  auto foreign = service.update(ctx, other_practice, id, 2, json::parse("{}").as_object());
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, core::ErrorCode::not_found);
}

TEST_F(PatientFixture, DeletedPatientsLeaveSearchAndCanBeRestoredForThirtyDays) {
  const std::string id = person("Fischer", "Ida", "1970-01-01");
  const auto rows = index_rows(id);
  EXPECT_GT(rows, 5);
  ASSERT_TRUE(service.remove(ctx, practice, id, std::nullopt));
  EXPECT_TRUE(find("Fischer").empty());
  EXPECT_EQ(index_rows(id), 0) << "a deleted record leaves the index";
  auto got = service.get(ctx, practice, id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->row.status, "deleted");
  ASSERT_TRUE(service.restore(ctx, practice, id));
  EXPECT_EQ(find("Fischer"), std::vector<std::string>{"Fischer"});
  EXPECT_EQ(index_rows(id), rows);
  ASSERT_TRUE(service.remove(ctx, practice, id, std::nullopt));
  clock.advance(std::chrono::hours(24 * 31));
  auto late = service.restore(ctx, practice, id);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, core::ErrorCode::conflict);
}

TEST_F(PatientFixture, MergeKeepsEverythingAndLeavesAPointer) {
  const std::string keep =
      person("Wolf", "Otto", "1950-05-05", R"(,"phones":[{"kind":"home","number":"030 1234567"}])");
  const std::string gone = person("Wolf", "Otto", "1950-05-05",
                                  R"(,"phones":[{"kind":"mobile","number":"0151 7654321"}],)"
                                  R"("email":"otto@example.org","note":"Allergie: keine")");
  const auto kept_rows = index_rows(keep);
  auto merged = service.merge(ctx, practice, keep, gone);
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(index_rows(gone), 0) << "the merged record leaves the index";
  EXPECT_GT(index_rows(keep), kept_rows) << "the kept one gains the other's phone and e-mail";
  EXPECT_EQ(merged->record.phones.size(), 2u);
  EXPECT_EQ(merged->record.email, "otto@example.org");
  EXPECT_EQ(merged->record.note, "Allergie: keine");
  auto old = service.get(ctx, practice, gone);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->row.status, "merged");
  EXPECT_EQ(old->row.merged_into, keep);
  EXPECT_EQ(find("Wolf").size(), 1u);
  EXPECT_EQ(find("otto@example.org").size(), 1u) << "the surviving record is indexed anew";
  EXPECT_FALSE(service.merge(ctx, practice, keep, gone)) << "already merged";
  EXPECT_FALSE(service.merge(ctx, practice, keep, keep));
}

TEST_F(PatientFixture, AnotherPracticesPatientIsNotFound) {
  const std::string id = person("Klein", "Uwe", "1970-01-01");
  auto foreign = service.get(ctx, other_practice, id);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, core::ErrorCode::not_found);
  auto page = service.search(ctx, other_practice, "Klein", "", 10);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->patients.empty());
}

}  // namespace
}  // namespace praxis::patients
