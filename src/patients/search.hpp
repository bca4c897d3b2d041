#pragma once
// One-box search over encrypted records (issue #6, DESIGN.md §3): what the front desk
// types is split into terms, each term becomes blind-index hashes, the store returns
// candidates, and the service decrypts them and keeps only true matches, ranked
// exact → prefix → phonetic.
//
// Index terms per patient (kind: width):
//   family / given  each normalised name word (Müller → mueller)     4 bytes
//   prefix          the first 3…12 characters of each name word      4 bytes
//   phonetic        Kölner Phonetik of each name word                 4 bytes
//   birth_date      YYYY-MM-DD; birth_year YYYY                        4 bytes
//   phone (E.164), email (lower-case), kvnr                           8 bytes
// Hashes are keyed per practice and column (KeyRing::column_key), so equal values in
// two practices or two columns share nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/blind_index.hpp"
#include "crypto/key_ring.hpp"
#include "patients/record.hpp"
#include "store/store.hpp"

namespace praxis::patients {

enum class TermKind : std::int64_t {
  family = 1,
  given = 2,
  prefix = 3,
  phonetic = 4,
  birth_date = 5,
  birth_year = 6,
  phone = 7,
  email = 8,
  kvnr = 9,
};

inline constexpr std::size_t kMinPrefix = 3;
inline constexpr std::size_t kMaxPrefix = 12;

// Normalised name words of a record's family and given names.
std::vector<std::string> family_words(const Record& r);
std::vector<std::string> given_words(const Record& r);

class PracticeIndex {
 public:
  explicit PracticeIndex(const crypto::Key& practice_key);
  std::int64_t hash(TermKind kind, std::string_view normalised) const;
  // Every index term of a record, sorted and without duplicates.
  std::vector<store::IndexTerm> terms(const Record& r) const;

 private:
  std::vector<crypto::BlindIndex> columns_;  // by TermKind - 1
};

struct QueryTerm {
  enum class Type { name, birth_date, birth_year, phone, email, kvnr };
  Type type = Type::name;
  std::string value;     // normalised
  std::string phonetic;  // names only
};

// Splits the search box into terms. Dates as 12.03.1980, 12.3.80 or 1980-03-12 (two-digit
// years: the most recent past century relative to `current_year`); a 4-digit year
// 1900–current; e-mail addresses; KVNRs; phone numbers in any format (also with spaces,
// when the whole input is one number); everything else is a name word.
std::vector<QueryTerm> parse_query(std::string_view q, int current_year);

// A record's normalised name words, computed once per record and reused for matching
// and ordering (normalisation is the costly part of both).
struct Names {
  std::vector<std::string> family;
  std::vector<std::string> given;
  std::string sort_key;  // family words, then given words
};
Names names_of(const Record& r);

// How well `r` matches `term`: 0 exact, 1 prefix, 2 phonetic; nullopt for no match (a
// blind-index false positive).
std::optional<int> match_rank(const Record& r, const QueryTerm& term);
std::optional<int> match_rank(const Record& r, const Names& names, const QueryTerm& term);

}  // namespace praxis::patients
