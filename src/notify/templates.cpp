#include "notify/templates.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>

#include "core/text.hpp"

namespace praxis::notify {

namespace json = boost::json;
using core::ErrorCode;

namespace {

constexpr std::size_t kMaxSubject = 200;
constexpr std::size_t kMaxText = 5000;
constexpr std::size_t kMaxSms = 320;  // two SMS segments

const std::vector<std::string_view> kKinds{"confirmation", "reminder", "cancellation", "reschedule",
                                           "practice_notice"};
const std::vector<std::string_view> kPatientPlaceholders{
    "practice", "address", "date", "time", "type", "reference", "manage_link", "instructions"};
const std::vector<std::string_view> kPracticePlaceholders{"practice", "date",      "time",
                                                          "type",     "reference", "inbox_link"};

struct Builtin {
  std::string_view kind;
  std::string_view language;
  Template text;
};

const std::array<Builtin, 10>& builtins() {
  static const std::array<Builtin, 10> all{{
      {"confirmation",
       "de",
       {"Terminbestätigung: {{type}} am {{date}}",
        "Guten Tag,\n\nIhr Termin bei {{practice}} ist gebucht:\n\n{{type}}\n{{date}}, "
        "{{time}}\n{{address}}\n\nBuchungsnummer: {{reference}}\n\n{{instructions}}\n\nTermin "
        "ansehen, verschieben oder absagen:\n{{manage_link}}\n\nDie Kalenderdatei im Anhang "
        "trägt den Termin in Ihren Kalender ein.\n\nMit freundlichen Grüßen\n{{practice}}",
        "{{practice}}: Termin {{type}} am {{date}}, {{time}} gebucht. Ändern/absagen: "
        "{{manage_link}}"}},
      {"confirmation",
       "en",
       {"Appointment confirmed: {{type}} on {{date}}",
        "Hello,\n\nyour appointment at {{practice}} is booked:\n\n{{type}}\n{{date}}, "
        "{{time}}\n{{address}}\n\nBooking reference: {{reference}}\n\n{{instructions}}\n\nView, "
        "move or cancel the appointment:\n{{manage_link}}\n\nThe attached calendar file adds "
        "the appointment to your calendar.\n\nKind regards\n{{practice}}",
        "{{practice}}: {{type}} booked for {{date}}, {{time}}. Change/cancel: {{manage_link}}"}},
      {"reminder",
       "de",
       {"Erinnerung: {{type}} am {{date}}, {{time}}",
        "Guten Tag,\n\nwir erinnern Sie an Ihren Termin bei {{practice}}:\n\n{{type}}\n{{date}}, "
        "{{time}}\n{{address}}\n\nFalls Sie nicht kommen können, sagen Sie bitte ab:\n"
        "{{manage_link}}\n\nMit freundlichen Grüßen\n{{practice}}",
        "Erinnerung {{practice}}: {{type}} am {{date}}, {{time}}. Absagen: {{manage_link}}"}},
      {"reminder",
       "en",
       {"Reminder: {{type}} on {{date}}, {{time}}",
        "Hello,\n\nthis is a reminder of your appointment at {{practice}}:\n\n{{type}}\n{{date}}, "
        "{{time}}\n{{address}}\n\nIf you cannot come, please cancel:\n{{manage_link}}\n\nKind "
        "regards\n{{practice}}",
        "Reminder {{practice}}: {{type}} on {{date}}, {{time}}. Cancel: {{manage_link}}"}},
      {"cancellation",
       "de",
       {"Termin abgesagt: {{type}} am {{date}}",
        "Guten Tag,\n\nIhr Termin bei {{practice}} wurde abgesagt:\n\n{{type}}\n{{date}}, "
        "{{time}}\n\nBuchungsnummer: {{reference}}\n\nDie Kalenderdatei im Anhang entfernt den "
        "Termin aus Ihrem Kalender.\n\nMit freundlichen Grüßen\n{{practice}}",
        "{{practice}}: Ihr Termin {{type}} am {{date}}, {{time}} wurde abgesagt."}},
      {"cancellation",
       "en",
       {"Appointment cancelled: {{type}} on {{date}}",
        "Hello,\n\nyour appointment at {{practice}} was cancelled:\n\n{{type}}\n{{date}}, "
        "{{time}}\n\nBooking reference: {{reference}}\n\nThe attached calendar file removes the "
        "appointment from your calendar.\n\nKind regards\n{{practice}}",
        "{{practice}}: your appointment {{type}} on {{date}}, {{time}} was cancelled."}},
      {"reschedule",
       "de",
       {"Termin verschoben: {{type}} am {{date}}, {{time}}",
        "Guten Tag,\n\nIhr Termin bei {{practice}} wurde verschoben. Neuer Termin:\n\n{{type}}\n"
        "{{date}}, {{time}}\n{{address}}\n\nBuchungsnummer: {{reference}}\n\n{{manage_link}}\n\n"
        "Die Kalenderdatei im Anhang aktualisiert den Termin in Ihrem Kalender.\n\nMit "
        "freundlichen Grüßen\n{{practice}}",
        "{{practice}}: Termin {{type}} verschoben auf {{date}}, {{time}}. {{manage_link}}"}},
      {"reschedule",
       "en",
       {"Appointment moved: {{type}} on {{date}}, {{time}}",
        "Hello,\n\nyour appointment at {{practice}} was moved. New time:\n\n{{type}}\n{{date}}, "
        "{{time}}\n{{address}}\n\nBooking reference: {{reference}}\n\n{{manage_link}}\n\nThe "
        "attached calendar file updates the appointment in your calendar.\n\nKind "
        "regards\n{{practice}}",
        "{{practice}}: {{type}} moved to {{date}}, {{time}}. {{manage_link}}"}},
      {"practice_notice",
       "de",
       {"Neue Online-Buchung {{reference}}",
        "Eine neue Online-Buchung ist eingegangen: {{type}}, {{date}}, {{time}} (Buchungsnummer "
        "{{reference}}).\n\nBitte in praxis prüfen und bestätigen:\n{{inbox_link}}",
        ""}},
      {"practice_notice",
       "en",
       {"New online booking {{reference}}",
        "A new online booking came in: {{type}}, {{date}}, {{time}} (reference {{reference}})."
        "\n\nPlease review and confirm it in praxis:\n{{inbox_link}}",
        ""}},
  }};
  return all;
}

// Each {{name}} of `text`, or an error code: "braces" for an unbalanced or empty one.
std::optional<std::string> check_placeholders(std::string_view text, std::string_view kind) {
  const auto& allowed = placeholders(kind);
  std::size_t at = 0;
  while (true) {
    const auto open = text.find("{{", at);
    const auto stray = text.find("}}", at);
    if (open == std::string_view::npos) {
      if (stray != std::string_view::npos) return "braces";
      return std::nullopt;
    }
    if (stray < open) return "braces";
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return "braces";
    const auto name = text.substr(open + 2, close - open - 2);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return "unknown:" + std::string(name);
    }
    at = close + 2;
  }
}

// One line of text: escaped, with http(s) URLs as links.
void html_line(std::string& out, std::string_view line) {
  while (!line.empty()) {
    auto at = std::min(line.find("https://"), line.find("http://"));
    if (at == std::string_view::npos) {
      core::append_markup_escaped(out, line);
      return;
    }
    core::append_markup_escaped(out, line.substr(0, at));
    auto end = line.find_first_of(" \t<>\"", at);
    if (end == std::string_view::npos) end = line.size();
    const auto url = line.substr(at, end - at);
    out += "<a href=\"";
    core::append_markup_escaped(out, url);
    out += "\">";
    core::append_markup_escaped(out, url);
    out += "</a>";
    line.remove_prefix(end);
  }
}

}  // namespace

const std::vector<std::string_view>& kinds() { return kKinds; }

bool known_kind(std::string_view kind) {
  return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end();
}

bool known_language(std::string_view language) { return language == "de" || language == "en"; }

const std::vector<std::string_view>& placeholders(std::string_view kind) {
  return kind == "practice_notice" ? kPracticePlaceholders : kPatientPlaceholders;
}

Template default_template(std::string_view kind, std::string_view language) {
  for (const auto& b : builtins()) {
    if (b.kind == kind && b.language == (known_language(language) ? language : "de")) {
      return b.text;
    }
  }
  return {};
}

core::Result<Template> parse_template(std::string_view kind, const json::object& body) {
  auto e = core::Error::make(ErrorCode::invalid_input,
                             "Die Vorlage ist fehlerhaft. / The template is invalid.");
  Template t;
  for (const auto& [key, value] : body) {
    if (key != "subject" && key != "text" && key != "sms") {
      e.fields.push_back({std::string(key), "unknown", "Unbekanntes Feld. / Unknown field."});
      continue;
    }
    if (!value.is_string()) {
      e.fields.push_back({std::string(key), "type", "Text erwartet. / Expected a string."});
      continue;
    }
    const std::string text = core::to_nfc(std::string(value.as_string()));
    const std::size_t limit = key == "subject" ? kMaxSubject : key == "text" ? kMaxText : kMaxSms;
    if (!core::valid_utf8(text) || core::utf8_length(text) > limit) {
      e.fields.push_back({std::string(key), "length",
                          "Höchstens " + std::to_string(limit) + " Zeichen. / At most " +
                              std::to_string(limit) + " characters."});
      continue;
    }
    if (key == "subject" && text.find_first_of("\r\n") != std::string::npos) {
      e.fields.push_back(
          {"subject", "line", "Der Betreff ist eine Zeile. / The subject is one line."});
      continue;
    }
    if (auto bad = check_placeholders(text, kind)) {
      if (*bad == "braces") {
        e.fields.push_back({std::string(key), "braces",
                            "Platzhalter stehen in {{…}}. / Placeholders are written {{…}}."});
      } else {
        std::string allowed;
        for (auto p : placeholders(kind)) allowed += (allowed.empty() ? "" : ", ") + std::string(p);
        e.fields.push_back({std::string(key), "placeholder",
                            "Unbekannter Platzhalter " + bad->substr(8) + "; erlaubt: " + allowed +
                                " / Unknown placeholder; allowed: " + allowed});
      }
      continue;
    }
    if (key == "subject") t.subject = text;
    if (key == "text") t.text = text;
    if (key == "sms") t.sms = text;
  }
  auto has_error = [&](std::string_view field) {
    return std::any_of(e.fields.begin(), e.fields.end(),
                       [&](const core::FieldError& f) { return f.field == field; });
  };
  if (t.subject.empty() && !has_error("subject")) {
    e.fields.push_back({"subject", "required", "Pflichtfeld. / Required."});
  }
  if (t.text.empty() && !has_error("text")) {
    e.fields.push_back({"text", "required", "Pflichtfeld. / Required."});
  }
  if (!e.fields.empty()) return tl::unexpected(e);
  return t;
}

json::object to_json(const Template& t) {
  return {{"subject", t.subject}, {"text", t.text}, {"sms", t.sms}};
}

std::string render(std::string_view text, const Values& values) {
  std::string out;
  out.reserve(text.size() + 128);
  std::size_t at = 0;
  while (true) {
    const auto open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(at, open - at));
    if (auto it = values.find(text.substr(open + 2, close - open - 2)); it != values.end()) {
      out += it->second;
    }
    at = close + 2;
  }
  out.append(text.substr(at));
  // An empty value can leave runs of blank lines behind: at most one blank line.
  std::string tidy;
  tidy.reserve(out.size());
  int newlines = 0;
  for (char c : out) {
    if (c == '\n') {
      if (++newlines > 2) continue;
    } else {
      newlines = 0;
    }
    tidy += c;
  }
  return tidy;
}

std::string html_body(std::string_view text, std::string_view language) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"";
  out += known_language(language) ? language : "de";
  out +=
      "\"><head><meta charset=\"utf-8\"></head>\n<body style=\"font-family:sans-serif;"
      "line-height:1.5;color:#1a1a1a\">\n<p>";
  bool first = true;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const auto line = text.substr(at, end - at);
    if (line.empty()) {
      if (!first) out += "</p>\n<p>";
      first = true;
    } else {
      if (!first) out += "<br>\n";
      html_line(out, line);
      first = false;
    }
    at = end + 1;
  }
  out += "</p>\n</body></html>\n";
  return out;
}

std::string local_date(std::int64_t t, std::string_view language) {
  static constexpr std::array<std::string_view, 7> kDe{
      "Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"};
  static constexpr std::array<std::string_view, 7> kEn{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
  static constexpr std::array<std::string_view, 12> kMonthDe{
      "Januar", "Februar", "März",      "April",   "Mai",      "Juni",
      "Juli",   "August",  "September", "Oktober", "November", "Dezember"};
  static constexpr std::array<std::string_view, 12> kMonthEn{
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  const date::zoned_seconds z("Europe/Berlin", date::sys_seconds(std::chrono::seconds(t)));
  const auto day = date::floor<date::days>(z.get_local_time());
  const date::year_month_day ymd(day);
  const auto weekday = date::weekday(day).c_encoding();
  const auto month = static_cast<unsigned>(ymd.month()) - 1;
  const auto d = std::to_string(static_cast<unsigned>(ymd.day()));
  const auto y = std::to_string(static_cast<int>(ymd.year()));
  if (language == "en") {
    return std::string(kEn[weekday]) + ", " + d + " " + std::string(kMonthEn[month]) + " " + y;
  }
  return std::string(kDe[weekday]) + ", " + d + ". " + std::string(kMonthDe[month]) + " " + y;
}

std::string local_time(std::int64_t t, std::string_view language) {
  const date::zoned_seconds z("Europe/Berlin", date::sys_seconds(std::chrono::seconds(t)));
  const auto hm = date::format("%H:%M", z.get_local_time());
  return language == "en" ? hm : hm + " Uhr";
}

}  // namespace praxis::notify
