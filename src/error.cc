// The number format and option-error wording that every message shares
// (curvature/error.h).
#include "curvature/error.h"

#include <charconv>
#include <cmath>

namespace curvature {

std::string to_decimal(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  // Whole numbers print whole: a thread count of 100000 reads "100000", not
  // the shorter "1e+05".
  const bool whole = value == std::trunc(value) && std::abs(value) < 1e15;
  const auto result = whole ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                            : std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void require_option(bool condition, const char* options, const char* field, const std::string& requirement,
                    double value) {
  if (!condition) {
    throw Error(std::string(options) + "::" + field + " must be " + requirement + ", got " + to_decimal(value));
  }
}

}  // namespace curvature
