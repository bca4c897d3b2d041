#include "patients/search.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/phone.hpp"
#include "core/phonetic.hpp"
#include "core/text.hpp"
#include "core/validation.hpp"

namespace praxis::patients {

namespace {

constexpr std::string_view kColumnNames[] = {
    "family", "given", "prefix", "phonetic", "birth_date", "birth_year", "phone", "email", "kvnr"};

crypto::IndexWidth width_of(TermKind kind) {
  switch (kind) {
    case TermKind::phone:
    case TermKind::email:
    case TermKind::kvnr:
      return crypto::IndexWidth::wide;
    default:
      return crypto::IndexWidth::narrow;
  }
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  const std::string normalised = core::normalize_name(text);
  std::size_t start = 0;
  while (start < normalised.size()) {
    auto end = normalised.find(' ', start);
    if (end == std::string::npos) end = normalised.size();
    if (end > start) out.push_back(normalised.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> phonetic_codes(const Record& r) {
  std::vector<std::string> out;
  // On the normalised words: folding ä → ae changes no Kölner code (vowels are 0 and
  // collapse), so index and query agree however a name was typed.
  for (const auto* text : {&r.family_name, &r.given_names}) {
    for (const auto& w : words(*text)) {
      auto code = core::koelner_phonetik(w);
      if (!code.empty()) out.push_back(std::move(code));
    }
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "12.03.1980", "12.3.80", "1980-03-12" → "1980-03-12".
std::optional<std::string> parse_date(std::string_view s, int current_year) {
  int y = 0, m = 0, d = 0;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (!all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2)))
      return std::nullopt;
    y = std::stoi(std::string(s.substr(0, 4)));
    m = std::stoi(std::string(s.substr(5, 2)));
    d = std::stoi(std::string(s.substr(8, 2)));
  } else {
    const auto first = s.find('.');
    const auto second = first == std::string_view::npos ? first : s.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    const auto ds = s.substr(0, first);
    const auto ms = s.substr(first + 1, second - first - 1);
    const auto ys = s.substr(second + 1);
    if (!all_digits(ds) || !all_digits(ms) || !all_digits(ys) || ds.size() > 2 || ms.size() > 2 ||
        (ys.size() != 2 && ys.size() != 4)) {
      return std::nullopt;
    }
    d = std::stoi(std::string(ds));
    m = std::stoi(std::string(ms));
    y = std::stoi(std::string(ys));
    if (ys.size() == 2) {
      const int century = current_year / 100 * 100;
      y += century;
      if (y > current_year) y -= 100;
    }
  }
  const std::chrono::year_month_day date{std::chrono::year(y),
                                         std::chrono::month(static_cast<unsigned>(m)),
                                         std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  char buf[11];
  (void)std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return std::string(buf);
}

bool phone_like(std::string_view s) {
  std::size_t digits = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (!(c == ' ' || c == '/' || c == '-' || c == '(' || c == ')' || c == '+' ||
                 c == '.')) {
      return false;
    }
  }
  return digits >= 6 && (s.front() == '+' || s.front() == '0' || s.front() == '(');
}

}  // namespace

std::vector<std::string> family_words(const Record& r) { return words(r.family_name); }
std::vector<std::string> given_words(const Record& r) { return words(r.given_names); }

PracticeIndex::PracticeIndex(const crypto::Key& practice_key) {
  const auto index_key = crypto::KeyRing::index_key(practice_key);
  for (auto name : kColumnNames) {
    columns_.emplace_back(crypto::KeyRing::column_key(index_key, name), std::string(name));
  }
}

std::int64_t PracticeIndex::hash(TermKind kind, std::string_view normalised) const {
  const auto& column = columns_.at(static_cast<std::size_t>(kind) - 1);
  return static_cast<std::int64_t>(column.hash(normalised, width_of(kind)));
}

std::vector<store::IndexTerm> PracticeIndex::terms(const Record& r) const {
  std::vector<store::IndexTerm> out;
  auto add = [&](TermKind kind, std::string_view value) {
    if (!value.empty()) out.push_back({static_cast<std::int64_t>(kind), hash(kind, value)});
  };
  const auto family = family_words(r);
  const auto given = given_words(r);
  for (const auto& w : family) add(TermKind::family, w);
  for (const auto& w : given) add(TermKind::given, w);
  for (const auto* list : {&family, &given}) {
    for (const auto& w : *list) {
      for (std::size_t n = kMinPrefix; n <= std::min(w.size(), kMaxPrefix); ++n) {
        add(TermKind::prefix, std::string_view(w).substr(0, n));
      }
    }
  }
  for (const auto& code : phonetic_codes(r)) add(TermKind::phonetic, code);
  add(TermKind::birth_date, r.birth_date);
  if (r.birth_date.size() >= 4)
    add(TermKind::birth_year, std::string_view(r.birth_date).substr(0, 4));
  for (const auto& p : r.phones) add(TermKind::phone, p.number);
  add(TermKind::email, r.email);
  add(TermKind::kvnr, r.insurance.kvnr);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<QueryTerm> parse_query(std::string_view q, int current_year) {
  std::vector<QueryTerm> out;
  std::string text(q.substr(0, 200));
  for (char& c : text) {
    if (c == ',' || c == ';' || c == '\t') c = ' ';
  }
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return out;
  const std::string whole = text.substr(first, text.find_last_not_of(' ') - first + 1);
  // A date with a leading zero ("04.07.1961") looks like a phone number too; typed with
  // dots like that it is a birth date.
  if (phone_like(whole) && !parse_date(whole, current_year)) {
    if (auto e164 = core::normalize_phone(whole)) {
      out.push_back({QueryTerm::Type::phone, *e164, {}});
      return out;
    }
  }
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string token = text.substr(start, end - start);
    start = end + 1;
    if (token.empty()) continue;
    if (auto date = parse_date(token, current_year)) {
      out.push_back({QueryTerm::Type::birth_date, *date, {}});
    } else if (token.size() == 4 && all_digits(token) && std::stoi(token) >= 1900 &&
               std::stoi(token) <= current_year) {
      out.push_back({QueryTerm::Type::birth_year, token, {}});
    } else if (token.find('@') != std::string::npos) {
      out.push_back({QueryTerm::Type::email, core::normalize_email(token), {}});
    } else if (std::string upper =
                   [&] {
                     std::string u = token;
                     for (char& c : u) {
                       if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
                     }
                     return u;
                   }();
               core::kvnr_format_ok(upper)) {
      out.push_back({QueryTerm::Type::kvnr, upper, {}});
    } else if (phone_like(token)) {
      if (auto e164 = core::normalize_phone(token))
        out.push_back({QueryTerm::Type::phone, *e164, {}});
    } else {
      for (const auto& w : words(token)) {
        out.push_back({QueryTerm::Type::name, w, core::koelner_phonetik(w)});
      }
    }
  }
  return out;
}

Names names_of(const Record& r) {
  Names n{words(r.family_name), words(r.given_names), {}};
  for (const auto* list : {&n.family, &n.given}) {
    for (const auto& w : *list) n.sort_key += w + ' ';
    n.sort_key += '\x01';
  }
  return n;
}

std::optional<int> match_rank(const Record& r, const QueryTerm& term) {
  return match_rank(r, names_of(r), term);
}

std::optional<int> match_rank(const Record& r, const Names& names, const QueryTerm& term) {
  switch (term.type) {
    case QueryTerm::Type::birth_date:
      return r.birth_date == term.value ? std::optional<int>(0) : std::nullopt;
    case QueryTerm::Type::birth_year:
      return r.birth_date.starts_with(term.value) ? std::optional<int>(0) : std::nullopt;
    case QueryTerm::Type::email:
      return r.email == term.value ? std::optional<int>(0) : std::nullopt;
    case QueryTerm::Type::kvnr:
      return r.insurance.kvnr == term.value ? std::optional<int>(0) : std::nullopt;
    case QueryTerm::Type::phone:
      return std::any_of(r.phones.begin(), r.phones.end(),
                         [&](const Phone& p) { return p.number == term.value; })
                 ? std::optional<int>(0)
                 : std::nullopt;
    case QueryTerm::Type::name:
      break;
  }
  std::optional<int> best;
  auto consider = [&](int rank) {
    if (!best || rank < *best) best = rank;
  };
  for (const auto* list : {&names.family, &names.given}) {
    for (const auto& w : *list) {
      if (w == term.value) {
        consider(0);
      } else if (term.value.size() >= kMinPrefix && w.starts_with(term.value)) {
        consider(1);
      }
    }
  }
  if (!best && !term.phonetic.empty()) {
    for (const auto* list : {&names.family, &names.given}) {
      for (const auto& w : *list) {
        if (core::koelner_phonetik(w) == term.phonetic) consider(2);
      }
    }
  }
  return best;
}

}  // namespace praxis::patients
