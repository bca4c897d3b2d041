#pragma once
// Kölner Phonetik (reference/german-domain.md §6): a phonetic code for German names,
// so "Meier", "Mayer" and "Maier" share the code 67 and "Müller"/"Muller" 657.
// Letters other than A–Z, ÄÖÜß (after upper-casing) are dropped; accented letters are
// folded first (é → e) so foreign spellings still get a code.

#include <string>
#include <string_view>

namespace praxis::core {

std::string koelner_phonetik(std::string_view word);

}  // namespace praxis::core
