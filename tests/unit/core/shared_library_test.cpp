#include "core/shared_library.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace praxis::core {
namespace {

TEST(SharedLibrary, BindsTheFunctionsOfALibraryOpenedByItsSoname) {
  auto lib = SharedLibrary::open("libc.so.6", "libc6");
  ASSERT_TRUE(lib) << lib.error().internal;
  decltype(&std::strlen) length = nullptr;
  lib->bind(length, "strlen");
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
  decltype(&std::strlen) length = nullptr;
  decltype(&std::strlen) missing = nullptr;
  lib->bind(missing, "praxis_no_such_function").bind(length, "strlen");
  EXPECT_EQ(missing, nullptr);
  EXPECT_NE(length, nullptr) << "later binds still run";
  auto complete = lib->complete();
  ASSERT_FALSE(complete);
  EXPECT_NE(complete.error().internal.find("praxis_no_such_function"), std::string::npos);
}

}  // namespace
}  // namespace praxis::core
