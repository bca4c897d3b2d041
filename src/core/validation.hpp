#pragma once
// Validation of German practice identifiers and codes (reference/german-domain.md).
// Each function answers whether the text is acceptable as given (no trimming).

#include <optional>
#include <string_view>

namespace praxis::core {

// Betriebsstättennummer: exactly 9 digits, no check digit; digits 1–2 are the KV's
// Landes- or Bezirksstellenschlüssel (never 00).
bool valid_bsnr(std::string_view text);

// The 16 Bundesländer as ISO 3166-2:DE subdivision codes without the "DE-" prefix:
// BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH.
bool valid_bundesland(std::string_view code);

// A public slug: 3–40 characters of a–z, 0–9 and '-', not starting or ending with '-'
// and without "--". It appears in URLs (/book/{slug}).
bool valid_slug(std::string_view slug);

// KVNR (Versicherten-ID): one upper-case letter and nine digits. kvnr_format_ok checks
// the shape; kvnr_check_digit_ok the check digit (letter → 01–26, weights 1,2,1,2…,
// digit sums, sum mod 10 = last digit). Example data (HL7) often fails the check
// digit, so callers treat that as a warning.
bool kvnr_format_ok(std::string_view text);
bool kvnr_check_digit_ok(std::string_view text);

// Institutionskennzeichen: 9 digits; digits 3–8 weighted 2,1,2,1,2,1, digit sums added,
// sum mod 10 = digit 9.
bool valid_ik(std::string_view text);

// Lebenslange Arztnummer: 9 digits. lanr_check_digit_ok: digits 1–6 weighted 4,9,4,9,4,9,
// check digit (10 − sum mod 10) mod 10 = digit 7. Pseudo-LANRs pass: 999999900, and
// any number starting 3333333, 4444444 or 555555. KVs apply the check inconsistently, so
// callers warn.
bool lanr_format_ok(std::string_view text);
bool lanr_check_digit_ok(std::string_view text);

// German postcode: exactly 5 digits (01001–99998 in practice; "00…" never exists).
bool valid_german_postcode(std::string_view text);

// An e-mail address as people type it into a form: one '@', a non-empty local part of
// printable ASCII without spaces or <>(),;:"[], a domain of at least two labels of
// letters, digits and hyphens (or internationalised, non-ASCII), at most 254 bytes.
bool valid_email(std::string_view text);

}  // namespace praxis::core
