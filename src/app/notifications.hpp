#pragma once
// Builds the notifier from [mail], [sms] and [notifications]: the relay password and the
// gateway's credentials come from files only the server's user may read, and settings
// that would send in the clear to another machine refuse to start.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "notify/notifier.hpp"

namespace praxis::app {

// The first line of a secret file: refused when others than its owner may read it.
[[nodiscard]] core::Result<std::string> read_secret_file(const std::filesystem::path& path,
                                                         std::string_view what);

// [mail] and [sms] as the transports take them, secrets read from their files and the
// settings checked (nothing in the clear to another machine): nullopt when not
// configured; an error whose message tells the operator what to fix. The server and
// `praxis doctor` both use these, so they refuse the same settings.
[[nodiscard]] core::Result<std::optional<notify::MailSettings>> mail_settings(const Config& config,
                                                                              const DataDir& dir);
[[nodiscard]] core::Result<std::optional<notify::SmsSettings>> sms_settings(const Config& config,
                                                                            const DataDir& dir);

[[nodiscard]] core::Result<std::unique_ptr<notify::Notifier>> make_notifier(
    const Config& config, const DataDir& dir, store::Store& store, audit::Trail& trail,
    core::Clock& clock, core::Random& random, core::Logger& log,
    std::function<std::string()> server_url);

}  // namespace praxis::app
