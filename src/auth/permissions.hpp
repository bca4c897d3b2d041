#pragma once
// The role → permission matrix (issue #5). Routes name a permission (http::Access);
// the authorizer grants it when the caller's role has it. docs/security.md shows the
// same matrix, and a unit test keeps the two equal.

#include <array>
#include <string_view>

namespace praxis::auth {

inline constexpr std::array<std::string_view, 5> kRoleNames = {"owner", "physician", "assistant",
                                                               "reception", "auditor"};

inline constexpr std::array<std::string_view, 17> kPermissions = {
    "practice.read",             // practice master data, opening hours
    "practice.manage",           // change practice data, booking rules
    "users.read",                // list staff accounts
    "users.manage",              // invite, change roles, revoke sessions of others, relax 2FA
    "api_tokens.manage",         // integration tokens
    "scheduling.configure",      // practitioners, resources, appointment types, working plans
    "patients.read",             // master data, search
    "patients.write",            // create, correct
    "patients.delete",           // delete, restore, merge
    "appointments.read",         // the calendar
    "appointments.write",        // book, move, cancel
    "patients.restrict",         // mark a record restricted (break-glass only for others)
    "patients.read_restricted",  // read restricted records without breaking the glass
    "break_glass.review",        // see break-glass accesses with their reasons, mark reviewed
    "audit.read",                // the audit trail, checkpoints, proofs
    "patients.access_log",       // "who looked at this patient"
    "break_glass",               // emergency access with a reason (flagged)
};

// True if `role` grants `permission`; false for unknown roles or permissions.
bool role_grants(std::string_view role, std::string_view permission);

bool known_role(std::string_view role);
bool known_permission(std::string_view permission);

}  // namespace praxis::auth
