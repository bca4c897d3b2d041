#pragma once
// A patient's master data (issue #6) and its validation. The whole record is what gets
// encrypted under the patient key; nothing here is ever stored or logged in clear.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace praxis::patients {

struct Address {
  std::string street;
  std::string postcode;
  std::string city;
  std::string country = "DE";  // ISO 3166-1 alpha-2

  bool operator==(const Address&) const = default;
};

struct Phone {
  std::string kind;    // mobile, home, work, other
  std::string number;  // E.164

  bool operator==(const Phone&) const = default;
};

struct Insurance {
  std::string kind;  // GKV, PKV, self_pay, BG; empty: unknown
  std::string insurer_name;
  std::string ik;
  std::string kvnr;

  bool operator==(const Insurance&) const = default;
};

struct Consent {
  bool given = false;
  std::string at;  // UTC, when it was given

  bool operator==(const Consent&) const = default;
};

struct Record {
  std::string family_name;
  std::string given_names;
  std::string title;
  std::string name_prefix;
  std::string name_suffix;
  std::string birth_date;  // YYYY-MM-DD
  std::string sex;         // m, w, d, x; empty: not given
  Address address;
  std::vector<Phone> phones;
  std::string email;
  Insurance insurance;
  std::string language = "de";  // ISO 639-1
  std::string note;
  Consent email_reminders;
  Consent sms_reminders;

  bool operator==(const Record&) const = default;
};

// The record as the API and the ciphertext carry it (DESIGN.md §5 field names).
boost::json::object to_json(const Record& r);
// The fields that pick the patient out of a list: the name fields, birth date and sex —
// the first fields of to_json, and what a search hit shows of the record. Added to `o`,
// which the caller sizes for them and its own fields (kIdentifyingFields of them here).
inline constexpr std::size_t kIdentifyingFields = 7;
void add_identifying_json(const Record& r, boost::json::object& o);

// Reads a record from JSON and validates it, reporting every problem at once (field
// paths like "insurance.kvnr", "phones[1].number"). Values are trimmed, names NFC-
// normalised, phone numbers brought to E.164, the KVNR and country upper-cased.
// Warnings (a wrong KVNR check digit) come back with a valid record. `today` is
// YYYY-MM-DD (birth dates may not lie after it).
struct Parsed {
  Record record;
  std::vector<core::FieldError> warnings;
};
[[nodiscard]] core::Result<Parsed> parse_record(const boost::json::object& json,
                                                std::string_view today);

// Reads a record written by to_json (the stored form of earlier versions, see
// stored_record.hpp), without validation: an absent field is empty.
Record record_from_json(const boost::json::object& json);

}  // namespace praxis::patients
