#include "core/validation.hpp"

#include <array>

namespace praxis::core {

bool valid_bsnr(std::string_view text) {
  if (text.size() != 9) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return text.substr(0, 2) != "00";
}

bool valid_bundesland(std::string_view code) {
  static constexpr std::array<std::string_view, 16> kStates = {"BW", "BY", "BE", "BB", "HB", "HH",
                                                               "HE", "MV", "NI", "NW", "RP", "SL",
                                                               "SN", "ST", "SH", "TH"};
  for (auto s : kStates) {
    if (s == code) return true;
  }
  return false;
}

bool valid_slug(std::string_view slug) {
  if (slug.size() < 3 || slug.size() > 40) return false;
  if (slug.front() == '-' || slug.back() == '-') return false;
  char previous = '\0';
  for (char c : slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-')) return false;
    previous = c;
  }
  return true;
}

namespace {

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int digit_sum(int n) { return n / 10 + n % 10; }

}  // namespace

bool kvnr_format_ok(std::string_view text) {
  return text.size() == 10 && text[0] >= 'A' && text[0] <= 'Z' && all_digits(text.substr(1));
}

bool kvnr_check_digit_ok(std::string_view text) {
  if (!kvnr_format_ok(text)) return false;
  const int letter = text[0] - 'A' + 1;
  // Ten digits: the letter's two, then digits 2–9 of the KVNR; weights 1,2,1,2,…
  std::array<int, 10> digits{letter / 10, letter % 10};
  for (std::size_t i = 1; i <= 8; ++i) digits[i + 1] = text[i] - '0';
  int sum = 0;
  for (std::size_t i = 0; i < digits.size(); ++i)
    sum += digit_sum(digits[i] * (i % 2 == 0 ? 1 : 2));
  return sum % 10 == text[9] - '0';
}

bool valid_ik(std::string_view text) {
  if (text.size() != 9 || !all_digits(text)) return false;
  int sum = 0;
  for (std::size_t i = 2; i <= 7; ++i) {
    sum += digit_sum((text[i] - '0') * (i % 2 == 0 ? 2 : 1));
  }
  return sum % 10 == text[8] - '0';
}

bool lanr_format_ok(std::string_view text) { return text.size() == 9 && all_digits(text); }

bool lanr_check_digit_ok(std::string_view text) {
  if (!lanr_format_ok(text)) return false;
  if (text == "999999900" || text.starts_with("3333333") || text.starts_with("4444444") ||
      text.starts_with("555555")) {
    return true;
  }
  int sum = 0;
  for (std::size_t i = 0; i < 6; ++i) sum += (text[i] - '0') * (i % 2 == 0 ? 4 : 9);
  return (10 - sum % 10) % 10 == text[6] - '0';
}

bool valid_german_postcode(std::string_view text) {
  return text.size() == 5 && all_digits(text) && text.substr(0, 2) != "00";
}

bool valid_email(std::string_view text) {
  if (text.size() > 254) return false;
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 ||
      text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (char c : text.substr(0, at)) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F ||
        std::string_view("<>(),;:\"[]\\").find(c) != std::string_view::npos) {
      return false;
    }
  }
  const std::string_view domain = text.substr(at + 1);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      domain.find('.') == std::string_view::npos || domain.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : domain) {
    const auto u = static_cast<unsigned char>(c);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || u >= 0x80;
    if (!ok) return false;
  }
  return true;
}

}  // namespace praxis::core
