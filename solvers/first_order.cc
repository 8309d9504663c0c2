// The first-order update rules of first_order.h.
//
// Every step is one pass over the coordinates through raw pointers, with the
// per-step scalars (bias corrections, momentum schedule) computed once before
// the loop, so that the loop body is the scalar formula of the header and
// nothing else. The rules run on vectors of 1e6 parameters and more, where a
// step is bound by memory traffic: fusing the moment updates and the
// parameter update into one pass reads each state vector once per step
// instead of once per formula.
//
// Square roots: GCC does not vectorize std::sqrt in a loop unless errno
// handling is off (-fno-math-errno), and with it scalar the adaptive rules
// were compute-bound at ~4.5 ns per coordinate, twice momentum's
// memory-bound time. The rules that divide by a root therefore run in
// chunks of kChunk coordinates: a first loop updates the moments and writes
// the root's argument into a small stack buffer, Eigen takes the square roots
// of the buffer with packet instructions (sqrtpd), and a second loop applies
// the update, re-reading the moments from L1. The arithmetic per coordinate
// is unchanged (IEEE +, *, / and sqrt are correctly rounded in either form),
// so a vector step equals the scalar steps bit for bit.
#include "curvature/first_order.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "curvature/error.h"

namespace curvature {
namespace {

void require_decay(double value, const char* options, const char* field) {
  // Written so that NaN fails too.
  require_option(value >= 0.0 && value < 1.0, options, field, "in [0, 1)", value);
}

void require_epsilon(double value, const char* options) {
  require_option(value > 0.0 && std::isfinite(value), options, "epsilon", "positive and finite", value);
}

// The checks every step makes: O(1), never a pass over the data.
void check_step(const char* rule, std::span<double> x, std::span<const double> g, double learning_rate) {
  if (!(learning_rate >= 0.0 && std::isfinite(learning_rate))) {
    throw Error(std::string(rule) + "::step: learning_rate must be non-negative and finite, got " +
                to_decimal(learning_rate));
  }
  if (x.size() != g.size()) {
    throw Error(std::string(rule) + "::step: x has " + std::to_string(x.size()) + " entries but g has " +
                std::to_string(g.size()));
  }
}

// Sizes the state on the first step after construction or reset() (the one
// allocation a rule makes); afterwards the size must not change, since state
// built for one parameter vector means nothing for another.
template <typename... Vectors>
void ensure_state(const char* rule, std::size_t n, std::vector<double>& first, Vectors&... rest) {
  if (first.empty()) {
    first.assign(n, 0.0);
    (rest.assign(n, 0.0), ...);
  } else if (first.size() != n) {
    throw Error(std::string(rule) + "::step: the rule's state was built for " + std::to_string(first.size()) +
                " parameters, got " + std::to_string(n) + " (call reset() to start on a new vector)");
  }
}

constexpr std::size_t kChunk = 256;

void sqrt_in_place(double* values, std::size_t count) {
  Eigen::Map<Eigen::ArrayXd> a(values, static_cast<Eigen::Index>(count));
  a = a.sqrt();
}

// For i in [0, n): root_i = sqrt(argument(i)) and then apply(i, root_i),
// in chunks (see the top of the file). argument() may update state; apply()
// runs after argument() for every i of the chunk.
template <typename Argument, typename Apply>
void for_each_root(std::size_t n, Argument argument, Apply apply) {
  alignas(64) double root[kChunk];
  for (std::size_t start = 0; start < n; start += kChunk) {
    const std::size_t count = std::min(kChunk, n - start);
    for (std::size_t j = 0; j < count; ++j) root[j] = argument(start + j);
    sqrt_in_place(root, count);
    for (std::size_t j = 0; j < count; ++j) apply(start + j, root[j]);
  }
}

void clear(std::vector<double>& v) {
  v.clear();
  v.shrink_to_fit();
}

// The moment every RMSProp form keeps, r = rho r + (1 - rho) g^2, as the
// first pass of for_each_root: it returns r, the root's argument.
auto mean_square_update(double rho, double* r, const double* g) {
  return [=](std::size_t i) {
    r[i] = rho * r[i] + (1.0 - rho) * g[i] * g[i];
    return r[i];
  };
}

}  // namespace

// ---------------------------------------------------------------------------
// Validation.

void validate(const MomentumOptions& o) { require_decay(o.momentum, "MomentumOptions", "momentum"); }

void validate(const AdaGradOptions& o) { require_epsilon(o.epsilon, "AdaGradOptions"); }

void validate(const RmsPropOptions& o) {
  require_decay(o.decay, "RmsPropOptions", "decay");
  require_epsilon(o.epsilon, "RmsPropOptions");
  require_decay(o.momentum, "RmsPropOptions", "momentum");
}

void validate(const AdaDeltaOptions& o) {
  require_decay(o.decay, "AdaDeltaOptions", "decay");
  require_epsilon(o.epsilon, "AdaDeltaOptions");
}

void validate(const AdamOptions& o) {
  require_decay(o.beta1, "AdamOptions", "beta1");
  require_decay(o.beta2, "AdamOptions", "beta2");
  require_epsilon(o.epsilon, "AdamOptions");
}

void validate(const NadamOptions& o) {
  require_decay(o.beta1, "NadamOptions", "beta1");
  require_decay(o.beta2, "NadamOptions", "beta2");
  require_epsilon(o.epsilon, "NadamOptions");
  require_option(o.momentum_decay >= 0.0 && std::isfinite(o.momentum_decay), "NadamOptions", "momentum_decay",
                 "non-negative and finite", o.momentum_decay);
}

void validate(const AdamWOptions& o) {
  require_decay(o.beta1, "AdamWOptions", "beta1");
  require_decay(o.beta2, "AdamWOptions", "beta2");
  require_epsilon(o.epsilon, "AdamWOptions");
  require_option(o.weight_decay >= 0.0 && std::isfinite(o.weight_decay), "AdamWOptions", "weight_decay",
                 "non-negative and finite", o.weight_decay);
}

// ---------------------------------------------------------------------------
// SGD and the momentum rules.

void Sgd::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("Sgd", x, g, learning_rate);
  const std::size_t n = x.size();
  double* xp = x.data();
  const double* gp = g.data();
  for (std::size_t i = 0; i < n; ++i) xp[i] -= learning_rate * gp[i];
}

Momentum::Momentum(const MomentumOptions& options) : options_(options) { validate(options_); }

void Momentum::reset() { clear(v_); }

void Momentum::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("Momentum", x, g, learning_rate);
  ensure_state("Momentum", x.size(), v_);
  const std::size_t n = x.size();
  const double mu = options_.momentum;
  double* xp = x.data();
  const double* gp = g.data();
  double* vp = v_.data();
  for (std::size_t i = 0; i < n; ++i) {
    vp[i] = mu * vp[i] - learning_rate * gp[i];
    xp[i] += vp[i];
  }
}

NesterovLookahead::NesterovLookahead(const MomentumOptions& options) : options_(options) { validate(options_); }

void NesterovLookahead::reset() { clear(v_); }

void NesterovLookahead::lookahead(std::span<const double> x, std::span<double> point) const {
  if (x.size() != point.size()) {
    throw Error("NesterovLookahead::lookahead: x has " + std::to_string(x.size()) + " entries but point has " +
                std::to_string(point.size()));
  }
  if (v_.empty()) {
    // No step yet: v = 0.
    std::copy(x.begin(), x.end(), point.begin());
    return;
  }
  if (v_.size() != x.size()) {
    throw Error("NesterovLookahead::lookahead: the rule's state was built for " + std::to_string(v_.size()) +
                " parameters, got " + std::to_string(x.size()));
  }
  const double mu = options_.momentum;
  for (std::size_t i = 0; i < x.size(); ++i) point[i] = x[i] + mu * v_[i];
}

void NesterovLookahead::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("NesterovLookahead", x, g, learning_rate);
  ensure_state("NesterovLookahead", x.size(), v_);
  // The same recursion as heavy ball; only where g was evaluated differs.
  const std::size_t n = x.size();
  const double mu = options_.momentum;
  double* xp = x.data();
  const double* gp = g.data();
  double* vp = v_.data();
  for (std::size_t i = 0; i < n; ++i) {
    vp[i] = mu * vp[i] - learning_rate * gp[i];
    xp[i] += vp[i];
  }
}

Nesterov::Nesterov(const MomentumOptions& options) : options_(options) { validate(options_); }

void Nesterov::reset() { clear(v_); }

void Nesterov::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("Nesterov", x, g, learning_rate);
  ensure_state("Nesterov", x.size(), v_);
  const std::size_t n = x.size();
  const double mu = options_.momentum;
  double* xp = x.data();
  const double* gp = g.data();
  double* vp = v_.data();
  for (std::size_t i = 0; i < n; ++i) {
    const double step = learning_rate * gp[i];
    vp[i] = mu * vp[i] - step;
    // y_{t+1} = y_t - mu v_t + (1 + mu) v_{t+1} = y_t + mu v_{t+1} - lr g.
    xp[i] += mu * vp[i] - step;
  }
}

// ---------------------------------------------------------------------------
// Adaptive per-coordinate scaling.

AdaGrad::AdaGrad(const AdaGradOptions& options) : options_(options) { validate(options_); }

void AdaGrad::reset() { clear(r_); }

void AdaGrad::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("AdaGrad", x, g, learning_rate);
  ensure_state("AdaGrad", x.size(), r_);
  const std::size_t n = x.size();
  const double eps = options_.epsilon;
  double* xp = x.data();
  const double* gp = g.data();
  double* rp = r_.data();
  for_each_root(
      n,
      [&](std::size_t i) {
        rp[i] += gp[i] * gp[i];
        return rp[i];
      },
      [&](std::size_t i, double root) { xp[i] -= learning_rate * gp[i] / (root + eps); });
}

RmsProp::RmsProp(const RmsPropOptions& options) : options_(options) { validate(options_); }

void RmsProp::reset() { clear(r_); }

void RmsProp::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("RmsProp", x, g, learning_rate);
  ensure_state("RmsProp", x.size(), r_);
  const std::size_t n = x.size();
  const double rho = options_.decay;
  const double eps = options_.epsilon;
  double* xp = x.data();
  const double* gp = g.data();
  double* rp = r_.data();
  for_each_root(n, mean_square_update(rho, rp, gp),
                [&](std::size_t i, double root) { xp[i] -= learning_rate * gp[i] / (root + eps); });
}

RmsPropMomentum::RmsPropMomentum(const RmsPropOptions& options) : options_(options) { validate(options_); }

void RmsPropMomentum::reset() {
  clear(r_);
  clear(v_);
}

void RmsPropMomentum::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("RmsPropMomentum", x, g, learning_rate);
  ensure_state("RmsPropMomentum", x.size(), r_, v_);
  const std::size_t n = x.size();
  const double rho = options_.decay;
  const double eps = options_.epsilon;
  const double mu = options_.momentum;
  double* xp = x.data();
  const double* gp = g.data();
  double* rp = r_.data();
  double* vp = v_.data();
  for_each_root(n, mean_square_update(rho, rp, gp), [&](std::size_t i, double root) {
    vp[i] = mu * vp[i] - learning_rate * gp[i] / (root + eps);
    xp[i] += vp[i];
  });
}

RmsPropNesterov::RmsPropNesterov(const RmsPropOptions& options) : options_(options) { validate(options_); }

void RmsPropNesterov::reset() {
  clear(r_);
  clear(v_);
}

void RmsPropNesterov::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("RmsPropNesterov", x, g, learning_rate);
  ensure_state("RmsPropNesterov", x.size(), r_, v_);
  const std::size_t n = x.size();
  const double rho = options_.decay;
  const double eps = options_.epsilon;
  const double mu = options_.momentum;
  double* xp = x.data();
  const double* gp = g.data();
  double* rp = r_.data();
  double* vp = v_.data();
  for_each_root(n, mean_square_update(rho, rp, gp), [&](std::size_t i, double root) {
    const double step = learning_rate * gp[i] / (root + eps);
    vp[i] = mu * vp[i] - step;
    xp[i] += mu * vp[i] - step;
  });
}

AdaDelta::AdaDelta(const AdaDeltaOptions& options) : options_(options) { validate(options_); }

void AdaDelta::reset() {
  clear(mean_square_gradient_);
  clear(mean_square_update_);
}

void AdaDelta::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("AdaDelta", x, g, learning_rate);
  ensure_state("AdaDelta", x.size(), mean_square_gradient_, mean_square_update_);
  const std::size_t n = x.size();
  const double rho = options_.decay;
  const double eps = options_.epsilon;
  double* xp = x.data();
  const double* gp = g.data();
  double* eg = mean_square_gradient_.data();
  double* edx = mean_square_update_.data();
  // Two roots per coordinate, so the chunking of for_each_root is written
  // out with two buffers.
  alignas(64) double rms_update[kChunk];
  alignas(64) double rms_gradient[kChunk];
  for (std::size_t start = 0; start < n; start += kChunk) {
    const std::size_t count = std::min(kChunk, n - start);
    for (std::size_t j = 0; j < count; ++j) {
      const std::size_t i = start + j;
      eg[i] = rho * eg[i] + (1.0 - rho) * gp[i] * gp[i];
      rms_update[j] = edx[i] + eps;
      rms_gradient[j] = eg[i] + eps;
    }
    sqrt_in_place(rms_update, count);
    sqrt_in_place(rms_gradient, count);
    for (std::size_t j = 0; j < count; ++j) {
      const std::size_t i = start + j;
      const double d = -rms_update[j] / rms_gradient[j] * gp[i];
      edx[i] = rho * edx[i] + (1.0 - rho) * d * d;
      xp[i] += learning_rate * d;
    }
  }
}

// ---------------------------------------------------------------------------
// Adam and its variants. The bias corrections 1 / (1 - beta^t) are computed
// once per step with std::pow, which stays accurate for large t where a
// running product would accumulate rounding.

Adam::Adam(const AdamOptions& options) : options_(options) { validate(options_); }

void Adam::reset() {
  t_ = 0;
  clear(m_);
  clear(v_);
}

void Adam::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("Adam", x, g, learning_rate);
  ensure_state("Adam", x.size(), m_, v_);
  ++t_;
  const std::size_t n = x.size();
  const double b1 = options_.beta1;
  const double b2 = options_.beta2;
  const double eps = options_.epsilon;
  const double c1 = 1.0 / (1.0 - std::pow(b1, static_cast<double>(t_)));
  const double c2 = 1.0 / (1.0 - std::pow(b2, static_cast<double>(t_)));
  double* xp = x.data();
  const double* gp = g.data();
  double* mp = m_.data();
  double* vp = v_.data();
  for_each_root(
      n,
      [&](std::size_t i) {
        mp[i] = b1 * mp[i] + (1.0 - b1) * gp[i];
        vp[i] = b2 * vp[i] + (1.0 - b2) * gp[i] * gp[i];
        return vp[i] * c2;
      },
      [&](std::size_t i, double root) { xp[i] -= learning_rate * (mp[i] * c1) / (root + eps); });
}

AdaMax::AdaMax(const AdamOptions& options) : options_(options) { validate(options_); }

void AdaMax::reset() {
  t_ = 0;
  clear(m_);
  clear(u_);
}

void AdaMax::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("AdaMax", x, g, learning_rate);
  ensure_state("AdaMax", x.size(), m_, u_);
  ++t_;
  const std::size_t n = x.size();
  const double b1 = options_.beta1;
  const double b2 = options_.beta2;
  const double eps = options_.epsilon;
  const double scale = learning_rate / (1.0 - std::pow(b1, static_cast<double>(t_)));
  double* xp = x.data();
  const double* gp = g.data();
  double* mp = m_.data();
  double* up = u_.data();
  for (std::size_t i = 0; i < n; ++i) {
    mp[i] = b1 * mp[i] + (1.0 - b1) * gp[i];
    up[i] = std::max(b2 * up[i], std::abs(gp[i]));
    xp[i] -= scale * mp[i] / (up[i] + eps);
  }
}

Nadam::Nadam(const NadamOptions& options) : options_(options) { validate(options_); }

void Nadam::reset() {
  t_ = 0;
  mu_product_ = 1.0;
  clear(m_);
  clear(n_);
}

void Nadam::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("Nadam", x, g, learning_rate);
  ensure_state("Nadam", x.size(), m_, n_);
  ++t_;
  const double b1 = options_.beta1;
  const double nu = options_.beta2;
  const double eps = options_.epsilon;
  const double psi = options_.momentum_decay;
  const double t = static_cast<double>(t_);
  const double mu = b1 * (1.0 - 0.5 * std::pow(0.96, t * psi));
  const double mu_next = b1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * psi));
  // P_t is a running product: the schedule makes every factor different, so
  // there is no closed form. Its relative rounding error grows like t eps,
  // and it enters only through 1 - P_t, where P_t < beta1^t soon vanishes.
  mu_product_ *= mu;
  const double momentum_weight = mu_next / (1.0 - mu_product_ * mu_next);  // mu_{t+1} / (1 - P_{t+1})
  const double gradient_weight = (1.0 - mu) / (1.0 - mu_product_);         // (1 - mu_t) / (1 - P_t)
  const double c2 = 1.0 / (1.0 - std::pow(nu, t));
  const std::size_t n = x.size();
  double* xp = x.data();
  const double* gp = g.data();
  double* mp = m_.data();
  double* np = n_.data();
  for_each_root(
      n,
      [&](std::size_t i) {
        mp[i] = mu * mp[i] + (1.0 - mu) * gp[i];
        np[i] = nu * np[i] + (1.0 - nu) * gp[i] * gp[i];
        return np[i] * c2;
      },
      [&](std::size_t i, double root) {
        const double m_bar = momentum_weight * mp[i] + gradient_weight * gp[i];
        xp[i] -= learning_rate * m_bar / (root + eps);
      });
}

AmsGrad::AmsGrad(const AdamOptions& options) : options_(options) { validate(options_); }

void AmsGrad::reset() {
  t_ = 0;
  clear(m_);
  clear(v_);
  clear(v_hat_);
}

void AmsGrad::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("AmsGrad", x, g, learning_rate);
  ensure_state("AmsGrad", x.size(), m_, v_, v_hat_);
  ++t_;
  const std::size_t n = x.size();
  const double b1 = options_.beta1;
  const double b2 = options_.beta2;
  const double eps = options_.epsilon;
  const double c1 = 1.0 / (1.0 - std::pow(b1, static_cast<double>(t_)));
  const double c2 = 1.0 / (1.0 - std::pow(b2, static_cast<double>(t_)));
  double* xp = x.data();
  const double* gp = g.data();
  double* mp = m_.data();
  double* vp = v_.data();
  double* hp = v_hat_.data();
  for_each_root(
      n,
      [&](std::size_t i) {
        mp[i] = b1 * mp[i] + (1.0 - b1) * gp[i];
        vp[i] = b2 * vp[i] + (1.0 - b2) * gp[i] * gp[i];
        hp[i] = std::max(hp[i], vp[i] * c2);
        return hp[i];
      },
      [&](std::size_t i, double root) { xp[i] -= learning_rate * (mp[i] * c1) / (root + eps); });
}

AdamW::AdamW(const AdamWOptions& options) : options_(options) { validate(options_); }

void AdamW::reset() {
  t_ = 0;
  clear(m_);
  clear(v_);
}

void AdamW::step(std::span<double> x, std::span<const double> g, double learning_rate) {
  check_step("AdamW", x, g, learning_rate);
  ensure_state("AdamW", x.size(), m_, v_);
  ++t_;
  const std::size_t n = x.size();
  const double b1 = options_.beta1;
  const double b2 = options_.beta2;
  const double eps = options_.epsilon;
  const double decay = learning_rate * options_.weight_decay;
  const double c1 = 1.0 / (1.0 - std::pow(b1, static_cast<double>(t_)));
  const double c2 = 1.0 / (1.0 - std::pow(b2, static_cast<double>(t_)));
  double* xp = x.data();
  const double* gp = g.data();
  double* mp = m_.data();
  double* vp = v_.data();
  for_each_root(
      n,
      [&](std::size_t i) {
        mp[i] = b1 * mp[i] + (1.0 - b1) * gp[i];
        vp[i] = b2 * vp[i] + (1.0 - b2) * gp[i] * gp[i];
        return vp[i] * c2;
      },
      [&](std::size_t i, double root) {
        // The decay term sees x before the step and bypasses m, v and sqrt(v_hat).
        xp[i] -= decay * xp[i] + learning_rate * (mp[i] * c1) / (root + eps);
      });
}

// ---------------------------------------------------------------------------
// Run-time choice.

void AnyUpdateRule::copy_point(std::span<const double> x, std::span<double> point) {
  if (x.size() != point.size()) {
    throw Error("AnyUpdateRule::lookahead: x has " + std::to_string(x.size()) + " entries but point has " +
                std::to_string(point.size()));
  }
  std::copy(x.begin(), x.end(), point.begin());
}

namespace {

// The factory of each rule: one line per row of kUpdateRules, in its order.
struct UpdateRuleFactory {
  UpdateRuleType value;
  AnyUpdateRule (*make)(const UpdateRuleOptions& options);
};
// clang-format off
constexpr UpdateRuleFactory kFactories[] = {
    {UpdateRuleType::kSgd, [](const UpdateRuleOptions&) { return AnyUpdateRule(Sgd()); }},
    {UpdateRuleType::kMomentum, [](const UpdateRuleOptions& o) { return AnyUpdateRule(Momentum(o.momentum)); }},
    {UpdateRuleType::kNesterovLookahead, [](const UpdateRuleOptions& o) { return AnyUpdateRule(NesterovLookahead(o.momentum)); }},
    {UpdateRuleType::kNesterov, [](const UpdateRuleOptions& o) { return AnyUpdateRule(Nesterov(o.momentum)); }},
    {UpdateRuleType::kAdaGrad, [](const UpdateRuleOptions& o) { return AnyUpdateRule(AdaGrad(o.adagrad)); }},
    {UpdateRuleType::kRmsProp, [](const UpdateRuleOptions& o) { return AnyUpdateRule(RmsProp(o.rmsprop)); }},
    {UpdateRuleType::kRmsPropMomentum, [](const UpdateRuleOptions& o) { return AnyUpdateRule(RmsPropMomentum(o.rmsprop)); }},
    {UpdateRuleType::kRmsPropNesterov, [](const UpdateRuleOptions& o) { return AnyUpdateRule(RmsPropNesterov(o.rmsprop)); }},
    {UpdateRuleType::kAdaDelta, [](const UpdateRuleOptions& o) { return AnyUpdateRule(AdaDelta(o.adadelta)); }},
    {UpdateRuleType::kAdam, [](const UpdateRuleOptions& o) { return AnyUpdateRule(Adam(o.adam)); }},
    {UpdateRuleType::kAdaMax, [](const UpdateRuleOptions& o) { return AnyUpdateRule(AdaMax(o.adam)); }},
    {UpdateRuleType::kNadam, [](const UpdateRuleOptions& o) { return AnyUpdateRule(Nadam(o.nadam)); }},
    {UpdateRuleType::kAmsGrad, [](const UpdateRuleOptions& o) { return AnyUpdateRule(AmsGrad(o.adam)); }},
    {UpdateRuleType::kAdamW, [](const UpdateRuleOptions& o) { return AnyUpdateRule(AdamW(o.adamw)); }},
};
// clang-format on
static_assert(registry_is_complete<UpdateRuleType>(kFactories), "one factory per UpdateRuleType, in order");

}  // namespace

AnyUpdateRule make_update_rule(const UpdateRuleOptions& options) {
  const UpdateRuleInfo& row = info(options.type);  // throws for a type without a row
  return kFactories[static_cast<std::size_t>(row.value)].make(options);
}

}  // namespace curvature
