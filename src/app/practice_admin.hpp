#pragma once
// Practice administration from the command line (`praxis practice create`, `praxis init
// --practice-*`): opens the configured store and keys of a data directory and creates
// the practice through the PracticeService.

#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "core/error.hpp"
#include "practices/practice_service.hpp"

namespace praxis::app {

[[nodiscard]] core::Result<store::PracticeRow> create_practice(const DataDir& dir,
                                                               practices::NewPractice input,
                                                               const PassphraseSource& passphrase);

// The public booking address of a practice, from the configured listener.
std::string booking_url(const DataDir& dir, const store::PracticeRow& practice);

}  // namespace praxis::app
