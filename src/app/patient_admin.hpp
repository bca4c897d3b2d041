#pragma once
// Patient administration from the command line (`praxis patients import`): opens the
// data directory's keys and store and runs the CSV import for one practice.

#include <filesystem>
#include <string_view>

#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "core/error.hpp"
#include "patients/csv_import.hpp"

namespace praxis::app {

[[nodiscard]] core::Result<patients::ImportSummary> import_patients(
    const DataDir& dir, std::string_view practice_slug, const std::filesystem::path& file,
    const patients::ImportOptions& options, const PassphraseSource& passphrase,
    const patients::ImportProgress& progress);

}  // namespace praxis::app
