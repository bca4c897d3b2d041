#pragma once
// The patient API (issue #6, DESIGN.md §5): search, create with duplicate detection,
// read with ETag, PATCH with If-Match, soft delete, restore, merge.

#include "http/router.hpp"
#include "patients/patient_service.hpp"

namespace praxis::api {

void add_patient_routes(http::Router& router, patients::PatientService& patients);

}  // namespace praxis::api
