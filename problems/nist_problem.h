// nist_problem.h — a loaded NIST StRD problem as a curvature::Problem.
#pragma once

#include "curvature/problem.h"
#include "nist.h"

namespace curvature {

// Adds to `out` one residual block per observation of `problem`,
//   r_i(b) = response(y_i) - f(b; x_i, x2_i)
// (the model chosen by problem.name from nist_models.h), each an
// AutoDiffCostFunction<NistResidual<Model>, 1, Model::kNumParameters> with no
// loss, all on the single parameter block `b`. `b` must point to
// problem.num_parameters doubles that outlive `out`; it holds the starting
// point (copy problem.start1 or start2 into it) and receives the solution.
// Half the certified residual sum of squares is then the minimum cost.
//
// Throws curvature::Error for a null `out` or `b`, a name with no model, a
// parameter count that differs from the model's, or x/x2/y vectors whose
// sizes disagree with num_observations.
void add_nist_residuals(const NistProblem& problem, Problem* out, double* b);

}  // namespace curvature
