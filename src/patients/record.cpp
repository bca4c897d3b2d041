#include "patients/record.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "core/phone.hpp"
#include "core/text.hpp"
#include "core/validation.hpp"

namespace praxis::patients {

namespace json = boost::json;

void add_identifying_json(const Record& r, json::object& o) {
  o.emplace("family_name", r.family_name);
  o.emplace("given_names", r.given_names);
  o.emplace("title", r.title);
  o.emplace("name_prefix", r.name_prefix);
  o.emplace("name_suffix", r.name_suffix);
  o.emplace("birth_date", r.birth_date);
  o.emplace("sex", r.sex);
}

json::object to_json(const Record& r) {
  json::object o;
  o.reserve(kIdentifyingFields + 7);  // and the seven parts below
  add_identifying_json(r, o);
  json::array phones;
  for (const auto& p : r.phones)
    phones.push_back(json::object{{"kind", p.kind}, {"number", p.number}});
  o["address"] = {{"street", r.address.street},
                  {"postcode", r.address.postcode},
                  {"city", r.address.city},
                  {"country", r.address.country}};
  o["phones"] = std::move(phones);
  o["email"] = r.email;
  o["insurance"] = {{"kind", r.insurance.kind},
                    {"insurer_name", r.insurance.insurer_name},
                    {"ik", r.insurance.ik},
                    {"kvnr", r.insurance.kvnr}};
  o["language"] = r.language;
  o["note"] = r.note;
  o["consents"] = {
      {"email_reminders", {{"given", r.email_reminders.given}, {"at", r.email_reminders.at}}},
      {"sms_reminders", {{"given", r.sms_reminders.given}, {"at", r.sms_reminders.at}}}};
  return o;
}

namespace {

constexpr std::size_t kMaxName = 100;
constexpr std::size_t kMaxShort = 40;
constexpr std::size_t kMaxAddress = 200;
constexpr std::size_t kMaxNote = 4000;
constexpr std::size_t kMaxPhones = 5;

bool has_control(std::string_view s, bool allow_newlines) {
  return std::any_of(s.begin(), s.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (allow_newlines && (c == '\n' || c == '\t')) return false;
    return u < 0x20 || u == 0x7F;
  });
}

// Reads the object's fields, noting every problem; unknown fields are problems too.
class Reader {
 public:
  Reader(const json::object& o, std::string prefix, std::vector<core::FieldError>& errors)
      : o_(o), prefix_(std::move(prefix)), errors_(errors) {}

  std::string path(std::string_view name) const { return prefix_ + std::string(name); }

  void error(std::string_view name, std::string code, std::string message) {
    errors_.push_back({path(name), std::move(code), std::move(message)});
  }

  // Text field: trimmed, valid UTF-8, no control characters, at most `max` characters.
  std::string text(std::string_view name, std::size_t max, bool required = false,
                   bool multiline = false) {
    seen_.emplace_back(name);
    const auto* v = o_.if_contains(name);
    if (!v || v->is_null()) {
      if (required) error(name, "required", "Pflichtfeld. / Required.");
      return {};
    }
    if (!v->is_string()) {
      error(name, "type", "Text erwartet. / Expected a string.");
      return {};
    }
    std::string s(core::trim(std::string_view(v->get_string())));
    if (!core::valid_utf8(s) || has_control(s, multiline)) {
      error(name, "invalid", "Ungültige Zeichen. / Invalid characters.");
      return {};
    }
    s = core::to_nfc(s);
    if (core::utf8_length(s) > max) {
      error(name, "too_long",
            "Höchstens " + std::to_string(max) + " Zeichen. / At most " + std::to_string(max) +
                " characters.");
      return {};
    }
    if (required && s.empty()) error(name, "required", "Pflichtfeld. / Required.");
    return s;
  }

  std::optional<bool> boolean(std::string_view name) {
    seen_.emplace_back(name);
    const auto* v = o_.if_contains(name);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_bool()) {
      error(name, "type", "true oder false erwartet. / Expected true or false.");
      return std::nullopt;
    }
    return v->get_bool();
  }

  const json::object* object(std::string_view name) {
    seen_.emplace_back(name);
    const auto* v = o_.if_contains(name);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_object()) {
      error(name, "type", "Objekt erwartet. / Expected an object.");
      return nullptr;
    }
    return &v->get_object();
  }

  const json::array* array(std::string_view name) {
    seen_.emplace_back(name);
    const auto* v = o_.if_contains(name);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_array()) {
      error(name, "type", "Liste erwartet. / Expected an array.");
      return nullptr;
    }
    return &v->get_array();
  }

  void ignore(std::string_view name) { seen_.emplace_back(name); }

  void unknown_fields() {
    for (const auto& [key, value] : o_) {
      if (std::find(seen_.begin(), seen_.end(), std::string_view(key)) == seen_.end()) {
        error(std::string_view(key), "unknown", "Unbekanntes Feld. / Unknown field.");
      }
    }
  }

 private:
  const json::object& o_;
  std::string prefix_;
  std::vector<core::FieldError>& errors_;
  std::vector<std::string> seen_;
};

bool one_of(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool valid_date(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  const int y = std::stoi(std::string(d.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(d.substr(5, 2))));
  const unsigned day = static_cast<unsigned>(std::stoi(std::string(d.substr(8, 2))));
  return std::chrono::year_month_day{std::chrono::year(y), std::chrono::month(m),
                                     std::chrono::day(day)}
      .ok();
}

Consent read_consent(Reader& parent, const json::object* o, std::string_view name,
                     std::vector<core::FieldError>& errors) {
  Consent c;
  if (!o) return c;
  Reader r(*o, parent.path(name) + ".", errors);
  c.given = r.boolean("given").value_or(false);
  c.at = r.text("at", 20);
  r.unknown_fields();
  return c;
}

}  // namespace

core::Result<Parsed> parse_record(const json::object& o, std::string_view today) {
  std::vector<core::FieldError> errors;
  Parsed out;
  Record& rec = out.record;
  Reader r(o, "", errors);
  rec.family_name = r.text("family_name", kMaxName, true);
  rec.given_names = r.text("given_names", kMaxName, true);
  rec.title = r.text("title", kMaxShort);
  rec.name_prefix = r.text("name_prefix", kMaxShort);
  rec.name_suffix = r.text("name_suffix", kMaxShort);
  rec.birth_date = r.text("birth_date", 10, true);
  if (!rec.birth_date.empty()) {
    if (!valid_date(rec.birth_date)) {
      r.error("birth_date", "invalid", "Datum als JJJJ-MM-TT. / Date as YYYY-MM-DD.");
    } else if (rec.birth_date < "1900-01-01") {
      r.error("birth_date", "too_early", "Nicht vor 1900. / Not before 1900.");
    } else if (rec.birth_date > today) {
      r.error("birth_date", "in_future", "Liegt in der Zukunft. / Lies in the future.");
    }
  }
  rec.sex = r.text("sex", 1);
  if (!rec.sex.empty() && !one_of(rec.sex, {"m", "w", "d", "x"})) {
    r.error("sex", "invalid", "m, w, d oder x.");
  }
  if (const auto* a = r.object("address")) {
    Reader ar(*a, "address.", errors);
    rec.address.street = ar.text("street", kMaxAddress);
    rec.address.postcode = ar.text("postcode", 10);
    rec.address.city = ar.text("city", kMaxAddress);
    std::string country = ar.text("country", 2);
    for (char& c : country) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
    }
    if (country.empty()) country = "DE";
    if (country.size() != 2 ||
        !std::all_of(country.begin(), country.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      ar.error("country", "invalid", "Ländercode wie DE. / Country code such as DE.");
    }
    rec.address.country = country;
    if (country == "DE" && !rec.address.postcode.empty() &&
        !core::valid_german_postcode(rec.address.postcode)) {
      ar.error("postcode", "invalid", "Die Postleitzahl hat 5 Ziffern. / 5 digits.");
    }
    ar.unknown_fields();
  }
  if (const auto* phones = r.array("phones")) {
    if (phones->size() > kMaxPhones) {
      r.error("phones", "too_many", "Höchstens 5 Nummern. / At most 5 numbers.");
    } else {
      for (std::size_t i = 0; i < phones->size(); ++i) {
        const std::string prefix = "phones[" + std::to_string(i) + "].";
        if (!(*phones)[i].is_object()) {
          errors.push_back({"phones[" + std::to_string(i) + "]", "type", "Objekt erwartet."});
          continue;
        }
        Reader pr((*phones)[i].get_object(), prefix, errors);
        Phone p;
        p.kind = pr.text("kind", 10);
        if (p.kind.empty()) p.kind = "other";
        if (!one_of(p.kind, {"mobile", "home", "work", "other"})) {
          pr.error("kind", "invalid", "mobile, home, work oder other.");
        }
        const std::string number = pr.text("number", 40, true);
        if (!number.empty()) {
          if (auto e164 = core::normalize_phone(number)) {
            p.number = *e164;
          } else {
            pr.error("number", "invalid",
                     "Keine gültige Telefonnummer (mit Vorwahl). / Not a valid phone number "
                     "(with area code).");
          }
        }
        pr.unknown_fields();
        rec.phones.push_back(std::move(p));
      }
    }
  }
  rec.email = r.text("email", 254);
  if (!rec.email.empty()) {
    if (!core::valid_email(rec.email)) {
      r.error("email", "invalid", "Keine gültige E-Mail-Adresse. / Not a valid e-mail address.");
    } else {
      rec.email = core::normalize_email(rec.email);
    }
  }
  if (const auto* ins = r.object("insurance")) {
    Reader ir(*ins, "insurance.", errors);
    rec.insurance.kind = ir.text("kind", 10);
    if (!rec.insurance.kind.empty() &&
        !one_of(rec.insurance.kind, {"GKV", "PKV", "self_pay", "BG"})) {
      ir.error("kind", "invalid", "GKV, PKV, self_pay oder BG.");
    }
    rec.insurance.insurer_name = ir.text("insurer_name", kMaxAddress);
    rec.insurance.ik = ir.text("ik", 9 + 4);
    if (!rec.insurance.ik.empty() && !core::valid_ik(rec.insurance.ik)) {
      ir.error("ik", "invalid",
               "Das IK hat 9 Ziffern mit Prüfziffer. / The IK has 9 digits with a check digit.");
    }
    std::string kvnr = ir.text("kvnr", 12);
    for (char& c : kvnr) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
    }
    rec.insurance.kvnr = kvnr;
    if (!kvnr.empty()) {
      if (!core::kvnr_format_ok(kvnr)) {
        ir.error("kvnr", "invalid",
                 "Die Versichertennummer ist ein Buchstabe und 9 Ziffern. / One letter and 9 "
                 "digits.");
      } else if (!core::kvnr_check_digit_ok(kvnr)) {
        out.warnings.push_back({"insurance.kvnr", "check_digit",
                                "Die Prüfziffer stimmt nicht; bitte prüfen. / The check digit "
                                "does not match; please check."});
      }
    }
    ir.unknown_fields();
  }
  rec.language = r.text("language", 2);
  if (rec.language.empty()) rec.language = "de";
  if (rec.language.size() != 2 || !std::all_of(rec.language.begin(), rec.language.end(),
                                               [](char c) { return c >= 'a' && c <= 'z'; })) {
    r.error("language", "invalid", "Sprachcode wie de oder en. / Language code such as de.");
  }
  rec.note = r.text("note", kMaxNote, false, true);
  if (const auto* consents = r.object("consents")) {
    Reader cr(*consents, "consents.", errors);
    rec.email_reminders = read_consent(cr, cr.object("email_reminders"), "email_reminders", errors);
    rec.sms_reminders = read_consent(cr, cr.object("sms_reminders"), "sms_reminders", errors);
    cr.unknown_fields();
  }
  // Fields the API shows but a client cannot set.
  for (auto name : {"id", "status", "version", "warnings", "created_at", "updated_at",
                    "merged_into", "confirm_new"}) {
    r.ignore(name);
  }
  r.unknown_fields();
  if (!errors.empty()) {
    auto e =
        core::Error::make(core::ErrorCode::invalid_input,
                          "Die Patientendaten sind fehlerhaft. / The patient data is invalid.");
    e.fields = std::move(errors);
    return tl::unexpected(e);
  }
  return out;
}

namespace {

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object& obj(const json::object& o, std::string_view key) {
  static const json::object empty;
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? v->get_object() : empty;
}

Consent consent_from(const json::object& o) {
  Consent c;
  const auto* g = o.if_contains("given");
  c.given = g && g->is_bool() && g->get_bool();
  c.at = str(o, "at");
  return c;
}

}  // namespace

Record record_from_json(const json::object& o) {
  Record r;
  r.family_name = str(o, "family_name");
  r.given_names = str(o, "given_names");
  r.title = str(o, "title");
  r.name_prefix = str(o, "name_prefix");
  r.name_suffix = str(o, "name_suffix");
  r.birth_date = str(o, "birth_date");
  r.sex = str(o, "sex");
  const auto& a = obj(o, "address");
  r.address = {str(a, "street"), str(a, "postcode"), str(a, "city"), str(a, "country")};
  if (const auto* phones = o.if_contains("phones"); phones && phones->is_array()) {
    for (const auto& p : phones->get_array()) {
      if (p.is_object())
        r.phones.push_back({str(p.get_object(), "kind"), str(p.get_object(), "number")});
    }
  }
  r.email = str(o, "email");
  const auto& i = obj(o, "insurance");
  r.insurance = {str(i, "kind"), str(i, "insurer_name"), str(i, "ik"), str(i, "kvnr")};
  r.language = str(o, "language");
  r.note = str(o, "note");
  const auto& c = obj(o, "consents");
  r.email_reminders = consent_from(obj(c, "email_reminders"));
  r.sms_reminders = consent_from(obj(c, "sms_reminders"));
  return r;
}

}  // namespace praxis::patients
