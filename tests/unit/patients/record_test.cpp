// The stored form of a patient record: only the fields with a value, and read back to the
// very record that was written, whatever is empty.

#include "patients/record.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>

namespace praxis::patients {
namespace {

namespace json = boost::json;

Record read_back(const std::string& stored) {
  return record_from_json(json::parse(stored).as_object());
}

// Every key of `o`, nested ones as "outer.inner" (array elements as "outer[].inner").
std::set<std::string> keys_of(const json::object& o, const std::string& prefix = "") {
  std::set<std::string> out;
  for (const auto& [key, value] : o) {
    const std::string name = prefix + std::string(key);
    out.insert(name);
    if (value.is_object()) out.merge(keys_of(value.get_object(), name + "."));
    if (value.is_array()) {
      for (const auto& element : value.get_array()) {
        if (element.is_object()) out.merge(keys_of(element.get_object(), name + "[]."));
      }
    }
  }
  return out;
}

Record full_record() {
  Record r;
  r.family_name = "Müller-Lüdenscheidt";
  r.given_names = "Anna Maria";
  r.title = "Dr.";
  r.name_prefix = "von";
  r.name_suffix = "jun.";
  r.birth_date = "1980-03-12";
  r.sex = "w";
  r.address = {"Hauptstraße 1", "10115", "Berlin", "DE"};
  r.phones = {{"mobile", "+4915112345678"}, {"home", "+49301234567"}};
  r.email = "anna@example.org";
  r.insurance = {"GKV", "AOK Nordost", "109519005", "A123456780"};
  r.language = "de";
  r.note = "Allergie: Penicillin\nRückruf erbeten";
  r.email_reminders = {true, "2026-11-27T10:00:00Z"};
  r.sms_reminders = {true, "2026-11-28T11:30:00Z"};
  return r;
}

TEST(StoredRecord, AFullRecordKeepsEveryField) {
  const Record r = full_record();
  EXPECT_EQ(read_back(stored_json(r)), r);
  EXPECT_EQ(keys_of(json::parse(stored_json(r)).as_object()),
            keys_of(to_json(r)));  // the stored names are the API's
}

TEST(StoredRecord, EmptyFieldsAreLeftOutAndReadBackEmpty) {
  Record r;
  r.family_name = "Meyer";
  r.birth_date = "1950-01-02";
  r.address.country = "";
  r.language = "";
  r.phones = {{"", "+4930111111"}};
  r.sms_reminders = {true, "2026-11-27T10:00:00Z"};
  const auto stored = stored_json(r);
  EXPECT_EQ(keys_of(json::parse(stored).as_object()),
            (std::set<std::string>{"family_name", "birth_date", "phones", "phones[].number",
                                   "consents", "consents.sms_reminders",
                                   "consents.sms_reminders.given", "consents.sms_reminders.at"}));
  EXPECT_EQ(read_back(stored), r);
  // Nothing but the defaults of a new record's address and language: those are kept.
  Record defaults;
  EXPECT_EQ(stored_json(defaults), R"({"address":{"country":"DE"},"language":"de"})");
  EXPECT_EQ(read_back(stored_json(defaults)), defaults);
  EXPECT_LT(stored_json(r).size(), json::serialize(to_json(r)).size() / 2);
}

TEST(StoredRecord, RecordsWrittenWithEveryFieldAreStillRead) {
  Record r = full_record();
  r.title.clear();
  r.insurance.ik.clear();
  r.email_reminders = {};
  EXPECT_EQ(read_back(json::serialize(to_json(r))), r);
}

RC_GTEST_PROP(StoredRecordProperty, AnyMixOfEmptyAndSetFieldsReadsBackAsWritten, ()) {
  const auto text = [] {
    return *rc::gen::oneOf(rc::gen::just(std::string()),
                           rc::gen::element<std::string>("x", "Müller", "a\"b\\c", "\n", " "));
  };
  Record r;
  for (std::string* field :
       {&r.family_name, &r.given_names, &r.title, &r.name_prefix, &r.name_suffix, &r.birth_date,
        &r.sex, &r.address.street, &r.address.postcode, &r.address.city, &r.address.country,
        &r.email, &r.insurance.kind, &r.insurance.insurer_name, &r.insurance.ik, &r.insurance.kvnr,
        &r.language, &r.note}) {
    *field = text();
  }
  const auto phones = *rc::gen::inRange<int>(0, 3);
  for (int i = 0; i < phones; ++i) r.phones.push_back({text(), text()});
  r.email_reminders = {*rc::gen::arbitrary<bool>(), text()};
  r.sms_reminders = {*rc::gen::arbitrary<bool>(), text()};
  RC_ASSERT(read_back(stored_json(r)) == r);
}

}  // namespace
}  // namespace praxis::patients
