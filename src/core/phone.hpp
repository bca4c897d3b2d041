#pragma once
// Phone numbers to E.164 ("+49301234567"), the form blind indexes and reminders use.
// Written here because Debian 12's libphonenumber-dev pins Boost 1.74 headers that
// conflict with the Boost 1.81 praxis builds with (issue #6). Default region: Germany.
//
// Accepted input: digits with spaces, '/', '-', '.', and parentheses as people write
// them; a leading '+' or '00' for an international number; a leading '0' for a German
// national number (the trunk prefix is dropped); "+49 (0)30 …" (the bracketed trunk
// zero is dropped). Refused: letters, a number without area code, and lengths no
// numbering plan uses (German national numbers have 6–13 digits after the 0, other
// countries 8–15 digits including the country code, E.164 at most 15).

#include <optional>
#include <string>
#include <string_view>

namespace praxis::core {

std::optional<std::string> normalize_phone(std::string_view text);

}  // namespace praxis::core
