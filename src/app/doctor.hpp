#pragma once
// `praxis doctor`: looks at an installation the way an attacker would (DESIGN.md §7)
// and reports each finding. It only reads; it never changes the installation.

#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/data_dir.hpp"

namespace praxis::app {

enum class Severity { ok, warn, fail };

struct Finding {
  Severity severity;
  std::string check;    // stable id, e.g. "master_key.permissions"
  std::string message;  // for the operator; says how to fix a problem
  // A fail that makes serving unsafe (DESIGN.md T10): praxis serve refuses to start.
  bool blocks_start = false;
};

struct DoctorOptions {
  // start: only the checks praxis serve runs before it starts (no full integrity
  // check, no audit verification: those read the whole database).
  bool start = false;
  // The configuration to judge instead of praxis.toml (serve's --listen override).
  std::optional<Config> config;
};

std::vector<Finding> run_doctor(const DataDir& dir, const DoctorOptions& options = {});

// The findings that stop praxis serve.
std::vector<Finding> start_blockers(const std::vector<Finding>& findings);

}  // namespace praxis::app
