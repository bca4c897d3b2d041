#include "auth/password_policy.hpp"

#include <crack.h>

#include <array>
#include <cctype>
#include <mutex>
#include <optional>
#include <string>

#include "core/text.hpp"

namespace praxis::auth {

namespace {

// cracklib keeps static state: one check at a time.
std::mutex& crack_mutex() {
  static std::mutex m;
  return m;
}

core::FieldError field(std::string code, std::string message) {
  return {"password", std::move(code), std::move(message)};
}

// Runs cracklib: nullopt if the dictionary cannot be read, else its objection ("" if none).
std::optional<std::string> crack_check(const std::string& candidate) {
  std::array<char, 256> message{};
  std::lock_guard lock(crack_mutex());
  if (__DEBIAN_SPECIFIC__SafeFascistCheck(candidate.c_str(), GetDefaultCracklibDict(),
                                          message.data(), message.size()) == 0) {
    return std::nullopt;
  }
  return std::string(message.data());
}

// The password without leading and trailing digits, spaces and punctuation, lower-cased
// ASCII: "Password1234!" -> "password". cracklib accepts the decorated form; people
// who guess passwords try exactly these decorations first.
std::string core_word(std::string_view password) {
  const auto decoration = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x80 && !std::isalpha(u);
  };
  std::size_t b = 0, e = password.size();
  while (b < e && decoration(password[b])) ++b;
  while (e > b && decoration(password[e - 1])) --e;
  std::string out(password.substr(b, e - b));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

}  // namespace

bool password_dictionary_available() { return crack_check("praxis-probe-Xq7#kL").has_value(); }

core::Result<std::vector<core::FieldError>> check_password(std::string_view password,
                                                           std::string_view email,
                                                           std::string_view display_name) {
  std::vector<core::FieldError> errors;
  if (!core::valid_utf8(password)) {
    errors.push_back(field("encoding", "Ungültige Zeichen. / Invalid characters."));
    return errors;
  }
  const std::size_t length = core::utf8_length(password);
  if (length < kMinPasswordChars) {
    errors.push_back(field("too_short",
                           "Mindestens 12 Zeichen – gern ein Satz aus mehreren Wörtern. / At "
                           "least 12 characters; a sentence of several words works well."));
    return errors;
  }
  if (length > kMaxPasswordChars) {
    errors.push_back(field("too_long", "Höchstens 128 Zeichen. / At most 128 characters."));
    return errors;
  }

  const std::string folded = core::normalize_name(password);
  const auto contains = [&](std::string_view part) {
    const std::string p = core::normalize_name(part);
    return p.size() >= 3 && folded.find(p) != std::string::npos;
  };
  bool personal = false;
  if (const auto at = email.find('@'); at != std::string_view::npos) {
    personal = contains(email.substr(0, at)) || contains(email);
  }
  std::size_t start = 0;
  while (!personal && start < display_name.size()) {
    auto end = display_name.find_first_of(" -.,", start);
    if (end == std::string_view::npos) end = display_name.size();
    personal = contains(display_name.substr(start, end - start));
    start = end + 1;
  }
  if (personal) {
    errors.push_back(field("personal",
                           "Das Passwort darf weder Ihren Namen noch Ihre E-Mail-Adresse "
                           "enthalten. / The password must not contain your name or e-mail."));
    return errors;
  }

  auto objection = crack_check(std::string(password));
  if (objection && objection->empty()) {
    const std::string word = core_word(password);
    if (word.size() >= 4 && word != password) {
      auto core_objection = crack_check(word);
      if (core_objection && core_objection->find("dictionary") != std::string::npos) {
        objection = "it is a dictionary word with digits or symbols around it";
      }
    }
  }
  if (!objection) {
    return core::fail(core::ErrorCode::unavailable,
                      "Die Passwortprüfung ist nicht verfügbar. / Password check unavailable.",
                      "cracklib dictionary unreadable (install cracklib-runtime)");
  }
  if (!objection->empty()) {
    errors.push_back(field("guessable",
                           "Dieses Passwort ist zu leicht zu erraten. Bitte ein längeres oder "
                           "weniger gebräuchliches wählen, z. B. einen Satz aus mehreren Wörtern. "
                           "/ This password is too easy to guess (" +
                               *objection + ")."));
  }
  return errors;
}

}  // namespace praxis::auth
