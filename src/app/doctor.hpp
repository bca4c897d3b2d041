#pragma once
// `praxis doctor`: looks at an installation the way an attacker would (DESIGN.md §7)
// and reports each finding. It only reads; it never changes the installation.

#include <string>
#include <vector>

#include "app/data_dir.hpp"

namespace praxis::app {

enum class Severity { ok, warn, fail };

struct Finding {
  Severity severity;
  std::string check;    // stable id, e.g. "master_key.permissions"
  std::string message;  // for the operator; says how to fix a problem
};

std::vector<Finding> run_doctor(const DataDir& dir);

}  // namespace praxis::app
