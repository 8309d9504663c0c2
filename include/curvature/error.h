// curvature/error.h — the one exception type the library throws.
//
// curvature reports misuse of its API (null pointers, size mismatches, unknown
// parameter blocks, inconsistent bounds, options out of range) by throwing
// curvature::Error with a message that names the offending item. Numerical
// trouble during a solve (a non-finite cost, a failed factorization) is not an
// exception: it ends the solve and is reported in the Summary.
#pragma once

#include <stdexcept>
#include <string>

// The library's public API; what lies in curvature::internal is not part of it.
namespace curvature {

// The exception for misuse of the API; what() names the offending item.
class Error : public std::invalid_argument {
 public:
  explicit Error(const std::string& message) : std::invalid_argument(message) {}  // what() returns `message`
};

// How every curvature message prints a number: the shortest decimal that
// reads back as exactly `value` ("1", "0.9", "-1e-20", "1.0000001", "inf",
// "nan"). Unlike std::to_string (which prints -1e-20 as "-0.000000") or %g
// (which prints 1.0000001 as "1"), the number in a message is the number
// the program saw.
std::string to_decimal(double value);

// The one wording of an option out of range: unless `condition` holds,
// throws Error("<options>::<field> must be <requirement>, got <value>"),
// e.g. "SolverOptions::function_tolerance must be non-negative, got -1e-20".
void require_option(bool condition, const char* options, const char* field, const std::string& requirement,
                    double value);

}  // namespace curvature
