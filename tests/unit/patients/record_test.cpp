// The stored form of a patient record (patients/stored_record.hpp): CBOR with only the
// fields that have a value, read back to the very record that was written; the JSON of
// earlier versions still read; anything else refused.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "patients/stored_record.hpp"

namespace praxis::patients {
namespace {

namespace json = boost::json;

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned v : values) out.push_back(static_cast<char>(v));
  return out;
}

// decode_record into a fresh Record, or its error.
core::Result<Record> decode(std::string_view stored) {
  core::Result<Record> out;
  if (auto ok = decode_record(stored, *out); !ok) return tl::unexpected(ok.error());
  return out;
}

Record read_back(const std::string& stored) {
  auto r = decode(stored);
  EXPECT_TRUE(r) << (r ? "" : r.error().internal);
  return r ? *r : Record{};
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

TEST(StoredRecord, TheFormatIsCborWithNumberedFieldsThatHaveAValue) {
  // A new record's defaults: {11: "DE", 17: "de"} (country, language).
  EXPECT_EQ(encode_record(Record{}), bytes({0xa2, 0x0b, 0x62, 'D', 'E', 0x11, 0x62, 'd', 'e'}));
  Record r;
  r.family_name = "Ab";
  r.address.country.clear();
  r.language.clear();
  r.phones = {{"m", "1"}};
  r.email_reminders.given = true;
  // {1: "Ab", 21: ["m", "1"], 22: true}
  EXPECT_EQ(encode_record(r),
            bytes({0xa3, 0x01, 0x62, 'A', 'b', 0x15, 0x82, 0x61, 'm', 0x61, '1', 0x16, 0xf5}));
  EXPECT_EQ(read_back(encode_record(r)), r);
  EXPECT_EQ(read_back(encode_record(Record{})), Record{});
}

TEST(StoredRecord, AFullRecordKeepsEveryFieldInLessThanItsJson) {
  const Record r = full_record();
  EXPECT_EQ(read_back(encode_record(r)), r);
  EXPECT_LT(encode_record(r).size(), json::serialize(to_json(r)).size() * 3 / 4);
}

TEST(StoredRecord, JsonRecordsOfEarlierVersionsAreStillRead) {
  Record r = full_record();
  r.title.clear();
  r.insurance.ik.clear();
  r.email_reminders = {};
  EXPECT_EQ(read_back(json::serialize(to_json(r))), r);  // every field, empty ones too
  Record sparse;
  sparse.family_name = "Meyer";
  sparse.language.clear();
  EXPECT_EQ(read_back(R"({"family_name":"Meyer","address":{"country":"DE"}})"), sparse);
}

TEST(StoredRecord, AnythingElseIsRefused) {
  const std::string good = encode_record(full_record());
  for (const auto& [why, stored] : std::vector<std::pair<std::string, std::string>>{
           {"unknown field", bytes({0xa1, 0x18, 0x18, 0x61, 'x'})},
           {"field zero", bytes({0xa1, 0x00, 0x61, 'x'})},
           {"out of order", bytes({0xa2, 0x02, 0x61, 'x', 0x01, 0x61, 'y'})},
           {"repeated", bytes({0xa2, 0x01, 0x61, 'x', 0x01, 0x61, 'y'})},
           {"text as boolean", bytes({0xa1, 0x01, 0xf5})},
           {"boolean as text", bytes({0xa1, 0x16, 0x61, 'x'})},
           {"odd phone list", bytes({0xa1, 0x15, 0x81, 0x61, 'x'})},
           {"phone list longer than the record",
            bytes({0xa1, 0x15, 0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x61, 'x'})},
           {"byte string", bytes({0xa1, 0x01, 0x41, 'x'})},
           {"null", bytes({0xa1, 0x01, 0xf6})},
           {"not a map", bytes({0x82, 0x01, 0x02})},
           {"missing value", bytes({0xa1, 0x01})},
           {"truncated", good.substr(0, good.size() - 1)},
           {"bytes left over", good + bytes({0x01})},
           {"empty", ""},
           {"JSON that is not an object", "{"},
       }) {
    auto r = decode(stored);
    EXPECT_FALSE(r) << why;
    if (!r) {
      EXPECT_EQ(r.error().code, core::ErrorCode::internal) << why;
    }
  }
}

// Whatever the bytes — a valid record with one byte changed, or any string at all — the
// reader answers with a record or an error; it never throws or reads past the end.
RC_GTEST_PROP(StoredRecordProperty, DamagedOrArbitraryBytesFailCleanly, ()) {
  std::string stored = encode_record(full_record());
  const auto at = *rc::gen::inRange<std::size_t>(0, stored.size());
  stored[at] = static_cast<char>(*rc::gen::arbitrary<unsigned char>());
  stored.resize(*rc::gen::inRange<std::size_t>(0, stored.size() + 1));
  for (const auto& bytes : {stored, *rc::gen::arbitrary<std::string>()}) {
    auto r = decode(bytes);
    if (!r) RC_ASSERT(r.error().code == core::ErrorCode::internal);
  }
}

RC_GTEST_PROP(StoredRecordProperty, AnyMixOfEmptyAndSetFieldsReadsBackAsWritten, ()) {
  const auto text = [] {
    return *rc::gen::oneOf(rc::gen::just(std::string()),
                           rc::gen::element<std::string>("x", "Müller", "a\"b\\c", "\n", " "),
                           rc::gen::string<std::string>());
  };
  Record r;
  for (std::string* field :
       {&r.family_name, &r.given_names, &r.title, &r.name_prefix, &r.name_suffix, &r.birth_date,
        &r.sex, &r.address.street, &r.address.postcode, &r.address.city, &r.address.country,
        &r.email, &r.insurance.kind, &r.insurance.insurer_name, &r.insurance.ik, &r.insurance.kvnr,
        &r.language, &r.note}) {
    *field = text();
  }
  const auto phones = *rc::gen::inRange<int>(0, 6);
  for (int i = 0; i < phones; ++i) r.phones.push_back({text(), text()});
  r.email_reminders = {*rc::gen::arbitrary<bool>(), text()};
  r.sms_reminders = {*rc::gen::arbitrary<bool>(), text()};
  const auto stored = encode_record(r);
  const auto back = decode(stored);
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == r);
}

}  // namespace
}  // namespace praxis::patients
