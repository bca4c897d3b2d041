#pragma once
// A shared library opened when it is first needed (dlopen) instead of at start-up.
//
// For the client libraries only some installations use — libpq (PostgreSQL) and libcurl
// (mail, SMS) —: linked normally, every server maps them and the trees they pull in
// (GnuTLS, nettle, p11-kit, Kerberos, OpenLDAP, SASL, libssh2, …) and runs those
// libraries' constructors, about 4 MiB of an idle server's memory (issue #2). Opened here
// on first use, a practice server on SQLite without mail never loads them.
//
// Libraries are looked up by soname on the system's search path, like the dynamic linker
// does for linked ones, and stay loaded until the process ends (libraries with their own
// global state, such as libcurl and GnuTLS, must not be unloaded while in use).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace praxis::core {

class SharedLibrary {
 public:
  // Opens `soname` ("libpq.so.5"). On failure the error says which library, what the
  // loader said and, in `package`, which Debian package provides it.
  static Result<SharedLibrary> open(const std::string& soname, std::string_view package);

  // Opens `soname` and makes a `Table` of its functions: an aggregate whose first member
  // is the library, `lib`, and whose others each look up one function in it, so every
  // function is named in one place:
  //   struct LibPq {
  //     core::SharedLibrary lib;
  //     decltype(&::PQclear) clear = lib.function<decltype(clear)>("PQclear");
  //   };
  // Fails if the library or any of the functions is missing.
  template <typename Table>
  static Result<Table> load(const std::string& soname, std::string_view package) {
    auto lib = open(soname, package);
    if (!lib) return tl::unexpected(lib.error());
    Table table{std::move(*lib)};
    if (auto complete = table.lib.complete(); !complete) {
      return tl::unexpected(complete.error());
    }
    return table;
  }

  // The library's function `name` as the function pointer type `P`; null if it has none,
  // and the first name missing is what `complete` reports.
  template <typename P>
  P function(const char* name) {
    return reinterpret_cast<P>(address(name));
  }
  // Whether every function looked up was found; otherwise an error naming the first
  // missing.
  Result<void> complete() const;

 private:
  SharedLibrary(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  void* address(const char* name);

  void* handle_ = nullptr;
  std::string soname_;
  std::string missing_;
};

}  // namespace praxis::core
