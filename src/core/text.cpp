#include "core/text.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <array>
#include <cstdint>

namespace praxis::core {
namespace {

constexpr char32_t kTableFirst = 0xC0;
constexpr char32_t kTableLast = 0x24F;  // Latin-1 Supplement to Latin Extended-B

// Folded ASCII spelling of each code point in the Latin table ("" = separator).
class LatinTable {
 public:
  LatinTable() {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfd = unorm2_getNFDInstance(&status);
    for (char32_t cp = kTableFirst; cp <= kTableLast; ++cp) {
      std::string& out = entries_[cp - kTableFirst];
      if (const char* special = special_case(cp)) {
        out = special;
        continue;
      }
      UChar decomposed[8];
      UErrorCode err = U_ZERO_ERROR;
      const int32_t n = U_SUCCESS(status) ? unorm2_getRawDecomposition(
                                                nfd, static_cast<UChar32>(cp), decomposed, 8, &err)
                                          : -1;
      UChar32 base = static_cast<UChar32>(cp);
      if (n > 0 && U_SUCCESS(err)) U16_GET(decomposed, 0, 0, n, base);
      base = u_foldCase(base, U_FOLD_CASE_DEFAULT);
      if (base < 0x80 && u_isalnum(base)) {
        out.push_back(static_cast<char>(base));
      } else if (u_isalnum(static_cast<UChar32>(cp))) {
        append_utf8(out, u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT));
      }
    }
  }
  const std::string& operator[](char32_t cp) const { return entries_[cp - kTableFirst]; }

  static void append_utf8(std::string& out, UChar32 cp) {
    char buf[4];
    int32_t len = 0;
    UBool error = false;
    U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, 4, cp, error);
    if (!error) out.append(buf, static_cast<std::size_t>(len));
  }

 private:
  static const char* special_case(char32_t cp) {
    switch (cp) {
      case U'ä':
      case U'Ä':
      case U'æ':
      case U'Æ':
        return "ae";
      case U'ö':
      case U'Ö':
        return "oe";
      case U'ü':
      case U'Ü':
        return "ue";
      case U'ß':
        return "ss";
      case U'œ':
      case U'Œ':
        return "oe";
      case U'ø':
      case U'Ø':
        return "o";
      case U'ł':
      case U'Ł':
        return "l";
      case U'đ':
      case U'Đ':
      case U'ð':
      case U'Ð':
        return "d";
      case U'þ':
      case U'Þ':
        return "th";
      case U'ı':
        return "i";
      case U'×':
      case U'÷':
        return "";
      default:
        return nullptr;
    }
  }

  std::array<std::string, kTableLast - kTableFirst + 1> entries_;
};

const LatinTable& latin_table() {
  static const LatinTable table;
  return table;
}

// Canonical composition (NFC), so "u" + combining diaeresis reads as "ü".
std::string compose(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
  std::u16string wide(text.size() + 1, u'\0');
  int32_t wide_len = 0;
  u_strFromUTF8Lenient(wide.data(), static_cast<int32_t>(wide.size()), &wide_len, text.data(),
                       static_cast<int32_t>(text.size()), &status);
  std::u16string composed(static_cast<std::size_t>(wide_len) + 1, u'\0');
  const int32_t composed_len = unorm2_normalize(nfc, wide.data(), wide_len, composed.data(),
                                                static_cast<int32_t>(composed.size()), &status);
  std::string out(static_cast<std::size_t>(composed_len) * 3 + 1, '\0');
  int32_t out_len = 0;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_len, composed.data(), composed_len,
              &status);
  if (U_FAILURE(status)) return std::string(text);
  out.resize(static_cast<std::size_t>(out_len));
  return out;
}

bool normalize_pass(std::string_view text, std::string& out, bool composed_once);

}  // namespace

void normalize_name_into(std::string_view text, std::string& out) {
  if (!normalize_pass(text, out, false)) {
    const std::string composed = compose(text);
    normalize_pass(composed, out, true);
  }
}

namespace {

// Returns false if it met a combining mark that composition may fold into a letter.
bool normalize_pass(std::string_view text, std::string& out, bool composed_once) {
  out.clear();
  bool pending_space = false;
  auto emit = [&](std::string_view piece) {
    if (piece.empty()) {
      pending_space = !out.empty();
      return;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.append(piece);
  };
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    const uint8_t c = bytes[i];
    if (c < 0x80) {
      ++i;
      if (c >= 'A' && c <= 'Z') {
        const char lower = static_cast<char>(c + ('a' - 'A'));
        emit(std::string_view(&lower, 1));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        emit(std::string_view(reinterpret_cast<const char*>(&bytes[i - 1]), 1));
      } else {
        emit({});
      }
      continue;
    }
    UChar32 cp = 0;
    U8_NEXT(bytes, i, length, cp);
    if (cp < 0) continue;  // invalid UTF-8: dropped
    if (cp >= static_cast<UChar32>(kTableFirst) && cp <= static_cast<UChar32>(kTableLast)) {
      emit(latin_table()[static_cast<char32_t>(cp)]);
    } else if (cp == 0x1E9E) {  // capital sharp s
      emit("ss");
    } else if (u_getCombiningClass(cp) != 0 || u_charType(cp) == U_NON_SPACING_MARK) {
      if (!composed_once) return false;  // compose, then try again
      continue;  // a mark that composes with nothing: the base letter already counted
    } else if (u_isalnum(cp)) {
      std::string piece;
      LatinTable::append_utf8(piece, u_foldCase(cp, U_FOLD_CASE_DEFAULT));
      emit(piece);
    } else {
      emit({});
    }
  }
  return true;
}

}  // namespace

std::string normalize_name(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 4);
  normalize_name_into(text, out);
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string normalize_email(std::string_view text) {
  std::string out(trim(text));
  for (auto& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + ('a' - 'A'));
  }
  return out;
}

bool valid_utf8(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t needed = 0;
  u_strFromUTF8(nullptr, 0, &needed, text.data(), static_cast<int32_t>(text.size()), &status);
  return status == U_BUFFER_OVERFLOW_ERROR || status == U_ZERO_ERROR ||
         status == U_STRING_NOT_TERMINATED_WARNING;
}

std::string to_nfc(std::string_view text) { return compose(text); }

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

void append_markup_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string markup_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_markup_escaped(out, text);
  return out;
}

}  // namespace praxis::core
