#pragma once
// Message texts: the built-in German and English texts of every message, a practice's
// own versions of them (owner role), and rendering into plain text, HTML and SMS.
//
// A template is text with {{placeholders}}; each kind of message allows a fixed set,
// and nothing else can be put in: patient messages carry only practice, time, type,
// address, reference and the manage link, the practice's notice only a reference, the
// type, the time and a link to its inbox. No placeholder can reach a name, a
// diagnosis or a note, because the values offered contain none.

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace praxis::notify {

// confirmation, reminder, cancellation, reschedule, practice_notice
bool known_kind(std::string_view kind);
const std::vector<std::string_view>& kinds();
// de, en
bool known_language(std::string_view language);

struct Template {
  std::string subject;
  std::string text;  // the e-mail body; HTML is made from it
  std::string sms;   // the short message (patient messages only)
  bool operator==(const Template&) const = default;
};

// The built-in text.
Template default_template(std::string_view kind, std::string_view language);
// The placeholders `kind` allows.
const std::vector<std::string_view>& placeholders(std::string_view kind);

// {"subject","text","sms"} as a practice's owner sends it: every field checked
// (placeholders the kind allows, balanced braces, lengths, a one-line subject), all
// errors at once.
[[nodiscard]] core::Result<Template> parse_template(std::string_view kind,
                                                    const boost::json::object& body);
boost::json::object to_json(const Template& t);

using Values = std::map<std::string, std::string, std::less<>>;

// `text` with each {{name}} replaced by its value (missing values: empty).
std::string render(std::string_view text, const Values& values);
// The HTML body for a rendered plain text: escaped, paragraphs at blank lines, links
// clickable, in a minimal document of the given language.
std::string html_body(std::string_view text, std::string_view language);

// "Dienstag, 1. Dezember 2026" / "Tuesday, 1 December 2026", and "09:00 Uhr" / "09:00",
// for an instant (seconds since the epoch) in Europe/Berlin.
std::string local_date(std::int64_t t, std::string_view language);
std::string local_time(std::int64_t t, std::string_view language);

}  // namespace praxis::notify
