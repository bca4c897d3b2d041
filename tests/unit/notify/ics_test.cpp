// Calendar files (RFC 5545): structure, folding, escaping, local times in Europe/Berlin.
#include "notify/ics.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

namespace praxis::notify {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find("\r\n", at);
    EXPECT_NE(end, std::string::npos) << "every line ends with CRLF";
    if (end == std::string::npos) break;
    out.push_back(text.substr(at, end - at));
    at = end + 2;
  }
  return out;
}

// The logical lines: folded continuations joined again.
std::vector<std::string> unfolded(const std::string& text) {
  std::vector<std::string> out;
  for (auto& l : lines(text)) {
    if (!l.empty() && l[0] == ' ' && !out.empty()) {
      out.back() += l.substr(1);
    } else {
      out.push_back(l);
    }
  }
  return out;
}

bool has(const std::vector<std::string>& ls, const std::string& line) {
  return std::find(ls.begin(), ls.end(), line) != ls.end();
}

CalendarEvent sample() {
  CalendarEvent e;
  e.uid = "a1b2@praxis.example";
  e.sequence = 3;
  e.stamp = 1798012800;      // 2026-12-23T08:00:00Z
  e.start = 1806822000;      // 2027-04-04T07:00:00Z → 09:00 CEST
  e.end = 1806822000 + 900;  // 15 minutes
  e.summary = "Sprechstunde – Praxis Dr. Müller";
  e.location = "Hauptstr. 1, 10115 Berlin";
  e.description = "https://praxis.example/book/x/manage#tok";
  e.organizer_name = "Praxis Dr. Müller";
  e.organizer_email = "termine@praxis.example";
  e.attendee_email = "anna@example.org";
  return e;
}

TEST(CalendarFile, ARequestCarriesTheEventInBerlinTimeWithItsZone) {
  const auto text = calendar_file(sample());
  const auto ls = unfolded(text);
  EXPECT_EQ(ls.front(), "BEGIN:VCALENDAR");
  EXPECT_EQ(ls.back(), "END:VCALENDAR");
  EXPECT_TRUE(has(ls, "METHOD:REQUEST"));
  EXPECT_TRUE(has(ls, "VERSION:2.0"));
  EXPECT_TRUE(has(ls, "UID:a1b2@praxis.example"));
  EXPECT_TRUE(has(ls, "SEQUENCE:3"));
  EXPECT_TRUE(has(ls, "DTSTART;TZID=Europe/Berlin:20270404T090000")) << text;
  EXPECT_TRUE(has(ls, "DTEND;TZID=Europe/Berlin:20270404T091500"));
  EXPECT_TRUE(has(ls, "DTSTAMP:20261223T080000Z")) << "in UTC";
  EXPECT_TRUE(has(ls, "STATUS:CONFIRMED"));
  EXPECT_TRUE(has(ls, "TZID:Europe/Berlin"));
  EXPECT_TRUE(has(ls, "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"));
  EXPECT_TRUE(has(ls, "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"));
  EXPECT_TRUE(has(ls, "ORGANIZER;CN=\"Praxis Dr. Müller\":mailto:termine@praxis.example"));
  EXPECT_TRUE(has(ls, "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:anna@example.org"));
  EXPECT_TRUE(has(ls, "LOCATION:Hauptstr. 1\\, 10115 Berlin")) << "commas escaped";
}

TEST(CalendarFile, ACancelKeepsTheUidAndSaysCancelled) {
  auto e = sample();
  e.method = CalendarEvent::Method::cancel;
  const auto ls = unfolded(calendar_file(e));
  EXPECT_TRUE(has(ls, "METHOD:CANCEL"));
  EXPECT_TRUE(has(ls, "STATUS:CANCELLED"));
  EXPECT_TRUE(has(ls, "UID:a1b2@praxis.example"));
}

TEST(CalendarFile, WinterTimesAreWrittenInWinterTime) {
  auto e = sample();
  e.start = 1798794000;  // 2027-01-01T09:00:00Z → 10:00 CET
  e.end = e.start + 1800;
  const auto ls = unfolded(calendar_file(e));
  EXPECT_TRUE(has(ls, "DTSTART;TZID=Europe/Berlin:20270101T100000"));
  EXPECT_TRUE(has(ls, "DTEND;TZID=Europe/Berlin:20270101T103000"));
}

TEST(CalendarFile, TextValuesAreEscaped) {
  auto e = sample();
  e.summary = "a;b,c\\d\nline\r\nmore\x01";
  const auto ls = unfolded(calendar_file(e));
  EXPECT_TRUE(has(ls, "SUMMARY:a\\;b\\,c\\\\d\\nline\\nmore")) << "control characters dropped";
}

RC_GTEST_PROP(CalendarFile, LinesAreFoldedAt75OctetsWithoutSplittingCharacters,
              (const std::string& seed)) {
  auto e = sample();
  // Long text with multi-byte characters at every position.
  std::string text;
  for (char c : seed) text += (static_cast<unsigned char>(c) % 3 == 0) ? "ü" : (c % 2 ? "€" : "a");
  e.description = text + std::string(200, 'x');
  const auto out = calendar_file(e);
  for (const auto& l : lines(out)) {
    RC_ASSERT(l.size() <= 75u);
    // A line never starts in the middle of a UTF-8 sequence (after the fold's space).
    const std::size_t first = !l.empty() && l[0] == ' ' ? 1 : 0;
    if (l.size() > first) RC_ASSERT((static_cast<unsigned char>(l[first]) & 0xC0) != 0x80);
  }
  const auto ls = unfolded(out);
  RC_ASSERT(has(ls, "DESCRIPTION:" + e.description));
}

}  // namespace
}  // namespace praxis::notify
