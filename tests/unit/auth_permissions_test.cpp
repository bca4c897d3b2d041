#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "auth/permissions.hpp"

namespace praxis::auth {
namespace {

// Reads the permission matrix of docs/security.md: permission → one mark per role.
std::vector<std::pair<std::string, std::vector<bool>>> documented_matrix() {
  std::ifstream in(std::string(PRAXIS_SOURCE_DIR) + "/docs/security.md");
  std::vector<std::pair<std::string, std::vector<bool>>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    std::string permission = line.substr(3, end - 3);
    if (!known_permission(permission)) continue;
    std::vector<bool> marks;
    std::size_t pos = line.find('|', end);
    while (true) {
      const auto next = line.find('|', pos + 1);
      if (next == std::string::npos) break;
      marks.push_back(line.substr(pos + 1, next - pos - 1).find("✓") != std::string::npos);
      pos = next;
    }
    rows.emplace_back(permission, marks);
  }
  return rows;
}

TEST(Permissions, TheDocumentedMatrixIsTheCodedOne) {
  const auto rows = documented_matrix();
  ASSERT_EQ(rows.size(), kPermissions.size()) << "every permission has a row in docs/security.md";
  for (const auto& [permission, marks] : rows) {
    ASSERT_EQ(marks.size(), kRoleNames.size()) << permission;
    for (std::size_t r = 0; r < kRoleNames.size(); ++r) {
      EXPECT_EQ(marks[r], role_grants(kRoleNames[r], permission))
          << kRoleNames[r] << " × " << permission;
    }
  }
}

TEST(Permissions, OwnersHoldEverythingAuditorsNoPatientData) {
  for (auto p : kPermissions) EXPECT_TRUE(role_grants("owner", p)) << p;
  EXPECT_FALSE(role_grants("auditor", "patients.read"));
  EXPECT_FALSE(role_grants("auditor", "break_glass")) << "auditors never open records";
  EXPECT_TRUE(role_grants("reception", "break_glass")) << "the front desk may, with a reason";
  EXPECT_FALSE(role_grants("physician", "patients.read_restricted"));
  EXPECT_FALSE(role_grants("owner", "no.such.permission"));
  EXPECT_FALSE(role_grants("admin", "practice.read"));
}

}  // namespace
}  // namespace praxis::auth
