#pragma once
// Calendar files (RFC 5545) for appointment e-mails: an iTIP request (RFC 5546) with a
// confirmation or a move, a cancel with a cancellation. Times are written in
// Europe/Berlin local time with the VTIMEZONE the file carries, so a calendar shows the
// appointment at the time the practice gave, on either side of a daylight-saving switch.

#include <cstdint>
#include <string>

namespace praxis::notify {

struct CalendarEvent {
  enum class Method { request, cancel };
  Method method = Method::request;
  std::string uid;            // stable for the appointment: updates replace, cancels remove
  std::int64_t sequence = 0;  // raised with every move (RFC 5546 §2.1.4)
  std::int64_t stamp = 0;     // DTSTAMP, seconds since the epoch
  std::int64_t start = 0;     // seconds since the epoch
  std::int64_t end = 0;
  std::string summary;          // appointment type and practice
  std::string location;         // the practice's address
  std::string description;      // the manage link, plain text
  std::string organizer_name;   // the practice
  std::string organizer_email;  // the sender address
  std::string attendee_email;   // the recipient (optional)
};

// The complete VCALENDAR text: CRLF line ends, lines folded at 75 octets without
// splitting a UTF-8 sequence, TEXT values escaped.
std::string calendar_file(const CalendarEvent& event);

}  // namespace praxis::notify
