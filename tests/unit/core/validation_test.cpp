#include "core/validation.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace praxis::core {
namespace {

TEST(Validation, BsnrVectorsFromTheReference) {
  EXPECT_TRUE(valid_bsnr("190111100"));
  EXPECT_TRUE(valid_bsnr("345678975"));
  EXPECT_FALSE(valid_bsnr("12345678"));
  EXPECT_FALSE(valid_bsnr("1234567890"));
  EXPECT_FALSE(valid_bsnr("19011110A"));
  EXPECT_FALSE(valid_bsnr("001111100"));
  EXPECT_FALSE(valid_bsnr(""));
}

TEST(Validation, Bundeslaender) {
  for (const char* s : {"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL",
                        "SN", "ST", "SH", "TH"}) {
    EXPECT_TRUE(valid_bundesland(s)) << s;
  }
  for (const char* s : {"by", "DE-BY", "XX", "", "NRW"}) EXPECT_FALSE(valid_bundesland(s)) << s;
}

TEST(Validation, Slugs) {
  for (const std::string& s :
       std::vector<std::string>{"abc", "praxis-mueller", "zahn-berlin-2", std::string(40, 'a')}) {
    EXPECT_TRUE(valid_slug(s)) << s;
  }
  for (const std::string& s :
       std::vector<std::string>{"ab", "-abc", "abc-", "a--b", "Praxis", "müller", "a b c", "a/b",
                                std::string(41, 'a')}) {
    EXPECT_FALSE(valid_slug(s)) << s;
  }
}

}  // namespace
}  // namespace praxis::core
