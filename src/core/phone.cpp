#include "core/phone.hpp"

namespace praxis::core {

namespace {

constexpr std::size_t kMaxE164Digits = 15;
constexpr std::size_t kMinGermanNational = 6;  // after the trunk 0 / country code
constexpr std::size_t kMaxGermanNational = 13;
constexpr std::size_t kMinInternational = 8;  // country code included

}  // namespace

std::optional<std::string> normalize_phone(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '/' || c == '-' || c == '.' || c == '\t') continue;
    // "(0)" after a country code is the optional trunk prefix: drop it.
    if (c == '(' && text.substr(i, 3) == "(0)") {
      i += 2;
      continue;
    }
    if (c == '(' || c == ')') continue;
    if (c == '+' && compact.empty()) {
      compact.push_back(c);
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    compact.push_back(c);
  }
  std::string digits;  // country code + national number
  if (compact.starts_with("+")) {
    digits = compact.substr(1);
  } else if (compact.starts_with("00")) {
    digits = compact.substr(2);
  } else if (compact.starts_with("0")) {
    digits = "49" + compact.substr(1);
  } else {
    return std::nullopt;  // no area code: cannot be dialled from elsewhere
  }
  if (digits.empty() || digits.front() == '0' || digits.size() > kMaxE164Digits) {
    return std::nullopt;
  }
  if (digits.starts_with("49")) {
    const std::size_t national = digits.size() - 2;
    if (national < kMinGermanNational || national > kMaxGermanNational || digits[2] == '0') {
      return std::nullopt;
    }
  } else if (digits.size() < kMinInternational) {
    return std::nullopt;
  }
  return "+" + digits;
}

}  // namespace praxis::core
