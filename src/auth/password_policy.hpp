#pragma once
// The password rules of issue #5 / ASVS 2.1: 12 to 128 characters (Unicode code
// points, nothing truncated), no composition rules, refused when cracklib finds it in
// its dictionary or too simple, or when it contains the user's name or e-mail address.

#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace praxis::auth {

inline constexpr std::size_t kMinPasswordChars = 12;
inline constexpr std::size_t kMaxPasswordChars = 128;

// Field errors for "password" (empty when acceptable). unavailable if the cracklib
// dictionary cannot be read (fail closed: the server reports it, praxis doctor too).
[[nodiscard]] core::Result<std::vector<core::FieldError>> check_password(
    std::string_view password, std::string_view email, std::string_view display_name);

// True if cracklib's dictionary is installed and readable.
bool password_dictionary_available();

}  // namespace praxis::auth
