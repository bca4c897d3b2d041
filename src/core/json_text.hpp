#pragma once
// Minimal JSON text helpers for code that must not depend on Boost.JSON
// (the log writer). Structured API payloads use Boost.JSON in src/http/.

#include <string>
#include <string_view>

namespace praxis::core {

// Appends `text` to `out` as a quoted JSON string. Control characters, quotes and
// backslashes are escaped, and invalid UTF-8 bytes are replaced by U+FFFD, so a
// log line can never be split or forged by what a client sent (log injection).
void append_json_string(std::string& out, std::string_view text);

}  // namespace praxis::core
