#include "notify/ics.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <string_view>

namespace praxis::notify {

namespace {

constexpr std::string_view kZone = "Europe/Berlin";

// RFC 5545 §3.3.11: backslash, semicolon, comma and line breaks are escaped.
std::string escape_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        out += "\\n";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

// RFC 5545 §3.1: lines longer than 75 octets continue on lines starting with a space;
// a fold never splits a UTF-8 sequence.
void append_line(std::string& out, std::string_view line) {
  std::size_t limit = 75;
  while (line.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out.append(line.substr(0, cut));
    out += "\r\n ";
    line.remove_prefix(cut);
    limit = 74;  // the leading space counts
  }
  out.append(line);
  out += "\r\n";
}

std::string utc_stamp(std::int64_t t) {
  return date::format("%Y%m%dT%H%M%SZ", date::sys_seconds(std::chrono::seconds(t)));
}

std::string local_stamp(std::int64_t t) {
  const date::zoned_seconds z(kZone, date::sys_seconds(std::chrono::seconds(t)));
  return date::format("%Y%m%dT%H%M%S", z.get_local_time());
}

}  // namespace

std::string calendar_file(const CalendarEvent& e) {
  const bool cancel = e.method == CalendarEvent::Method::cancel;
  std::string out;
  auto line = [&](std::string_view l) { append_line(out, l); };
  auto prop = [&](std::string_view name, std::string_view value) {
    std::string l(name);
    l += ':';
    l += value;
    append_line(out, l);
  };
  line("BEGIN:VCALENDAR");
  line("VERSION:2.0");
  line("PRODID:-//praxis//Terminbuchung//DE");
  line("CALSCALE:GREGORIAN");
  prop("METHOD", cancel ? "CANCEL" : "REQUEST");
  // The rules of Europe/Berlin since 1996: CEST from the last Sunday of March 02:00,
  // CET from the last Sunday of October 03:00.
  line("BEGIN:VTIMEZONE");
  prop("TZID", kZone);
  line("BEGIN:DAYLIGHT");
  line("TZOFFSETFROM:+0100");
  line("TZOFFSETTO:+0200");
  line("TZNAME:CEST");
  line("DTSTART:19700329T020000");
  line("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU");
  line("END:DAYLIGHT");
  line("BEGIN:STANDARD");
  line("TZOFFSETFROM:+0200");
  line("TZOFFSETTO:+0100");
  line("TZNAME:CET");
  line("DTSTART:19701025T030000");
  line("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU");
  line("END:STANDARD");
  line("END:VTIMEZONE");
  line("BEGIN:VEVENT");
  prop("UID", escape_text(e.uid));
  prop("SEQUENCE", std::to_string(e.sequence));
  prop("DTSTAMP", utc_stamp(e.stamp));
  prop("DTSTART;TZID=Europe/Berlin", local_stamp(e.start));
  prop("DTEND;TZID=Europe/Berlin", local_stamp(e.end));
  prop("SUMMARY", escape_text(e.summary));
  if (!e.location.empty()) prop("LOCATION", escape_text(e.location));
  if (!e.description.empty()) prop("DESCRIPTION", escape_text(e.description));
  if (!e.organizer_email.empty()) {
    std::string name = e.organizer_name;
    for (auto& c : name) {
      if (c == '"' || c == ';' || c == ':' || c == ',') c = ' ';
    }
    prop("ORGANIZER;CN=\"" + name + "\"", "mailto:" + e.organizer_email);
  }
  if (!e.attendee_email.empty()) {
    prop("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED", "mailto:" + e.attendee_email);
  }
  prop("STATUS", cancel ? "CANCELLED" : "CONFIRMED");
  prop("TRANSP", "OPAQUE");
  line("END:VEVENT");
  line("END:VCALENDAR");
  return out;
}

}  // namespace praxis::notify
