// option_checks.h — the error an options struct raises for a field out of
// range, worded the same everywhere: "<Options>::<field> must be
// <requirement>, got <value>", the value in its shortest exact decimal.
// Internal.
#pragma once

#include <charconv>
#include <string>

#include "curvature/error.h"

namespace curvature::internal {

// The shortest decimal that reads back as `value` ("1", "0.9", "-1e-08").
inline std::string shortest_decimal(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// Throws curvature::Error unless `condition` holds.
inline void require_option(bool condition, const char* options, const char* field, const char* requirement,
                           double value) {
  if (!condition) {
    throw Error(std::string(options) + "::" + field + " must be " + requirement + ", got " + shortest_decimal(value));
  }
}

}  // namespace curvature::internal
