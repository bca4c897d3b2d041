#include "core/phonetic.hpp"

#include "core/text.hpp"

namespace praxis::core {

namespace {

// normalize_name folds case and accents and turns ä/ö/ü/ß into ae/oe/ue/ss. For the
// phonetic code the reference maps Ä→A, Ö→O, Ü→U, ß→S instead; undo the German
// expansion first so "Müller" and "Muller" agree.
std::string letters_of(std::string_view word) {
  std::string out;
  std::string_view w = word;
  while (!w.empty()) {
    if (w.starts_with("\xC3\xA4") || w.starts_with("\xC3\x84")) {  // ä Ä
      out.push_back('A');
      w.remove_prefix(2);
    } else if (w.starts_with("\xC3\xB6") || w.starts_with("\xC3\x96")) {  // ö Ö
      out.push_back('O');
      w.remove_prefix(2);
    } else if (w.starts_with("\xC3\xBC") || w.starts_with("\xC3\x9C")) {  // ü Ü
      out.push_back('U');
      w.remove_prefix(2);
    } else if (w.starts_with("\xC3\x9F")) {  // ß
      out.push_back('S');
      w.remove_prefix(2);
    } else {
      // One UTF-8 character: fold accents through normalize_name (é → e).
      std::size_t len = 1;
      const auto b = static_cast<unsigned char>(w.front());
      if (b >= 0xF0) {
        len = 4;
      } else if (b >= 0xE0) {
        len = 3;
      } else if (b >= 0xC0) {
        len = 2;
      }
      len = std::min(len, w.size());
      for (char c : normalize_name(w.substr(0, len))) {
        if (c >= 'a' && c <= 'z') out.push_back(static_cast<char>(c - ('a' - 'A')));
      }
      w.remove_prefix(len);
    }
  }
  return out;
}

bool one_of(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }

}  // namespace

std::string koelner_phonetik(std::string_view word) {
  const std::string s = letters_of(word);
  std::string raw;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char prev = i > 0 ? s[i - 1] : '\0';
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    switch (c) {
      case 'A':
      case 'E':
      case 'I':
      case 'J':
      case 'O':
      case 'U':
      case 'Y':
        raw += '0';
        break;
      case 'H':
        break;
      case 'B':
        raw += '1';
        break;
      case 'P':
        raw += next == 'H' ? '3' : '1';
        break;
      case 'D':
      case 'T':
        raw += one_of(next, "CSZ") ? '8' : '2';
        break;
      case 'F':
      case 'V':
      case 'W':
        raw += '3';
        break;
      case 'G':
      case 'K':
      case 'Q':
        raw += '4';
        break;
      case 'X':
        raw += one_of(prev, "CKQ") ? "8" : "48";
        break;
      case 'L':
        raw += '5';
        break;
      case 'M':
      case 'N':
        raw += '6';
        break;
      case 'R':
        raw += '7';
        break;
      case 'S':
      case 'Z':
        raw += '8';
        break;
      case 'C':
        if (i == 0) {
          raw += one_of(next, "AHKLOQRUX") ? '4' : '8';
        } else if (one_of(prev, "SZ")) {
          raw += '8';
        } else {
          raw += one_of(next, "AHKOQUX") ? '4' : '8';
        }
        break;
      default:
        break;
    }
  }
  // Collapse runs of the same digit, then drop every '0' but a leading one.
  std::string collapsed;
  for (char d : raw) {
    if (collapsed.empty() || collapsed.back() != d) collapsed.push_back(d);
  }
  std::string out;
  for (std::size_t i = 0; i < collapsed.size(); ++i) {
    if (collapsed[i] != '0' || i == 0) out.push_back(collapsed[i]);
  }
  return out;
}

}  // namespace praxis::core
