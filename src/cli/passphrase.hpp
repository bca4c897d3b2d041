#pragma once

#include <string>

#include "core/error.hpp"

namespace praxis::cli {

// The master-key passphrase, from the first of:
//  1. $CREDENTIALS_DIRECTORY/praxis-passphrase (systemd LoadCredential=, kept in memory),
//  2. the terminal, without echo (asked twice when `confirm`),
//  3. the first line of standard input (scripts, tests).
// `prompt` is shown on the terminal; `use_credential` = false skips (1), for a
// passphrase change where the credential holds the old one.
[[nodiscard]] core::Result<std::string> read_passphrase(
    bool confirm,
    const char* prompt = "Passphrase for the master key: ", bool use_credential = true);

}  // namespace praxis::cli
