#include "auth/permissions.hpp"

#include <algorithm>
#include <initializer_list>

namespace praxis::auth {
namespace {

struct Grant {
  std::string_view role;
  std::initializer_list<std::string_view> permissions;
};

// Owners hold every permission (they are accountable for the practice). The others
// get what their work needs: reception runs the front desk (master data and calendar),
// assistants and physicians also delete/merge duplicates; all three open a restricted
// record only by breaking the glass (with a reason, reviewed by an owner); auditors
// read the trail and access logs but no patient data.
constexpr std::string_view kAll = "*";

const Grant kGrants[] = {
    {"owner", {kAll}},
    {"physician",
     {"practice.read", "patients.read", "patients.write", "patients.delete", "appointments.read",
      "appointments.write", "patients.access_log", "break_glass"}},
    {"assistant",
     {"practice.read", "patients.read", "patients.write", "patients.delete", "appointments.read",
      "appointments.write", "break_glass"}},
    {"reception",
     {"practice.read", "patients.read", "patients.write", "appointments.read",
      "appointments.write", "break_glass"}},
    {"auditor", {"practice.read", "users.read", "audit.read", "patients.access_log"}},
};

}  // namespace

bool known_role(std::string_view role) {
  return std::find(kRoleNames.begin(), kRoleNames.end(), role) != kRoleNames.end();
}

bool known_permission(std::string_view permission) {
  return std::find(kPermissions.begin(), kPermissions.end(), permission) != kPermissions.end();
}

bool role_grants(std::string_view role, std::string_view permission) {
  if (!known_permission(permission)) return false;
  for (const auto& grant : kGrants) {
    if (grant.role != role) continue;
    return std::any_of(grant.permissions.begin(), grant.permissions.end(),
                       [&](std::string_view p) { return p == kAll || p == permission; });
  }
  return false;
}

}  // namespace praxis::auth
