#include "booking/booking_service.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "core/json_text.hpp"
#include "core/phone.hpp"
#include "core/random.hpp"
#include "core/text.hpp"
#include "crypto/blind_index.hpp"
#include "crypto/encoding.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/token.hpp"
#include "patients/record.hpp"
#include "scheduling/config.hpp"

namespace praxis::booking {

namespace json = boost::json;
using core::ErrorCode;
using scheduling::Instant;
using store::Transaction;
using store::TxMode;

namespace {

constexpr std::size_t kMaxIdempotencyKey = 255;
constexpr std::size_t kMaxMessage = 1000;
constexpr std::size_t kPracticeIdChars = 32;
// Booking references avoid letters and digits that are easily confused (0/O, 1/I/L).
constexpr std::string_view kReferenceAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

// Server-wide: a practice by its slug, a booking by its manage token, expiry.
template <typename Fn>
core::Result<void> in_tx(store::Store& store, TxMode mode, Fn&& fn) {
  return store::with_transaction(store, mode, std::forward<Fn>(fn));
}

core::Error not_found(std::string what) {
  return core::Error::make(ErrorCode::not_found, std::move(what));
}

core::Error field_error(std::string message, std::string field, std::string code,
                        std::string detail) {
  auto e = core::Error::make(ErrorCode::invalid_input, std::move(message));
  e.fields.push_back({std::move(field), std::move(code), std::move(detail)});
  return e;
}

std::vector<std::uint8_t> sha256(std::string_view text) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &length, EVP_sha256(), nullptr);
  out.resize(length);
  return out;
}

std::int64_t epoch(Instant t) { return t.time_since_epoch().count(); }
Instant instant(std::int64_t s) { return Instant(std::chrono::seconds(s)); }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool mobile(std::string_view e164) {
  return e164.starts_with("+4915") || e164.starts_with("+4916") || e164.starts_with("+4917");
}

// Everything the booking request carries, validated.
struct Request {
  std::string type_id;
  std::optional<std::string> practitioner;  // nullopt: any
  Instant start;
  patients::Record record;
  std::string phone;  // E.164
  std::string email;  // normalised
  std::string insurance_kind;
  bool new_patient = false;
  std::string message;
  bool reminder_consent = false;
  std::string language = "de";  // of the page the booker used; messages follow it
  std::string altcha;
};

core::Result<Request> parse_request(const json::object& body, std::string_view today,
                                    bool proof_of_work) {
  auto e = core::Error::make(ErrorCode::invalid_input,
                             "Die Buchung ist unvollständig oder fehlerhaft. / The booking is "
                             "incomplete or invalid.");
  auto add = [&](std::string field, std::string code, std::string message) {
    e.fields.push_back({std::move(field), std::move(code), std::move(message)});
  };
  auto required = [&](std::string field) {
    add(std::move(field), "required", "Pflichtfeld. / Required.");
  };
  // The member `key` of `o` if it has the JSON kind wanted; absent or null is an error
  // only when `needed`, a wrong kind always.
  auto member = [&](const json::object& o, std::string_view key, std::string path, bool needed,
                    json::kind kind) -> const json::value* {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) {
      if (needed) required(std::move(path));
      return nullptr;
    }
    if (v->kind() != kind) {
      add(std::move(path), "type",
          kind == json::kind::bool_ ? "true oder false erwartet. / Expected a boolean."
                                    : "Text erwartet. / Expected a string.");
      return nullptr;
    }
    return v;
  };
  auto text_of = [&](const json::object& o, std::string_view key, std::string path,
                     bool needed) -> std::optional<std::string> {
    const auto* v = member(o, key, std::move(path), needed, json::kind::string);
    if (!v) return std::nullopt;
    return std::string(core::trim(v->get_string()));
  };
  auto bool_of = [&](const json::object& o, std::string_view key, std::string path,
                     bool needed) -> std::optional<bool> {
    const auto* v = member(o, key, std::move(path), needed, json::kind::bool_);
    if (!v) return std::nullopt;
    return v->get_bool();
  };

  Request req;
  for (const auto& [key, _] : body) {
    static constexpr std::string_view kKnown[] = {
        "appointment_type", "practitioner",     "start",  "patient",
        "message",          "reminder_consent", "altcha", "language"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      add(std::string(key), "unknown", "Unbekanntes Feld. / Unknown field.");
    }
  }
  if (auto t = text_of(body, "appointment_type", "appointment_type", true)) req.type_id = *t;
  if (auto p = text_of(body, "practitioner", "practitioner", false);
      p && !p->empty() && *p != "any") {
    req.practitioner = *p;
  }
  if (auto s = text_of(body, "start", "start", true)) {
    if (auto at = scheduling::parse_instant(*s)) {
      req.start = *at;
    } else {
      add("start", "invalid",
          "Zeitpunkt nach RFC 3339, z. B. 2026-12-01T09:00:00+01:00. / An RFC 3339 time.");
    }
  }
  if (auto m = text_of(body, "message", "message", false)) {
    if (!core::valid_utf8(*m) || core::utf8_length(*m) > kMaxMessage) {
      add("message", "length", "Höchstens 1000 Zeichen. / At most 1000 characters.");
    } else {
      req.message = core::to_nfc(*m);
    }
  }
  req.reminder_consent =
      bool_of(body, "reminder_consent", "reminder_consent", false).value_or(false);
  if (auto a = text_of(body, "altcha", "altcha", proof_of_work)) req.altcha = *a;
  if (auto l = text_of(body, "language", "language", false)) {
    if (*l == "de" || *l == "en") {
      req.language = *l;
    } else if (!l->empty()) {
      add("language", "invalid", "de oder en. / de or en.");
    }
  }

  const auto* patient = body.if_contains("patient");
  if (!patient || !patient->is_object()) {
    required("patient");
    return tl::unexpected(e);
  }
  const auto& p = patient->as_object();
  for (const auto& [key, _] : p) {
    static constexpr std::string_view kKnown[] = {"family_name", "given_names", "birth_date",
                                                  "phone",       "email",       "insurance_kind",
                                                  "new_patient"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      add("patient." + std::string(key), "unknown", "Unbekanntes Feld. / Unknown field.");
    }
  }
  const auto family = text_of(p, "family_name", "patient.family_name", true);
  const auto given = text_of(p, "given_names", "patient.given_names", true);
  const auto birth = text_of(p, "birth_date", "patient.birth_date", true);
  const auto phone = text_of(p, "phone", "patient.phone", false);
  const auto email = text_of(p, "email", "patient.email", false);
  const auto kind = text_of(p, "insurance_kind", "patient.insurance_kind", true);
  req.new_patient = bool_of(p, "new_patient", "patient.new_patient", true).value_or(false);
  if ((!phone || phone->empty()) && (!email || email->empty())) {
    add("patient.phone", "required",
        "Telefonnummer oder E-Mail-Adresse angeben. / Give a phone number or an e-mail "
        "address.");
  }
  if (family && family->empty()) required("patient.family_name");
  if (given && given->empty()) required("patient.given_names");
  if (birth && birth->empty()) required("patient.birth_date");

  // The patient fields go through the record's own validation, so the rules are the
  // staff API's (names NFC and length-limited, birth date range, E.164, e-mail syntax).
  json::object record{{"family_name", family.value_or("")},
                      {"given_names", given.value_or("")},
                      {"birth_date", birth.value_or("")}};
  if (phone && !phone->empty()) {
    const auto normalised = core::normalize_phone(*phone);
    record["phones"] = json::array{json::object{
        {"kind", normalised && mobile(*normalised) ? "mobile" : "other"}, {"number", *phone}}};
  }
  if (email && !email->empty()) record["email"] = *email;
  if (kind && !kind->empty()) {
    static constexpr std::string_view kKinds[] = {"GKV", "PKV", "self_pay", "BG"};
    std::string k = *kind;
    for (auto known : kKinds) {
      if (lower(k) == lower(std::string(known))) k = known;
    }
    record["insurance"] = json::object{{"kind", k}};
  }
  record["consents"] = json::object{
      {"email_reminders",
       json::object{{"given", req.reminder_consent && email && !email->empty()}}},
      {"sms_reminders", json::object{{"given", req.reminder_consent && phone && !phone->empty()}}}};
  auto parsed = patients::parse_record(record, today);
  if (!parsed) {
    for (const auto& f : parsed.error().fields) {
      std::string field = f.field;
      if (field.starts_with("phones")) field = "phone";
      if (field.starts_with("insurance")) field = "insurance_kind";
      if (field.starts_with("consents")) continue;
      const std::string path = "patient." + field;
      const bool seen = std::any_of(e.fields.begin(), e.fields.end(),
                                    [&](const core::FieldError& x) { return x.field == path; });
      if (!seen) add(path, f.code, f.message);
    }
  }
  if (!e.fields.empty()) return tl::unexpected(e);
  req.record = std::move(parsed->record);
  req.record.language = req.language;
  if (!req.record.phones.empty()) req.phone = req.record.phones.front().number;
  req.email = req.record.email;
  req.insurance_kind = req.record.insurance.kind;
  return req;
}

std::string new_reference(core::Random& random) {
  std::array<std::uint8_t, 8> bytes{};
  random.fill(bytes);
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4) out += '-';
    out += kReferenceAlphabet[bytes[i] % kReferenceAlphabet.size()];
  }
  return out;
}

json::object type_names(const scheduling::TypeDoc& t) {
  return {{"name", t.name_de}, {"name_en", t.name_en.empty() ? t.name_de : t.name_en}};
}

}  // namespace

struct BookingService::Found {
  store::PracticeRow practice;
  store::OnlineBookingRow booking;
  store::AppointmentRow appointment;
  scheduling::TypeDoc type;
  scheduling::SettingsDoc settings;
};

BookingService::BookingService(store::Store& store, patients::PatientService& patients,
                               scheduling::SchedulingService& scheduling, audit::Trail& trail,
                               core::Clock& clock, core::Random& random, notify::Notifier* notifier,
                               BookingOptions options)
    : store_(store),
      patients_(patients),
      scheduling_(scheduling),
      trail_(trail),
      clock_(clock),
      random_(random),
      notifier_(notifier),
      options_(std::move(options)) {}

audit::Context BookingService::public_context(std::string request_id, std::string client_address) {
  audit::Context c;
  c.actor = {"public", "booking", ""};
  c.purpose = "patient_request";
  c.request_id = std::move(request_id);
  c.client_address = std::move(client_address);
  return c;
}

core::Result<store::PracticeRow> BookingService::practice_by_slug(std::string_view slug) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = practices_.find(slug);
        it != practices_.end() && now - it->second.second < kPracticeTtl) {
      return it->second.first;
    }
  }
  std::optional<store::PracticeRow> row;
  auto r = in_tx(store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
    auto found = tx.practices().find_by_slug(slug);
    if (!found) return tl::unexpected(found.error());
    row = std::move(*found);
    return {};
  });
  if (!r) return tl::unexpected(r.error());
  if (!row) return tl::unexpected(not_found("Praxis nicht gefunden. / Practice not found."));
  std::lock_guard lock(mutex_);
  if (practices_.size() > kMaxCachedPractices) practices_.clear();
  practices_.insert_or_assign(std::string(slug), std::make_pair(*row, now));
  return std::move(*row);
}

core::Result<std::vector<std::string>> BookingService::embed_origins(std::string_view slug) {
  auto practice = practice_by_slug(slug);
  if (!practice) return tl::unexpected(practice.error());
  auto rules = scheduling_.rules(practice->id);
  if (!rules) return tl::unexpected(rules.error());
  return std::move(rules->embed_origins);
}

core::Result<std::shared_ptr<const BookingService::PracticeSecrets>> BookingService::secrets(
    std::string_view practice_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = secrets_.find(std::string(practice_id)); it != secrets_.end()) return it->second;
  }
  crypto::KeyPtr key;
  auto r = store::with_practice_transaction(store_, practice_id, TxMode::read_only,
                                            [&](Transaction& tx) -> core::Result<void> {
                                              auto k = patients_.practice_key(tx, practice_id);
                                              if (!k) return tl::unexpected(k.error());
                                              key = *k;
                                              return {};
                                            });
  if (!r) return tl::unexpected(r.error());
  const auto index = crypto::KeyRing::index_key(*key);
  auto made = std::make_shared<const PracticeSecrets>(
      PracticeSecrets{crypto::KeyRing::column_key(index, "booking.pow"),
                      crypto::BlindIndex(crypto::KeyRing::column_key(index, "booking.contact"),
                                         "booking.contact")});
  std::lock_guard lock(mutex_);
  return secrets_.try_emplace(std::string(practice_id), std::move(made)).first->second;
}

core::Result<json::object> BookingService::practice_info(std::string_view slug) {
  auto practice = practice_by_slug(slug);
  if (!practice) return tl::unexpected(practice.error());
  auto types = scheduling_.list(practice->id, store::ConfigKind::appointment_type);
  if (!types) return tl::unexpected(types.error());
  auto practitioners = scheduling_.list(practice->id, store::ConfigKind::practitioner);
  if (!practitioners) return tl::unexpected(practitioners.error());
  json::array type_list;
  std::set<std::string> offering;
  for (const auto& view : *types) {
    auto t = scheduling::parse_type(view.doc);
    if (!t || !view.row.active || !t->online_bookable) continue;
    json::array who;
    for (const auto& id : t->practitioners) {
      who.emplace_back(id);
      offering.insert(id);
    }
    json::array kinds;
    for (const auto& k : t->insurance_kinds) kinds.emplace_back(k);
    json::object o{{"id", view.row.id}};
    for (auto& [k, v] : type_names(*t)) o[k] = v;
    o["duration_minutes"] = t->duration_minutes;
    o["new_patients"] = t->new_patients;
    o["existing_patients"] = t->existing_patients;
    o["insurance_kinds"] = std::move(kinds);
    o["practitioners"] = std::move(who);
    type_list.push_back(std::move(o));
  }
  json::array practitioner_list;
  for (const auto& view : *practitioners) {
    auto p = scheduling::parse_practitioner(view.doc);
    if (!p || !view.row.active || !offering.contains(view.row.id)) continue;
    practitioner_list.push_back(json::object{{"id", view.row.id}, {"display_name", p->name}});
  }
  return json::object{{"slug", practice->slug},
                      {"name", practice->name},
                      {"address", json::object{{"street", practice->street},
                                               {"postcode", practice->postcode},
                                               {"city", practice->city}}},
                      {"proof_of_work", options_.proof_of_work},
                      {"appointment_types", std::move(type_list)},
                      {"practitioners", std::move(practitioner_list)}};
}

core::Result<std::string> BookingService::availability(std::string_view slug,
                                                       std::string_view type_id,
                                                       std::optional<std::string> practitioner,
                                                       date::local_days from, date::local_days to) {
  auto practice = practice_by_slug(slug);
  if (!practice) return tl::unexpected(practice.error());
  auto offer = scheduling_.offer(practice->id, type_id, std::move(practitioner), from, to,
                                 /*online=*/true);
  if (!offer) return tl::unexpected(offer.error());
  const auto& starts = *offer->starts;
  // Written directly: this is the public hot path, and every value is an RFC 3339 time
  // or an id of hex digits (nothing to escape). Rendered once per cached answer.
  const auto slots =
      starts.joined(offer->first, offer->last, [&](std::string& out, const scheduling::Slot& s) {
        out += "{\"start\":\"";
        out += scheduling::rfc3339(s.start, zone());
        out += "\",\"end\":\"";
        out += scheduling::rfc3339(s.start + starts.duration, zone());
        out += "\",\"practitioner\":";
        core::append_json_string(out, s.practitioner);
        out += '}';
      });
  std::string out;
  out.reserve(slots.size() + 16);
  out += "{\"slots\":[";
  out += slots;
  out += "]}";
  return out;
}

core::Result<json::object> BookingService::challenge(std::string_view slug) {
  auto practice = practice_by_slug(slug);
  if (!practice) return tl::unexpected(practice.error());
  if (!options_.proof_of_work) {
    return core::fail(ErrorCode::not_found,
                      "Diese Praxis verlangt keine Sicherheitsprüfung. / This server requires no "
                      "proof-of-work.");
  }
  auto s = secrets(practice->id);
  if (!s) return tl::unexpected(s.error());
  return make_challenge((*s)->pow, random_, clock_.now(), options_.pow);
}

core::Result<std::vector<std::string>> BookingService::bookable(
    const store::PracticeRow& practice, std::string_view type_id,
    const std::optional<std::string>& practitioner, Instant start) {
  auto settings = scheduling_.rules(practice.id);
  if (!settings) return tl::unexpected(settings.error());
  const auto now = std::chrono::floor<std::chrono::seconds>(clock_.now());
  if (start <= now) {
    return tl::unexpected(
        field_error("Dieser Zeitpunkt liegt in der Vergangenheit. / This time "
                    "is in the past.",
                    "start", "past", "in der Vergangenheit / in the past"));
  }
  if (start < now + std::chrono::minutes(settings->min_notice_minutes)) {
    return tl::unexpected(
        field_error("Online-Termine brauchen " + std::to_string(settings->min_notice_minutes) +
                        " Minuten Vorlauf. / Online bookings need " +
                        std::to_string(settings->min_notice_minutes) + " minutes' notice.",
                    "start", "notice", "zu kurzfristig / too soon"));
  }
  const auto today = date::floor<date::days>(zone()->to_local(now));
  const auto day = date::floor<date::days>(zone()->to_local(start));
  if (day > today + date::days(settings->horizon_days)) {
    return tl::unexpected(field_error("Online-Termine höchstens " +
                                          std::to_string(settings->horizon_days) +
                                          " Tage im Voraus. / Online bookings at most " +
                                          std::to_string(settings->horizon_days) + " days ahead.",
                                      "start", "horizon", "zu weit im Voraus / too far ahead"));
  }
  auto offered = scheduling_.plan_offers(practice.id, type_id, practitioner, start);
  if (!offered) return tl::unexpected(offered.error());
  if (offered->empty()) {
    return tl::unexpected(field_error(
        "Zu dieser Zeit wird der Termin nicht angeboten (außerhalb der Sprechzeiten oder "
        "nicht im Zeitraster). / The appointment is not offered at this time (outside the "
        "working hours or off the grid).",
        "start", "not_offered", "nicht angeboten / not offered"));
  }
  auto free = scheduling_.availability(practice.id, type_id, practitioner, day, day,
                                       /*online=*/true);
  if (!free) return tl::unexpected(free.error());
  std::vector<std::string> out;
  for (auto& s : *free) {
    if (s.start == start) out.push_back(std::move(s.practitioner));
  }
  if (out.empty()) {
    return core::fail(ErrorCode::conflict,
                      "Dieser Termin wurde gerade vergeben; bitte wählen Sie eine andere Zeit. / "
                      "This time was just taken; please choose another.");
  }
  return out;
}

core::Result<std::optional<BookingAnswer>> BookingService::replay(
    const store::PracticeRow& practice, const std::vector<std::uint8_t>& key_hash,
    const std::vector<std::uint8_t>& request_hash) {
  std::optional<BookingAnswer> out;
  auto r = store::with_practice_transaction(
      store_, practice.id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto row = tx.booking().find_idempotent(practice.id, key_hash);
        if (!row) return tl::unexpected(row.error());
        if (!*row ||
            (*row)->expires_at < epoch(std::chrono::floor<std::chrono::seconds>(clock_.now())))
          return {};
        if ((*row)->request_hash != request_hash) {
          return core::fail(ErrorCode::conflict,
                            "Dieser Idempotency-Key gehört zu einer anderen Buchung. / This "
                            "Idempotency-Key belongs to another booking request.");
        }
        auto text = trail_.open(tx, practice.id, "idempotency_keys", crypto::hex_encode(key_hash),
                                (*row)->response);
        if (!text) return tl::unexpected(text.error());
        boost::system::error_code ec;
        auto value = json::parse(*text, ec);
        if (ec || !value.is_object()) {
          return core::fail(ErrorCode::internal, "", "idempotency answer: not JSON");
        }
        out = BookingAnswer{std::move(value.as_object()), true};
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<BookingAnswer> BookingService::book(const audit::Context& context,
                                                 std::string_view slug, std::string_view body,
                                                 std::optional<std::string_view> idempotency_key) {
  auto practice = practice_by_slug(slug);
  if (!practice) return tl::unexpected(practice.error());
  std::vector<std::uint8_t> key_hash;
  std::vector<std::uint8_t> request_hash;
  if (idempotency_key) {
    const auto& k = *idempotency_key;
    const bool printable =
        std::all_of(k.begin(), k.end(), [](unsigned char c) { return c >= 0x21 && c <= 0x7E; });
    if (k.empty() || k.size() > kMaxIdempotencyKey || !printable) {
      return tl::unexpected(field_error(
          "Idempotency-Key: 1–255 sichtbare ASCII-Zeichen. / Idempotency-Key: 1–255 visible "
          "ASCII characters.",
          "Idempotency-Key", "invalid", "1–255 ASCII"));
    }
    key_hash = sha256(k);
    request_hash = sha256(body);
    auto first = replay(*practice, key_hash, request_hash);
    if (!first) return tl::unexpected(first.error());
    if (*first) return std::move(**first);
  }

  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    return core::fail(ErrorCode::invalid_input,
                      "Die Anfrage ist kein JSON-Objekt. / The request is not a JSON object.");
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(clock_.now());
  auto request =
      parse_request(value.as_object(), core::to_iso8601(now).substr(0, 10), options_.proof_of_work);
  if (!request) return tl::unexpected(request.error());
  auto s = secrets(practice->id);
  if (!s) return tl::unexpected(s.error());
  std::optional<SpentChallenge> spent;
  if (options_.proof_of_work) {
    auto v = verify_solution((*s)->pow, request->altcha, now);
    if (!v) return tl::unexpected(v.error());
    spent = std::move(*v);
  }

  // The type as the public page offers it.
  auto found_type = scheduling_.type(practice->id, request->type_id);
  if (!found_type && found_type.error().code != ErrorCode::not_found) {
    return tl::unexpected(found_type.error());
  }
  std::optional<scheduling::TypeDoc> type;
  if (found_type && found_type->active && found_type->doc.online_bookable) type = found_type->doc;
  if (!type) {
    return tl::unexpected(field_error("Unbekannter Termintyp. / Unknown appointment type.",
                                      "appointment_type", "unknown", "?"));
  }
  if ((request->new_patient && !type->new_patients) ||
      (!request->new_patient && !type->existing_patients)) {
    return tl::unexpected(field_error(
        request->new_patient
            ? "Dieser Termin ist nur für Patientinnen und Patienten der Praxis. / This "
              "appointment is for existing patients only."
            : "Dieser Termin ist nur für neue Patientinnen und Patienten. / This appointment is "
              "for new patients only.",
        "patient.new_patient", "not_offered", "nicht für diese Gruppe / not for this group"));
  }
  if (!type->insurance_kinds.empty() &&
      std::none_of(
          type->insurance_kinds.begin(), type->insurance_kinds.end(),
          [&](const std::string& k) { return lower(k) == lower(request->insurance_kind); })) {
    return tl::unexpected(
        field_error("Dieser Termin wird für diese Versicherungsart nicht online angeboten. / This "
                    "appointment is not offered online for this kind of insurance.",
                    "patient.insurance_kind", "not_offered", "nicht angeboten / not offered"));
  }
  auto candidates = bookable(*practice, request->type_id, request->practitioner, request->start);
  if (!candidates) return tl::unexpected(candidates.error());

  auto settings = scheduling_.rules(practice->id);
  if (!settings) return tl::unexpected(settings.error());
  const auto& contact = (*s)->contact;
  std::optional<std::int64_t> phone_hash;
  std::optional<std::int64_t> email_hash;
  if (!request->phone.empty()) {
    phone_hash = static_cast<std::int64_t>(
        contact.hash("phone:" + request->phone, crypto::IndexWidth::wide));
  }
  if (!request->email.empty()) {
    email_hash = static_cast<std::int64_t>(
        contact.hash("email:" + request->email, crypto::IndexWidth::wide));
  }
  const json::object entered{{"family_name", request->record.family_name},
                             {"given_names", request->record.given_names},
                             {"birth_date", request->record.birth_date},
                             {"phone", request->phone},
                             {"email", request->email},
                             {"insurance_kind", request->insurance_kind},
                             {"new_patient", request->new_patient},
                             {"message", request->message},
                             {"reminder_consent", request->reminder_consent},
                             {"language", request->language}};

  // The patient lookup, encryption and indexing happen here, on the worker, so the
  // store's single writer only inserts.
  auto prepared = patients_.prepare_link(practice->id, request->record);
  if (!prepared) return tl::unexpected(prepared.error());

  // The ids the booking will have, and its messages, made here too.
  const std::string appointment_id = core::random_hex(random_, 16);
  const std::string reference = new_reference(random_);
  const std::string token = practice->id + "." + crypto::generate_token();
  std::vector<store::OutboxRow> messages;
  if (notifier_) {
    store::AppointmentRow will_be;
    will_be.practice_id = practice->id;
    will_be.id = appointment_id;
    will_be.starts_at = epoch(request->start);
    will_be.ends_at = will_be.starts_at + type->duration_minutes * 60;
    auto made = notifier_->prepare_booked(
        {*practice, will_be, *type, reference, token},
        {request->email, request->phone, request->language, request->reminder_consent});
    if (!made) return tl::unexpected(made.error());
    messages = std::move(*made);
  }

  BookingAnswer answer;
  auto written = store::with_practice_transaction(
      store_, practice->id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        answer = {};
        if (!key_hash.empty()) {
          // Another request with the same key may have committed since the check above.
          auto row = tx.booking().find_idempotent(practice->id, key_hash);
          if (!row) return tl::unexpected(row.error());
          if (*row) return {};
        }
        if (spent) {
          if (auto used = tx.booking().use_challenge(practice->id, spent->nonce, spent->expires_at);
              !used) {
            if (used.error().code != ErrorCode::conflict) return used;
            return tl::unexpected(field_error(
                "Diese Sicherheitsprüfung wurde schon verwendet; bitte erneut absenden. / This "
                "proof-of-work was used already; please send again.",
                "altcha", "used", "schon verwendet / used"));
          }
        }
        auto count = tx.booking().count_future(practice->id, phone_hash, email_hash, epoch(now));
        if (!count) return tl::unexpected(count.error());
        if (*count >= settings->max_future_online_bookings) {
          return core::fail(ErrorCode::conflict,
                            "Mit diesen Kontaktdaten sind schon " +
                                std::to_string(settings->max_future_online_bookings) +
                                " Termine online gebucht; bitte rufen Sie die Praxis an. / " +
                                std::to_string(settings->max_future_online_bookings) +
                                " appointments are already booked online with this contact; "
                                "please call the practice.");
        }
        std::vector<audit::Event> events;
        auto linked = patients_.link(tx, *prepared, events);
        if (!linked) return tl::unexpected(linked.error());

        // The booker's entries, for staff to review, sealed under the practice key and bound
        // to the appointment.
        auto sealed =
            trail_.seal(tx, practice->id, "appointments", appointment_id, json::serialize(entered));
        if (!sealed) return tl::unexpected(sealed.error());
        std::optional<store::AppointmentRow> appointment;
        for (std::size_t i = 0; i < candidates->size(); ++i) {
          scheduling::NewAppointment input;
          input.id = appointment_id;
          input.details = *sealed;
          input.type_id = request->type_id;
          input.practitioner_id = (*candidates)[i];
          input.patient_id = linked->patient_id;
          input.start = request->start;
          input.source = "online";
          auto booked = scheduling_.book(tx, context, practice->id, input, &events);
          if (booked) {
            appointment = std::move(*booked);
            break;
          }
          if (booked.error().code != ErrorCode::conflict || i + 1 == candidates->size()) {
            if (booked.error().code == ErrorCode::conflict) {
              return core::fail(ErrorCode::conflict,
                                "Dieser Termin wurde gerade vergeben; bitte wählen Sie eine andere "
                                "Zeit. / This time was just taken; please choose another.");
            }
            return tl::unexpected(booked.error());
          }
        }
        store::OnlineBookingRow row;
        row.practice_id = practice->id;
        row.id = reference;
        row.appointment_id = appointment->id;
        const auto hash = crypto::hash_token(token);
        row.token_hash.assign(hash.begin(), hash.end());
        row.phone_hash = phone_hash;
        row.email_hash = email_hash;
        row.new_patient = linked->created;
        row.created_at = core::to_iso8601(now);
        if (auto ins = tx.booking().insert_booking(row); !ins) return ins;

        answer.body = json::object{
            {"reference", row.id},
            {"manage_token", token},
            {"start", scheduling::rfc3339(instant(appointment->starts_at), zone())},
            {"end", scheduling::rfc3339(instant(appointment->ends_at), zone())},
            {"appointment_type", type_names(*type)},
            {"instructions", type->instructions_de},
            {"instructions_en",
             type->instructions_en.empty() ? type->instructions_de : type->instructions_en}};
        if (!key_hash.empty()) {
          auto response = trail_.seal(tx, practice->id, "idempotency_keys",
                                      crypto::hex_encode(key_hash), json::serialize(answer.body));
          if (!response) return tl::unexpected(response.error());
          store::IdempotencyRow idem{practice->id, key_hash, request_hash, std::move(*response),
                                     epoch(now + std::chrono::duration_cast<std::chrono::seconds>(
                                                     options_.idempotency_ttl))};
          if (auto ins = tx.booking().insert_idempotent(idem); !ins) return ins;
        }
        if (notifier_) {
          auto told = notifier_->queue(tx, messages);
          if (!told) return told;
        }
        events.push_back({"booking.create", "online_booking", row.id});
        auto a = trail_.record(tx, practice->id, context, events);
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!written || answer.body.empty()) {
    // A concurrent request with the same key won: answer as it did.
    if (!key_hash.empty()) {
      auto first = replay(*practice, key_hash, request_hash);
      if (first && *first) return std::move(**first);
    }
    if (!written) return tl::unexpected(written.error());
    return core::fail(ErrorCode::conflict,
                      "Diese Buchung wird gerade bearbeitet. / This booking is being processed.");
  }
  return answer;
}

core::Result<BookingService::Found> BookingService::find(Transaction& tx, std::string_view token) {
  const auto dot = token.find('.');
  const auto unknown = not_found("Buchung nicht gefunden. / Booking not found.");
  if (dot != kPracticeIdChars || !crypto::looks_like_token(token.substr(dot + 1))) {
    return tl::unexpected(unknown);
  }
  const std::string practice_id(token.substr(0, dot));
  // The token names its practice: the rest of the transaction works for it alone.
  if (auto scoped = tx.scope(practice_id); !scoped) return tl::unexpected(scoped.error());
  const auto hash = crypto::hash_token(token);
  auto booking = tx.booking().find_by_token(practice_id, hash);
  if (!booking) return tl::unexpected(booking.error());
  if (!*booking) return tl::unexpected(unknown);
  Found f;
  f.booking = std::move(**booking);
  auto practice = tx.practices().find(practice_id);
  if (!practice) return tl::unexpected(practice.error());
  if (!*practice) return tl::unexpected(unknown);
  f.practice = std::move(**practice);
  auto appointment = tx.scheduling().find_appointment(practice_id, f.booking.appointment_id);
  if (!appointment) return tl::unexpected(appointment.error());
  if (!*appointment) return tl::unexpected(unknown);
  f.appointment = std::move(**appointment);
  // A type switched off or removed later still names the booking's appointment.
  if (auto type = scheduling_.type(tx, practice_id, f.appointment.type_id)) f.type = type->doc;
  auto settings = scheduling_.rules(tx, practice_id);
  if (!settings) return tl::unexpected(settings.error());
  f.settings = std::move(*settings);
  return f;
}

json::object BookingService::view_of(const Found& f) const {
  const auto deadline =
      instant(f.appointment.starts_at) - std::chrono::hours(f.settings.cancellation_deadline_hours);
  const bool changeable = f.appointment.status == "booked" && clock_.now() < deadline;
  return json::object{
      {"reference", f.booking.id},
      {"status", f.appointment.status},
      {"start", scheduling::rfc3339(instant(f.appointment.starts_at), zone())},
      {"end", scheduling::rfc3339(instant(f.appointment.ends_at), zone())},
      {"appointment_type", type_names(f.type)},
      {"appointment_type_id", f.appointment.type_id},
      {"practitioner", f.appointment.practitioner_id},
      {"practice", json::object{{"slug", f.practice.slug},
                                {"name", f.practice.name},
                                {"address", json::object{{"street", f.practice.street},
                                                         {"postcode", f.practice.postcode},
                                                         {"city", f.practice.city}}}}},
      {"changeable_until", scheduling::rfc3339(deadline, zone())},
      {"changeable", changeable}};
}

core::Result<json::object> BookingService::view(std::string_view token) {
  json::object out;
  auto r = in_tx(store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
    auto f = find(tx, token);
    if (!f) return tl::unexpected(f.error());
    out = view_of(*f);
    return {};
  });
  if (!r) return tl::unexpected(r.error());
  return out;
}

namespace {

core::Result<void> changeable(const json::object& view) {
  if (view.at("status").as_string() != "booked") {
    return core::fail(ErrorCode::conflict,
                      "Dieser Termin ist nicht mehr aktiv. / This appointment is no longer "
                      "active.");
  }
  if (!view.at("changeable").as_bool()) {
    return core::fail(ErrorCode::conflict,
                      "Die Frist für Änderungen ist abgelaufen; bitte rufen Sie die Praxis an. / "
                      "The deadline for changes has passed; please call the practice.");
  }
  return {};
}

}  // namespace

core::Result<json::object> BookingService::change_booking(std::string_view token, Change change,
                                                          const Apply& apply) {
  json::object out;
  auto r = in_tx(store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
    auto f = find(tx, token);
    if (!f) return tl::unexpected(f.error());
    if (auto ok = changeable(view_of(*f)); !ok) return ok;
    auto changed = apply(tx, *f);
    if (!changed) return tl::unexpected(changed.error());
    f->appointment = std::move(*changed);
    if (notifier_) {
      const notify::AppointmentFacts facts{f->practice, f->appointment, f->type, f->booking.id,
                                           std::string(token)};
      auto told =
          change == Change::cancel ? notifier_->cancelled(tx, facts) : notifier_->moved(tx, facts);
      if (!told) return told;
    }
    out = view_of(*f);
    return {};
  });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<json::object> BookingService::cancel(const audit::Context& context,
                                                  std::string_view token) {
  return change_booking(token, Change::cancel, [&](Transaction& tx, const Found& f) {
    scheduling::AppointmentChange change;
    change.status = "cancelled";
    change.cancel_reason = "patient";
    return scheduling_.change(tx, context, f.practice.id, f.appointment.id, f.appointment.version,
                              change);
  });
}

core::Result<json::object> BookingService::reschedule(const audit::Context& context,
                                                      std::string_view token,
                                                      const json::object& body) {
  auto e = core::Error::make(ErrorCode::invalid_input,
                             "Die Umbuchung ist fehlerhaft. / The rescheduling is invalid.");
  std::optional<Instant> start;
  std::optional<std::string> practitioner;
  for (const auto& [key, v] : body) {
    if (key == "start" && v.is_string()) {
      start = scheduling::parse_instant(v.as_string());
      if (!start) e.fields.push_back({"start", "invalid", "RFC 3339"});
    } else if (key == "practitioner" && v.is_string()) {
      if (!v.as_string().empty() && v.as_string() != "any")
        practitioner = std::string(v.as_string());
    } else if (key != "start" && key != "practitioner") {
      e.fields.push_back({std::string(key), "unknown", "Unbekanntes Feld. / Unknown field."});
    } else {
      e.fields.push_back({std::string(key), "type", "Text erwartet. / Expected a string."});
    }
  }
  if (!body.contains("start"))
    e.fields.push_back({"start", "required", "Pflichtfeld. / Required."});
  if (!e.fields.empty()) return tl::unexpected(e);

  // Read first (outside the write transaction): the booking, and whether it may change.
  Found found;
  auto loaded = in_tx(store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
    auto f = find(tx, token);
    if (!f) return tl::unexpected(f.error());
    if (auto ok = changeable(view_of(*f)); !ok) return ok;
    found = std::move(*f);
    return {};
  });
  if (!loaded) return tl::unexpected(loaded.error());
  auto candidates = bookable(found.practice, found.appointment.type_id, practitioner, *start);
  if (!candidates) return tl::unexpected(candidates.error());

  return change_booking(
      token, Change::move,
      [&](Transaction& tx, const Found& f) -> core::Result<store::AppointmentRow> {
        for (std::size_t i = 0;; ++i) {
          scheduling::AppointmentChange change;
          change.start = *start;
          change.practitioner_id = (*candidates)[i];
          auto moved = scheduling_.change(tx, context, f.practice.id, f.appointment.id,
                                          f.appointment.version, change);
          if (moved || moved.error().code != ErrorCode::conflict || i + 1 == candidates->size()) {
            return moved;
          }
        }
      });
}

core::Result<std::vector<PendingBooking>> BookingService::pending(const audit::Context& context,
                                                                  std::string_view practice_id,
                                                                  std::int64_t limit) {
  std::vector<PendingBooking> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        out.clear();
        auto rows = tx.booking().list_unreviewed(practice_id, limit);
        if (!rows) return tl::unexpected(rows.error());
        for (auto& b : *rows) {
          auto a = tx.scheduling().find_appointment(practice_id, b.appointment_id);
          if (!a) return tl::unexpected(a.error());
          if (!*a) continue;
          PendingBooking p{std::move(b), std::move(**a), {}};
          if (p.appointment.details) {
            auto text = trail_.open(tx, practice_id, "appointments", p.appointment.id,
                                    *p.appointment.details);
            if (!text) return tl::unexpected(text.error());
            boost::system::error_code ec;
            auto doc = json::parse(*text, ec);
            if (!ec && doc.is_object()) p.entered = std::move(doc.as_object());
          }
          out.push_back(std::move(p));
        }
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  // What the bookers entered is patient data: recorded as read before it is shown.
  audit::Event shown{"patient.list", "patient", "", "success", {}};
  for (const auto& p : out) {
    if (p.appointment.patient_id) shown.subjects.push_back(*p.appointment.patient_id);
  }
  if (!shown.subjects.empty()) {
    auto a = trail_.record(store_, practice_id, context, std::span<const audit::Event>(&shown, 1));
    if (!a) return tl::unexpected(a.error());
  }
  return out;
}

core::Result<void> BookingService::review(const audit::Context& context,
                                          std::string_view practice_id, std::string_view id) {
  const std::string now = core::to_iso8601(clock_.now());
  return store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto marked = tx.booking().mark_reviewed(practice_id, id, context.actor.id, now);
        if (!marked) return tl::unexpected(marked.error());
        if (!*marked) {
          return tl::unexpected(
              not_found("Keine offene Online-Buchung. / No online booking waiting for review."));
        }
        auto a = trail_.record(tx, practice_id, context,
                               {"booking.review", "online_booking", std::string(id)});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
}

core::Result<void> BookingService::appointment_changed(Transaction& tx,
                                                       const audit::Context& context,
                                                       const store::AppointmentRow& before,
                                                       const store::AppointmentRow& after) {
  if (!notifier_ || context.actor.kind == "public" || after.source != "online") return {};
  const bool cancelled = after.status == "cancelled" && before.status != "cancelled";
  const bool moved = after.status == "booked" && (after.starts_at != before.starts_at);
  if (!cancelled && !moved) return {};
  auto booking = tx.booking().find_by_appointment(after.practice_id, after.id);
  if (!booking) return tl::unexpected(booking.error());
  if (!*booking) return {};
  auto practice = tx.practices().find(after.practice_id);
  if (!practice) return tl::unexpected(practice.error());
  if (!*practice) return {};
  scheduling::TypeDoc type;
  if (auto t = scheduling_.type(tx, after.practice_id, after.type_id)) type = t->doc;
  const notify::AppointmentFacts facts{**practice, after, type, (*booking)->id, ""};
  return cancelled ? notifier_->cancelled(tx, facts) : notifier_->moved(tx, facts);
}

core::Result<std::int64_t> BookingService::purge_expired() {
  std::int64_t purged = 0;
  auto r = in_tx(store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
    auto n =
        tx.booking().purge_expired(epoch(std::chrono::floor<std::chrono::seconds>(clock_.now())));
    if (!n) return tl::unexpected(n.error());
    purged = *n;
    return {};
  });
  if (!r) return tl::unexpected(r.error());
  return purged;
}

}  // namespace praxis::booking
