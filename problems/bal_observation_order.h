// bal_observation_order.h — the order of a BAL scene's observations, and
// so of the residual blocks add_bal_residuals() adds for them (bal.h): for
// benchmarks and tests of solvers whose speed depends on it.
#pragma once

#include <string>

#include "bal.h"

namespace curvature {

// The order of a scene's observations, and so of the residual blocks
// add_bal_residuals() adds: as given (the file's or the generator's, grouped
// by point), sorted by point (then camera), or sorted by camera (then
// point), as a program that adds its residuals image by image would.
enum class BalObservationOrder { kGiven, kPoint, kCamera };

// "given", "point", "camera"; anything else is an Error naming `option` and
// listing the names.
BalObservationOrder parse_bal_observation_order(const std::string& name, const std::string& option);
const char* to_string(BalObservationOrder order);

// Sorts scene->observations into `order`, stably (observations of the same
// camera and point keep their order); kGiven leaves them as they are.
void order_bal_observations(BalScene* scene, BalObservationOrder order);

}  // namespace curvature
