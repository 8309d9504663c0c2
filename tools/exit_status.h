// exit_status.h — the exit statuses of curv, listed in `curv --help` and
// the README, so that a script can tell a solve that did not converge from
// a command line it could not run.
#pragma once

namespace curvature::tools {

// The command ran and succeeded: a solve converged, a fit ended normally
// with finite metrics, a benchmark ran (whatever it measured).
inline constexpr int kExitSucceeded = 0;
// Usage or input error (unknown option, value out of range, unreadable data,
// a --json path that cannot be written): nothing was solved.
inline constexpr int kExitUsageError = 1;
// The solve ended without converging (iteration or time limit, no acceptable
// step, ...) or the fit failed; the report and the JSON say why.
// --allow-unsolved turns this into kExitSucceeded.
inline constexpr int kExitUnsolved = 2;

// The status of a command that solved or fitted.
inline int solve_exit_status(bool succeeded, bool allow_unsolved) {
  return succeeded || allow_unsolved ? kExitSucceeded : kExitUnsolved;
}

inline constexpr const char* kExitStatusHelp =
    "Exit status:\n"
    "  0  succeeded: the solve converged, the fit ended normally with finite losses, the benchmark ran\n"
    "  1  usage or input error: nothing was solved\n"
    "  2  the solve ended without converging, or the fit failed (--allow-unsolved: 0)\n";

}  // namespace curvature::tools
