#!/usr/bin/python3
"""Prints what a received e-mail (a .eml file) carries, as JSON, parsed the way a mail
client and a calendar would: headers (decoded), the MIME tree, the text and HTML bodies,
and the calendar attachment read with python3-icalendar (times as the calendar shows
them in Europe/Berlin, and in UTC)."""
import email
import email.policy
import json
import sys

import icalendar


def tree(part):
    kids = part.get_payload() if part.is_multipart() else None
    node = {"type": part.get_content_type()}
    if part.get_param("method"):
        node["method"] = part.get_param("method")
    if part.get_filename():
        node["filename"] = part.get_filename()
    if kids:
        node["parts"] = [tree(k) for k in kids]
    return node


def main(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    out = {
        "from": str(msg["From"]),
        "to": str(msg["To"]),
        "subject": str(msg["Subject"]),
        "message_id": str(msg["Message-ID"]),
        "content_language": str(msg.get("Content-Language", "")),
        "auto_submitted": str(msg.get("Auto-Submitted", "")),
        "structure": tree(msg),
    }
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/plain":
            out["text"] = part.get_content()
        elif ctype == "text/html":
            out["html"] = part.get_content()
        elif ctype == "text/calendar":
            data = part.get_payload(decode=True)
            cal = icalendar.Calendar.from_ical(data)
            out["calendar_method"] = str(cal.get("METHOD"))
            out["calendar_timezones"] = [str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")]
            for ev in cal.walk("VEVENT"):
                start = ev.decoded("DTSTART")
                end = ev.decoded("DTEND")
                out["event"] = {
                    "uid": str(ev.get("UID")),
                    "sequence": int(ev.get("SEQUENCE", 0)),
                    "status": str(ev.get("STATUS")),
                    "summary": str(ev.get("SUMMARY")),
                    "location": str(ev.get("LOCATION", "")),
                    "description": str(ev.get("DESCRIPTION", "")),
                    "tzid": str(ev["DTSTART"].params.get("TZID", "")),
                    "start_local": start.strftime("%Y-%m-%dT%H:%M:%S"),
                    "end_local": end.strftime("%Y-%m-%dT%H:%M:%S"),
                    "start_utc": start.astimezone(__import__("datetime").timezone.utc)
                    .strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
