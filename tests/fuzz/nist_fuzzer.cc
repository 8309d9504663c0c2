// Fuzzes the NIST StRD .dat parser (problems/nist.h).
//
// For every input: either a curvature::Error, or a problem whose counts agree
// with its vectors (observations with y, x and x2; parameters with both
// starts, the certified values and their deviations), whose difficulty is one
// of NIST's three words and whose numbers are all finite. Anything else
// (another exception, a sanitizer report, a broken invariant) is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "curvature/error.h"
#include "fuzz_invariant.h"
#include "nist.h"

namespace {

using curvature::fuzz::require;

bool all_finite(const std::vector<double>& values) {
  for (double v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

void check_problem(const curvature::NistProblem& p) {
  require(p.num_observations > 0, "an accepted problem has observations");
  require(p.num_parameters > 0, "an accepted problem has parameters");
  const auto n = static_cast<size_t>(p.num_observations);
  const auto k = static_cast<size_t>(p.num_parameters);
  require(p.y.size() == n && p.x.size() == n, "one y and one x per observation");
  require(p.x2.empty() || p.x2.size() == n, "x2 is absent or has one value per observation");
  require(p.start1.size() == k && p.start2.size() == k, "one start value per parameter");
  require(p.certified.size() == k && p.certified_std_dev.size() == k, "one certified value per parameter");
  require(p.difficulty == "lower" || p.difficulty == "average" || p.difficulty == "higher",
          "the difficulty is one of NIST's three words");
  require(p.name == "fuzz", "the name is the file's base name");
  require(all_finite(p.y) && all_finite(p.x) && all_finite(p.x2), "accepted data are finite");
  require(all_finite(p.start1) && all_finite(p.start2) && all_finite(p.certified) && all_finite(p.certified_std_dev),
          "accepted parameter values are finite");
  require(std::isfinite(p.certified_residual_sum_of_squares), "the certified residual sum of squares is finite");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(bytes), size));
  curvature::NistProblem problem;
  try {
    problem = curvature::read_nist_problem(in, "dir/fuzz.dat");
  } catch (const curvature::Error&) {
    return 0;
  }
  check_problem(problem);
  return 0;
}
