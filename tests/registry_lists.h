// registry_lists.h — the "every method" lists of the tests, read from the
// registries, so that a new row is tested without editing any test.
#pragma once

#include <vector>

#include "curvature/solver_options.h"

namespace curvature::testing {

// Every linear solver a solve can run (kAuto resolves to one of these).
inline std::vector<LinearSolverType> every_linear_solver() {
  std::vector<LinearSolverType> types;
  for (const LinearSolverInfo& row : kLinearSolvers) {
    if (row.storage != JacobianStorage::kChosen) types.push_back(row.value);
  }
  return types;
}

// The direct ones, which solve exactly and diagnose rank deficiency.
inline std::vector<LinearSolverType> every_direct_linear_solver() {
  std::vector<LinearSolverType> types;
  for (LinearSolverType type : every_linear_solver()) {
    if (!info(type).iterative) types.push_back(type);
  }
  return types;
}

inline std::vector<Method> every_method() {
  std::vector<Method> methods;
  for (const MethodInfo& row : kMethods) methods.push_back(row.value);
  return methods;
}

}  // namespace curvature::testing
