// json_line.h — the one JSON writer of the curv commands: a flat object on
// one line (JSON Lines), whose values are strings, numbers, booleans or
// arrays of numbers. Strings (keys too) are escaped; numbers are written by
// curvature::to_decimal, the shortest decimal that reads back to the same
// double (at most 17 significant digits); NaN and infinities, which JSON
// cannot spell, become null.
//
// A helper of ~100 lines rather than a JSON library: the commands write
// nothing but flat records, and a dependency would be one more package for
// every build of curv for what fits on one screen. tests/json_line_test.cc
// checks the escaping, the nulls and the round trip of doubles.
//
//   out << JsonLine().text("problem", "ENSO").number("final_cost", cost).boolean("solved", true).str();
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "json_string.h"

namespace curvature::tools {

class JsonLine {
 public:
  JsonLine& text(const char* key, const std::string& value) {
    append_key(key);
    body_ += quoted(value);
    return *this;
  }
  JsonLine& number(const char* key, double value) {
    append_key(key);
    body_ += json_number(value);
    return *this;
  }
  JsonLine& numbers(const char* key, const std::vector<double>& values) {
    append_key(key);
    body_ += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) body_ += ',';
      body_ += json_number(values[i]);
    }
    body_ += ']';
    return *this;
  }
  JsonLine& integer(const char* key, long long value) {
    append_key(key);
    body_ += std::to_string(value);
    return *this;
  }
  JsonLine& unsigned_integer(const char* key, unsigned long long value) {
    append_key(key);
    body_ += std::to_string(value);
    return *this;
  }
  JsonLine& boolean(const char* key, bool value) {
    append_key(key);
    body_ += value ? "true" : "false";
    return *this;
  }
  // The object and a newline.
  std::string str() const { return "{" + body_ + "}\n"; }

  // A double as a JSON number: the shortest decimal that reads back exactly,
  // or null for NaN and infinities.
  static std::string json_number(double value) {
    if (!std::isfinite(value)) return "null";
    return to_decimal(value);
  }

  // A string as a JSON string: quotes, backslashes and control characters
  // escaped; other bytes (UTF-8 included) as they are.
  static std::string quoted(const std::string& value) { return internal::json_quoted(value); }

 private:
  void append_key(const char* key) {
    if (!body_.empty()) body_ += ',';
    body_ += quoted(key);
    body_ += ':';
  }

  std::string body_;
};

}  // namespace curvature::tools
