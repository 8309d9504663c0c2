// The JSON writer of the curv commands (tools/json_line.h): what it writes
// must be valid JSON that reads back to what was written.
#include "json_line.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace curvature::tools {
namespace {

TEST(JsonLineEscaping, QuotesBackslashesAndControlCharacters) {
  const std::string line = JsonLine().text("path", "a\"b\\c\nd\te\rf\x01g").str();
  EXPECT_EQ(line, "{\"path\":\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\"}\n");
}

TEST(JsonLineEscaping, KeysAreEscapedToo) { EXPECT_EQ(JsonLine().boolean("a\"b", true).str(), "{\"a\\\"b\":true}\n"); }

TEST(JsonLineEscaping, Utf8PassesThrough) {
  EXPECT_EQ(JsonLine().text("name", "Mor\xc3\xa9").str(), "{\"name\":\"Mor\xc3\xa9\"}\n");
}

TEST(JsonLineNumbers, NonFiniteValuesAreNull) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(JsonLine().number("a", nan).number("b", inf).number("c", -inf).str(),
            "{\"a\":null,\"b\":null,\"c\":null}\n");
  EXPECT_EQ(JsonLine().numbers("x", {1.0, nan, -inf}).str(), "{\"x\":[1,null,null]}\n");
}

TEST(JsonLineNumbers, DoublesReadBackExactly) {
  const std::vector<double> values = {0.1,
                                      1.0 / 3.0,
                                      -2.5e-300,
                                      1.4966870418316223,
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::epsilon(),
                                      -0.0,
                                      123456789012345678.0};
  for (const double value : values) {
    const std::string text = JsonLine::json_number(value);
    double back = 0.0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), back);
    EXPECT_EQ(result.ptr, text.data() + text.size()) << text;
    EXPECT_EQ(back, value) << text;
    EXPECT_EQ(std::signbit(back), std::signbit(value)) << text;
    // A JSON number: an optional minus, digits, an optional fraction and
    // exponent; never "inf", "nan" or a leading "+".
    EXPECT_EQ(text.find_first_not_of("-0123456789.e+"), std::string::npos) << text;
    EXPECT_NE(text.front(), '+') << text;
  }
}

TEST(JsonLineNumbers, ShortestDecimalAndIntegers) {
  EXPECT_EQ(JsonLine()
                .number("a", 0.1)
                .number("b", 3.0)
                .integer("c", -7)
                .unsigned_integer("d", 18446744073709551615ull)
                .str(),
            "{\"a\":0.1,\"b\":3,\"c\":-7,\"d\":18446744073709551615}\n");
}

TEST(JsonLineObject, EmptyAndMixed) {
  EXPECT_EQ(JsonLine().str(), "{}\n");
  EXPECT_EQ(JsonLine().text("s", "").numbers("v", {}).boolean("f", false).str(), "{\"s\":\"\",\"v\":[],\"f\":false}\n");
}

}  // namespace
}  // namespace curvature::tools
