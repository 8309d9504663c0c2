// cli_checks.h — the checks of the curv commands' numeric options, with
// messages in the user's words: "--lr: must be non-negative and finite (got
// -1)". CLI11's own range checks print their bounds with six decimals
// (DBL_MAX with 309 digits) and let NaN through; these reject NaN and
// infinities wherever a number must be finite, and a minus sign on a count
// that the parser would otherwise wrap to 2^64 - 1.
#pragma once

#include <CLI/CLI.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace curvature::tools {

namespace detail {

// The number `text` holds, or NaN when it holds none (or trailing junk).
// strtod rather than stod: stod refuses subnormal numbers (1e-310) as out
// of range, and the message would then call a positive number negative.
inline double parse_number(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nan("");
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() ? value : std::nan("");
}

inline std::string shown(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace detail

// A finite number > 0.
inline CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const double value = detail::parse_number(text);
        return std::isfinite(value) && value > 0.0 ? "" : "must be positive and finite (got " + text + ")";
      },
      "POSITIVE");
}

// A finite number >= 0.
inline CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const double value = detail::parse_number(text);
        return std::isfinite(value) && value >= 0.0 ? "" : "must be non-negative and finite (got " + text + ")";
      },
      "NON-NEGATIVE");
}

// A number in [low, high].
inline CLI::Validator in_range(double low, double high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        const double value = detail::parse_number(text);
        if (value >= low && value <= high) return "";
        return "must be in [" + detail::shown(low) + ", " + detail::shown(high) + "] (got " + text + ")";
      },
      "[" + detail::shown(low) + ", " + detail::shown(high) + "]");
}

// A whole number in [low, high] (for int options: "2.5" and "1e9" are
// refused here by name instead of by CLI11's "Could not convert").
inline CLI::Validator whole_number(long long low, long long high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        const std::string digits = !text.empty() && text[0] == '-' ? text.substr(1) : text;
        bool ok = !digits.empty() && digits.size() <= 18 && digits.find_first_not_of("0123456789") == std::string::npos;
        if (ok) {
          const long long value = std::stoll(text);
          ok = value >= low && value <= high;
        }
        if (ok) return "";
        return "must be a whole number in [" + std::to_string(low) + ", " + std::to_string(high) + "] (got " + text +
               ")";
      },
      "");
}

// A whole number that is not negative (for unsigned options such as seeds).
inline CLI::Validator not_negative_integer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        return digits ? "" : "must be a whole number >= 0 (got " + text + ")";
      },
      "");
}

}  // namespace curvature::tools
