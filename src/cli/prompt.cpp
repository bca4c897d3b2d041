#include "cli/prompt.hpp"

#include <unistd.h>

#include <iostream>

#include "core/text.hpp"

namespace praxis::cli {

namespace {

std::string ask(std::string_view question, std::string_view suggestion = {}) {
  std::cerr << question;
  if (!suggestion.empty()) std::cerr << " [" << suggestion << "]";
  std::cerr << ": " << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return std::string(suggestion);
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string::npos) return std::string(suggestion);
  const auto last = line.find_last_not_of(" \t\r");
  return line.substr(first, last - first + 1);
}

}  // namespace

bool on_terminal() { return ::isatty(STDIN_FILENO) != 0; }

std::string suggest_slug(std::string_view name) {
  std::string slug;
  for (char c : core::normalize_name(name)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      slug.push_back(c);
    } else if (!slug.empty() && slug.back() != '-') {
      slug.push_back('-');
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.size() > 40) slug.resize(40);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

bool ask_practice(PracticeFlags& p) {
  std::cerr << "Praxis anlegen (leer lassen, um es später mit 'praxis practice create' zu tun) /\n"
               "Create the practice (leave empty to do it later with 'praxis practice create'):\n";
  if (p.name.empty()) p.name = ask("  Name der Praxis / practice name");
  if (p.name.empty()) return false;
  if (p.slug.empty()) p.slug = ask("  Adresse /book/… / public address", suggest_slug(p.name));
  if (p.state.empty())
    p.state = ask("  Bundesland (BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH)");
  if (!p.owner_email) {
    auto email = ask("  E-Mail der Inhaberin/des Inhabers / owner's e-mail");
    if (!email.empty()) p.owner_email = email;
  }
  return true;
}

}  // namespace praxis::cli
