#pragma once
// The staff API of issue #5 (DESIGN.md §5, endpoint map): sign-in and enrolment under
// /api/v1/auth, API tokens, the practice's own data and its staff accounts.

#include <functional>
#include <string>

#include "audit/audit_service.hpp"
#include "auth/account_service.hpp"
#include "auth/auth_service.hpp"
#include "http/router.hpp"
#include "patients/patient_service.hpp"
#include "practices/practice_service.hpp"
#include "scheduling/scheduling_service.hpp"

namespace praxis::api {

struct StaffServices {
  auth::AuthService& auth;
  auth::AccountService& accounts;
  practices::PracticeService& practices;
  patients::PatientService& patients;
  audit::AuditService& audit;
  scheduling::SchedulingService& scheduling;
  std::function<std::string()> base_url;  // for enrolment links, e.g. "https://praxis.example"
};

void add_staff_routes(http::Router& router, const StaffServices& services);

}  // namespace praxis::api
