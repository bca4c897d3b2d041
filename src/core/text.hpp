#pragma once
// Text normalisation for search (blind indexes and their queries).
//
// normalize_name folds what a receptionist may type differently for the same name:
// case, German umlauts and ß (ä→ae, ö→oe, ü→ue, ß→ss, so "Müller" = "Mueller"),
// accents (é→e, ł→l), and runs of spaces, hyphens, apostrophes and other punctuation
// (one space; trimmed). Letters of other scripts are case-folded and kept.
// Invalid UTF-8 bytes are dropped. ASCII input takes a fast path.
//
// normalize_email trims and lower-cases (the domain is case-insensitive, and mail
// systems in practice treat the local part so as well).

#include <string>
#include <string_view>

namespace praxis::core {

std::string normalize_name(std::string_view text);
void normalize_name_into(std::string_view text, std::string& out);  // reuses out's capacity

std::string normalize_email(std::string_view text);

// Without leading and trailing spaces, tabs and line breaks.
std::string_view trim(std::string_view text);

// Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view text);
// Canonical composition (Unicode NFC) of well-formed UTF-8: what is stored for names.
std::string to_nfc(std::string_view text);
// Code points in well-formed UTF-8.
std::size_t utf8_length(std::string_view text);
// Text for HTML or XML content and attribute values: & < > " ' as entities.
void append_markup_escaped(std::string& out, std::string_view text);
std::string markup_escaped(std::string_view text);

}  // namespace praxis::core
