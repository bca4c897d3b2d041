#pragma once
// A QR code as a standalone SVG image (libqrencode), for the second-factor enrolment
// and recovery sheets: black modules as one path, a 4-module quiet zone, error
// correction level M. Scales without blur; no scripts, no external references.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace praxis::core {

// invalid_input if the text is too long for a QR code.
[[nodiscard]] Result<std::string> qr_svg(std::string_view text);

}  // namespace praxis::core
