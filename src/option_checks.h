// option_checks.h — the internal names of the shared option-error wording
// (curvature/error.h: require_option, to_decimal). Internal.
#pragma once

#include "curvature/error.h"

namespace curvature::internal {

using curvature::require_option;
inline std::string shortest_decimal(double value) { return to_decimal(value); }

}  // namespace curvature::internal
