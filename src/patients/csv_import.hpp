#pragma once
// `praxis patients import` (issue #6): patients from a CSV file, for practices moving
// from another system.
//
// The file: a header row naming the columns (any order; unknown names are refused before
// anything is imported), ';' or ',' as separator (taken from the header line), quotes as
// in RFC 4180, UTF-8 (with or without BOM) or ISO-8859-1 (detected, or forced). Columns:
//
//   family_name, given_names, birth_date (YYYY-MM-DD or DD.MM.YYYY), sex (m/w/d/x),
//   title, name_prefix, name_suffix, street, postcode, city, country,
//   phone_mobile, phone_home, phone_work, email, insurance_kind (GKV/PKV/self_pay/BG),
//   insurer_name, ik, kvnr, language, note,
//   email_reminders, sms_reminders (ja/nein, yes/no, true/false, 1/0)
//
// Rows are validated like the API does, imported in batches, and rows that match an
// existing patient (name + birth date, KVNR, e-mail or phone) are skipped, so running
// the import again creates no duplicates. Rejected rows go to a report (line number,
// field, reason; no patient values).

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "patients/patient_service.hpp"

namespace praxis::patients {

enum class CsvEncoding { automatic, utf8, latin1 };

struct ImportOptions {
  CsvEncoding encoding = CsvEncoding::automatic;
  // Rows per write transaction. Larger batches write each blind-index page of a big
  // practice fewer times (300,000 patients: 500 → 4,100/s, 2,000 → 5,300/s, 10,000 →
  // 6,700/s); a server running beside the import waits for the batch being written
  // (about half a second at 2,000 in a practice of 100,000).
  std::size_t batch_size = 2000;
  std::filesystem::path report;  // empty: FILE.report.csv next to the input
};

struct ImportSummary {
  std::size_t rows = 0;
  std::size_t created = 0;
  std::size_t already_present = 0;
  std::size_t rejected = 0;
  std::filesystem::path report;
  std::string encoding;  // what was read: "UTF-8" or "ISO-8859-1"
};

// Called after each batch with (rows done, rows total).
using ImportProgress = std::function<void(std::size_t, std::size_t)>;

[[nodiscard]] core::Result<ImportSummary> import_csv(PatientService& service,
                                                     const audit::Context& context,
                                                     std::string_view practice_id,
                                                     const std::filesystem::path& file,
                                                     const ImportOptions& options,
                                                     const ImportProgress& progress = {});

}  // namespace praxis::patients
