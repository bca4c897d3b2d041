#pragma once
// Practice administration from the command line (`praxis practice create`, `praxis init
// --practice-*`): opens the configured store and keys of a data directory and creates
// the practice through the PracticeService.

#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "auth/account_service.hpp"
#include "core/error.hpp"
#include "demo/demo_practice.hpp"
#include "practices/practice_service.hpp"

namespace praxis::app {

struct CreatedPractice {
  store::PracticeRow practice;
  std::optional<auth::Invitation> owner;  // when an owner e-mail was given
};

// Creates the practice and, given `owner_email`, invites its owner (the e-mail is
// checked before anything is created).
[[nodiscard]] core::Result<CreatedPractice> create_practice(
    const DataDir& dir, const practices::NewPractice& input,
    const std::optional<std::string>& owner_email, const PassphraseSource& passphrase);

// Invites a user into the practice with `slug` (a new one-time enrolment link; for the
// first owner when the link from init was lost, or for staff until the web app can).
[[nodiscard]] core::Result<auth::Invitation> invite_user(const DataDir& dir, std::string_view slug,
                                                         std::string_view email,
                                                         std::string_view role);

// A new one-time enrolment link for the account with `email` (the operator's way back
// in when the owner lost both phone and recovery codes, or the link expired): password
// and second factor are cleared, the user's sessions end. not_found for an unknown
// address.
[[nodiscard]] core::Result<auth::Invitation> reset_user(const DataDir& dir, std::string_view email);

// Fills the practice with the demo data (praxis init --demo).
[[nodiscard]] core::Result<demo::DemoSummary> seed_demo(const DataDir& dir,
                                                        std::string_view practice_id,
                                                        const PassphraseSource& passphrase);

// The server's base URL from the configured listener, e.g. http://127.0.0.1:8080.
std::string base_url(const DataDir& dir);
// The public booking address of a practice under `base`.
std::string booking_url(std::string_view base, const store::PracticeRow& practice);

}  // namespace praxis::app
