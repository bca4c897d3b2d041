#include "core/shared_library.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace praxis::core {
namespace {

TEST(SharedLibrary, BindsTheFunctionsOfALibraryOpenedByItsSoname) {
  auto lib = SharedLibrary::open("libc.so.6", "libc6");
  ASSERT_TRUE(lib) << lib.error().internal;
  auto length = lib->function<decltype(&std::strlen)>("strlen");
  ASSERT_TRUE(lib->complete());
  ASSERT_NE(length, nullptr);
  EXPECT_EQ(length("praxis"), 6u);
}

TEST(SharedLibrary, AMissingLibraryNamesItsPackage) {
  auto lib = SharedLibrary::open("libpraxis-nonexistent.so.7", "libpraxis-nonexistent7");
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().code, ErrorCode::unavailable);
  EXPECT_NE(lib.error().message.find("libpraxis-nonexistent.so.7"), std::string::npos);
  EXPECT_NE(lib.error().message.find("libpraxis-nonexistent7"), std::string::npos)
      << "what to install";
  EXPECT_NE(lib.error().internal.find("dlopen"), std::string::npos);
}

TEST(SharedLibrary, AMissingFunctionIsReportedByItsName) {
  auto lib = SharedLibrary::open("libc.so.6", "libc6");
  ASSERT_TRUE(lib);
  auto missing = lib->function<decltype(&std::strlen)>("praxis_no_such_function");
  auto length = lib->function<decltype(&std::strlen)>("strlen");
  EXPECT_EQ(missing, nullptr);
  EXPECT_NE(length, nullptr) << "later lookups still run";
  auto complete = lib->complete();
  ASSERT_FALSE(complete);
  EXPECT_NE(complete.error().internal.find("praxis_no_such_function"), std::string::npos);
}

// A table of functions, as the PostgreSQL and mail code keep theirs.
struct LibC {
  SharedLibrary lib;
  decltype(&std::strlen) length = lib.function<decltype(length)>("strlen");
  decltype(&std::strlen) missing = lib.function<decltype(missing)>("praxis_no_such_function");
};
struct LibCComplete {
  SharedLibrary lib;
  decltype(&std::strlen) length = lib.function<decltype(length)>("strlen");
};

TEST(SharedLibrary, ATableIsLoadedOnlyWhenEveryFunctionIsThere) {
  auto complete = SharedLibrary::load<LibCComplete>("libc.so.6", "libc6");
  ASSERT_TRUE(complete) << complete.error().internal;
  EXPECT_EQ(complete->length("praxis"), 6u);
  auto partial = SharedLibrary::load<LibC>("libc.so.6", "libc6");
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.error().internal.find("praxis_no_such_function"), std::string::npos);
  auto absent = SharedLibrary::load<LibCComplete>("libpraxis-nonexistent.so.7", "x");
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().internal.find("dlopen"), std::string::npos);
}

}  // namespace
}  // namespace praxis::core
