#include "cli/passphrase.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace praxis::cli {
namespace {

std::string strip_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string prompt_hidden(const char* prompt) {
  std::cerr << prompt << std::flush;
  termios old_mode{};
  const bool tty = ::tcgetattr(STDIN_FILENO, &old_mode) == 0;
  if (tty) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
    std::cerr << "\n";
  }
  return strip_newline(line);
}

}  // namespace

core::Result<std::string> read_passphrase(bool confirm, const char* prompt, bool use_credential) {
  // Read once at start-up, before any thread that could change the environment exists.
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  const char* dir = use_credential ? std::getenv("CREDENTIALS_DIRECTORY") : nullptr;
  if (dir) {
    const std::filesystem::path file = std::filesystem::path(dir) / "praxis-passphrase";
    std::ifstream in(file);
    std::string line;
    if (in && std::getline(in, line)) return strip_newline(line);
  }
  if (::isatty(STDIN_FILENO)) {
    std::string first = prompt_hidden(prompt);
    if (confirm && prompt_hidden("Repeat the passphrase: ") != first) {
      return core::fail(core::ErrorCode::invalid_input, "the two passphrases differ");
    }
    return first;
  }
  std::string line;
  if (!std::getline(std::cin, line)) {
    return core::fail(core::ErrorCode::invalid_input,
                      "no passphrase: give it on the terminal, on standard input, or as the "
                      "systemd credential praxis-passphrase");
  }
  return strip_newline(line);
}

}  // namespace praxis::cli
