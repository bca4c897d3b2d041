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

}  // namespace praxis::core
