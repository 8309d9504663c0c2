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

namespace curvature {

class Error : public std::invalid_argument {
 public:
  explicit Error(const std::string& message) : std::invalid_argument(message) {}
};

}  // namespace curvature
