#pragma once
// Asking the operator on a terminal: `praxis init` without --practice-name asks for the
// practice and its owner when standard input is a terminal (scripts pass flags).

#include <string>
#include <string_view>

#include "cli/commands.hpp"

namespace praxis::cli {

bool on_terminal();

// "Praxis Dr. Müller" → "praxis-dr-mueller" (a suggestion the operator may change).
std::string suggest_slug(std::string_view name);

// Fills the empty fields of `practice` (name, slug, state, owner e-mail) from the
// terminal. An empty practice name means "no practice now"; returns false then.
bool ask_practice(PracticeFlags& practice);

}  // namespace praxis::cli
