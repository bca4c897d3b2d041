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

}  // namespace praxis::core
