// Validation of NumericDiffOptions, in one place rather than inline in every
// user's translation unit.
#include "curvature/error.h"
#include "curvature/numeric_diff_cost_function.h"

namespace curvature {

void validate(const NumericDiffOptions& options) {
  auto require = [](bool ok, const char* field, const char* rule, double value) {
    require_option(ok, "NumericDiffOptions", field, rule, value);
  };
  require(options.forward_relative_step_size > 0.0, "forward_relative_step_size", "positive",
          options.forward_relative_step_size);
  require(options.central_relative_step_size > 0.0, "central_relative_step_size", "positive",
          options.central_relative_step_size);
  require(options.ridders_relative_initial_step_size > 0.0, "ridders_relative_initial_step_size", "positive",
          options.ridders_relative_initial_step_size);
  require(options.ridders_step_shrink_factor > 1.0, "ridders_step_shrink_factor", "greater than 1",
          options.ridders_step_shrink_factor);
  require(options.max_num_ridders_extrapolations >= 1, "max_num_ridders_extrapolations", "at least 1",
          options.max_num_ridders_extrapolations);
  require(options.ridders_epsilon >= 0.0, "ridders_epsilon", "non-negative", options.ridders_epsilon);
}

}  // namespace curvature
