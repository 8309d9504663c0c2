// mlp_random.h — the random numbers behind Mlp::initialize(): uniforms from
// the top 53 bits of one std::mt19937_64 draw and normals by a hand-written
// Box-Muller transform, because the std::*_distribution algorithms differ
// between standard libraries and a seed must give the same network
// everywhere. Internal to problems/.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace curvature::internal::mlp {

// A uniform double in [0, 1) from the top 53 bits of one draw.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
// The same shifted into (0, 1), so its logarithm is finite.
inline double uniform_open(std::mt19937_64& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

// Standard normals by Box-Muller, the second of each pair kept for the next
// call.
class NormalSource {
 public:
  explicit NormalSource(std::mt19937_64& rng) : rng_(rng) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(uniform_open(rng_)));
    const double angle = 2.0 * std::numbers::pi * uniform_open(rng_);
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::mt19937_64& rng_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace curvature::internal::mlp
