#pragma once
// The audit API (issue #8, DESIGN.md's endpoint map): the auditor's search, the latest
// signed checkpoint, inclusion and consistency proofs, and a patient's access report.

#include "audit/audit_service.hpp"
#include "http/router.hpp"
#include "patients/patient_service.hpp"

namespace praxis::api {

void add_audit_routes(http::Router& router, audit::AuditService& audit,
                      patients::PatientService& patients);

}  // namespace praxis::api
