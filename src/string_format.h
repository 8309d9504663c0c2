// string_format.h — printf into a std::string: the one helper behind the
// messages that quote numbers (termination reasons, rejected points).
// Internal.
#pragma once

#include <string>

namespace curvature::internal {

// The compiler checks the arguments against the pattern.
std::string string_printf(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

}  // namespace curvature::internal
