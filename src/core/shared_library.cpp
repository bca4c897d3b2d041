#include "core/shared_library.hpp"

#include <dlfcn.h>

namespace praxis::core {

Result<SharedLibrary> SharedLibrary::open(const std::string& soname, std::string_view package) {
  // RTLD_NOW: a missing function shows now, not as a crash in the middle of a request.
  // RTLD_LOCAL: its symbols do not resolve anything else's.
  void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    // glibc keeps dlerror's state per thread.
    const char* why = ::dlerror();  // NOLINT(concurrency-mt-unsafe)
    return fail(ErrorCode::unavailable,
                "Die Bibliothek " + soname + " fehlt (Paket " + std::string(package) +
                    " installieren). / The library " + soname + " is missing (install the " +
                    std::string(package) + " package).",
                "dlopen " + soname + ": " + (why ? why : "unknown error"));
  }
  return SharedLibrary(handle, soname);
}

void* SharedLibrary::address(const char* name) {
  void* fn = ::dlsym(handle_, name);
  if (fn == nullptr && missing_.empty()) missing_ = name;
  return fn;
}

Result<void> SharedLibrary::complete() const {
  if (missing_.empty()) return {};
  return fail(
      ErrorCode::unavailable,
      "Die Bibliothek " + soname_ + " ist zu alt. / The library " + soname_ + " is too old.",
      soname_ + " has no function " + missing_);
}

}  // namespace praxis::core
