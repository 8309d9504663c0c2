// curvature/first_order.h — first-order update rules for stochastic
// optimization: SGD, momentum, Nesterov momentum (two forms), AdaGrad,
// RMSProp (plain, with momentum, with Nesterov momentum), AdaDelta, Adam,
// AdaMax, NAdam, AMSGrad and AdamW.
//
// An update rule is a small policy that holds its own state (velocities,
// moment estimates, the step counter) and, given a gradient g at the current
// parameters x and a learning rate lr, moves x in place:
//
//   curvature::Adam adam;                          // defaults of Kingma and Ba
//   for (int k = 0; k < steps; ++k) {
//     double lr = schedule->learning_rate(k);      // learning_rate_schedule.h
//     gradient(x, g);                              // the caller's minibatch gradient
//     adam.step(x, g, lr);                         // std::span<double>, std::span<const double>
//   }
//
// An Eigen vector is passed as std::span<double>(x.data(), x.size()).
// The learning rate is an argument of step(), not an option, so that a
// schedule can change it from step to step; each rule's suggested starting
// value is default_learning_rate(type).
//
// A training loop chooses a rule at compile time through the UpdateRule
// concept, or at run time through make_update_rule(options), which returns
// an AnyUpdateRule keyed by UpdateRuleType. The rules' registry
// (registry.h), kUpdateRules, holds one row per UpdateRuleType: the name
// to_string() prints and parse_update_rule() accepts, the suggested
// learning rate and whether the rule wants its gradient at a lookahead point.
//
// Notation, per coordinate i (all operations elementwise; i is dropped):
// g the gradient, lr the learning rate, t = 1, 2, ... the number of steps
// taken including this one. State starts at zero. Where a rule divides by a
// root-mean-square, the header says where epsilon goes: the placements differ
// between the papers and between libraries, and they matter while the
// accumulated squares are small.
//
// Errors: every options struct is validated when its rule is constructed;
// a field out of range throws curvature::Error naming the struct and field
// ("AdamOptions::beta1 must be in [0, 1), got 1"). step() throws
// curvature::Error for a negative or non-finite learning rate, for x and g of
// different sizes, and for a size that differs from the one the rule's state
// was built for (reset() forgets the size). Non-finite gradient entries are
// not checked (that would cost a pass over g): they propagate into x and the
// state, and the loop that owns the objective is the place to reject them.
//
// Cost: each step is one contiguous pass over the n coordinates with no
// allocation; the state vectors are allocated on the first step after
// construction or reset().
//
// References:
//   [GBC]  Goodfellow, Bengio and Courville, Deep Learning, MIT Press 2016, ch. 8
//          (Algorithms 8.1-8.7).
//   [Pol]  Polyak, Some methods of speeding up the convergence of iteration
//          methods, USSR Comp. Math. and Math. Phys. 4(5), 1964.
//   [Nes]  Nesterov, A method of solving a convex programming problem with
//          convergence rate O(1/k^2), Soviet Math. Dokl. 27, 1983.
//   [SMDH] Sutskever, Martens, Dahl and Hinton, On the importance of
//          initialization and momentum in deep learning, ICML 2013.
//   [BBP]  Bengio, Boulanger-Lewandowski and Pascanu, Advances in optimizing
//          recurrent networks, ICASSP 2013.
//   [DHS]  Duchi, Hazan and Singer, Adaptive subgradient methods for online
//          learning and stochastic optimization, JMLR 12, 2011.
//   [TH]   Tieleman and Hinton, Lecture 6.5 - RMSProp, COURSERA: Neural
//          Networks for Machine Learning, 2012.
//   [Gra]  Graves, Generating sequences with recurrent neural networks,
//          arXiv:1308.0850, 2013 (RMSProp with momentum).
//   [Zei]  Zeiler, ADADELTA: an adaptive learning rate method,
//          arXiv:1212.5701, 2012.
//   [KB]   Kingma and Ba, Adam: a method for stochastic optimization,
//          ICLR 2015 (Algorithms 1 and 2).
//   [Doz]  Dozat, Incorporating Nesterov momentum into Adam, ICLR 2016
//          workshop (Algorithm 2).
//   [RKK]  Reddi, Kale and Kumar, On the convergence of Adam and beyond,
//          ICLR 2018.
//   [LH]   Loshchilov and Hutter, Decoupled weight decay regularization,
//          ICLR 2019 (Algorithm 2).
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "curvature/registry.h"

namespace curvature {

// ---------------------------------------------------------------------------
// What a policy must provide.

// An update rule moves x in place given the gradient g and the learning rate;
// reset() returns it to its freshly constructed state (zero moments, t = 0,
// no size). A rule holds state for one parameter vector at a time.
template <typename R>
concept UpdateRule = requires(R rule, std::span<double> x, std::span<const double> g, double learning_rate) {
  { rule.step(x, g, learning_rate) } -> std::same_as<void>;
  { rule.reset() } -> std::same_as<void>;
};

// A rule that wants its gradient somewhere other than at x: the loop writes
// lookahead(x) into `point`, evaluates the gradient there, and passes that
// gradient to step(x, g, lr). needs_lookahead() false means point == x, and a
// loop may skip the copy.
template <typename R>
concept LookaheadUpdateRule = UpdateRule<R> &&
    requires(const R rule, std::span<const double> x, std::span<double> point) {
  { rule.needs_lookahead() } -> std::convertible_to<bool>;
  { rule.lookahead(x, point) } -> std::same_as<void>;
};

// ---------------------------------------------------------------------------
// Options. Learning rates are not options (see above). Every field is
// validated by the rule's constructor.

// Heavy-ball and Nesterov momentum.
struct MomentumOptions {
  double momentum = 0.9;  // mu in [0, 1); 0 reduces every momentum rule to SGD
};

// AdaGrad's options.
struct AdaGradOptions {
  double epsilon = 1e-7;  // delta > 0, added to sqrt(r) ([GBC] Algorithm 8.4 suggests 1e-7)
};

// RMSProp and its momentum variants.
struct RmsPropOptions {
  double decay = 0.9;     // rho in [0, 1): r = rho r + (1 - rho) g^2 ([TH] use 0.9)
  double epsilon = 1e-8;  // > 0, added to sqrt(r), as in Adam
  double momentum = 0.9;  // mu in [0, 1); used by kRmsPropMomentum and kRmsPropNesterov only
};

// AdaDelta's options.
struct AdaDeltaOptions {
  double decay = 0.95;    // rho in [0, 1) for both running averages ([Zei] Section 4: 0.95)
  double epsilon = 1e-6;  // > 0, inside both square roots ([Zei] Section 4: 1e-6)
};

// Adam, AdaMax and AMSGrad.
struct AdamOptions {
  double beta1 = 0.9;     // in [0, 1): decay of the first moment m
  double beta2 = 0.999;   // in [0, 1): decay of the second moment v (AdaMax: of the infinity norm u)
  double epsilon = 1e-8;  // > 0, added to sqrt(v_hat) (AdaMax: to u)
};

// NAdam's options.
struct NadamOptions {
  double beta1 = 0.9;     // in [0, 1): mu, the base momentum
  double beta2 = 0.999;   // in [0, 1): nu, decay of the second moment
  double epsilon = 1e-8;  // > 0, added to sqrt(n_hat)
  // psi >= 0 in Dozat's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi));
  // 0.004 = 1/250 is [Doz]'s value (and PyTorch's default).
  double momentum_decay = 0.004;
};

// AdamW's options: Adam's, and the decoupled weight decay.
struct AdamWOptions {
  double beta1 = 0.9;          // in [0, 1): decay of the first moment m
  double beta2 = 0.999;        // in [0, 1): decay of the second moment v
  double epsilon = 1e-8;       // > 0, added to sqrt(v_hat)
  double weight_decay = 0.01;  // w >= 0: x -= lr w x each step, outside the adaptive scaling
};

// ---------------------------------------------------------------------------
// The rules. Each documents its update; "x += d" and "x -= d" act in place.

// Stochastic gradient descent ([GBC] Algorithm 8.1):  x -= lr g.
class Sgd {
 public:
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset() {}                                                                   // nothing to forget
};

// Heavy-ball momentum ([Pol]; [GBC] Algorithm 8.2):
//   v = mu v - lr g;   x += v.
class Momentum {
 public:
  explicit Momentum(const MomentumOptions& options = {});                           // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size
  std::span<const double> velocity() const { return v_; }                           // v

 private:
  MomentumOptions options_;
  std::vector<double> v_;
};

// Nesterov momentum, look-ahead form ([Nes]; [SMDH] eq. 3-4; [GBC]
// Algorithm 8.3): the gradient is taken at the look-ahead point
//   y = x + mu v                       (lookahead(x))
//   v = mu v - lr g(y);   x += v.      (step(x, g(y), lr))
// The caller must pass g(y), not g(x); a loop that cannot evaluate at a
// shifted point should use Nesterov below.
class NesterovLookahead {
 public:
  explicit NesterovLookahead(const MomentumOptions& options = {});                  // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size
  bool needs_lookahead() const { return true; }  // call lookahead() before each gradient
  // point = x + mu v (point = x before the first step). Sizes must agree.
  void lookahead(std::span<const double> x, std::span<double> point) const;
  std::span<const double> velocity() const { return v_; }  // v

 private:
  MomentumOptions options_;
  std::vector<double> v_;
};

// Nesterov momentum, reformulated ([BBP] Section 3.5; the form PyTorch and
// Keras use): the rule keeps the look-ahead point itself as its parameter,
// x here being y = x_la + mu v of NesterovLookahead, so the gradient is taken
// at the parameters the rule holds:
//   v_new = mu v - lr g(x);   x += mu v_new - lr g(x)
// i.e. x += mu^2 v - (1 + mu) lr g. Substituting y_t = x_t + mu v_t into the
// look-ahead form gives exactly this recursion (for any sequence of learning
// rates), so started from the same point with v = 0 the two produce the same
// iterates in these variables: this rule's x equals NesterovLookahead's
// lookahead(x) at every step. At the end of training the two differ by mu v,
// which vanishes as the steps do.
class Nesterov {
 public:
  explicit Nesterov(const MomentumOptions& options = {});                           // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size
  std::span<const double> velocity() const { return v_; }                           // v

 private:
  MomentumOptions options_;
  std::vector<double> v_;
};

// AdaGrad ([DHS]; [GBC] Algorithm 8.4):
//   r += g^2;   x -= lr g / (sqrt(r) + epsilon).
// epsilon outside the square root, as in [GBC].
class AdaGrad {
 public:
  explicit AdaGrad(const AdaGradOptions& options = {});                             // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size
  std::span<const double> accumulator() const { return r_; }                        // r, the summed squared gradients

 private:
  AdaGradOptions options_;
  std::vector<double> r_;
};

// RMSProp ([TH]; [GBC] Algorithm 8.5):
//   r = rho r + (1 - rho) g^2;   x -= lr g / (sqrt(r) + epsilon).
// epsilon outside the square root (as in PyTorch and in Adam); [GBC] writes
// 1 / sqrt(delta + r) with delta = 1e-6, which damps coordinates whose r is
// below delta more strongly.
class RmsProp {
 public:
  explicit RmsProp(const RmsPropOptions& options = {});                             // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size
  std::span<const double> mean_square() const { return r_; }                        // r, the running mean of g^2

 private:
  RmsPropOptions options_;
  std::vector<double> r_;
};

// RMSProp with heavy-ball momentum on the scaled gradient ([Gra] eq. 38-41
// without the mean subtraction; PyTorch's RMSprop(momentum=mu)):
//   r = rho r + (1 - rho) g^2;   v = mu v - lr g / (sqrt(r) + epsilon);   x += v.
class RmsPropMomentum {
 public:
  explicit RmsPropMomentum(const RmsPropOptions& options = {});                     // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size

 private:
  RmsPropOptions options_;
  std::vector<double> r_;
  std::vector<double> v_;
};

// RMSProp with Nesterov momentum ([GBC] Algorithm 8.6), in the reformulated
// variables of Nesterov above so that no gradient at a look-ahead point is
// needed: with s = g / (sqrt(r) + epsilon),
//   r = rho r + (1 - rho) g^2;   v_new = mu v - lr s;   x += mu v_new - lr s.
// Algorithm 8.6 evaluates g at x_la + mu v; this rule's x is that point, and
// since r and v depend only on the gradients seen, the iterates coincide
// with Algorithm 8.6's look-ahead points (epsilon placed as in RmsProp).
class RmsPropNesterov {
 public:
  explicit RmsPropNesterov(const RmsPropOptions& options = {});                     // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size

 private:
  RmsPropOptions options_;
  std::vector<double> r_;
  std::vector<double> v_;
};

// AdaDelta ([Zei] Algorithm 1), with RMS[a] = sqrt(E[a^2] + epsilon):
//   E[g^2]  = rho E[g^2]  + (1 - rho) g^2
//   d       = - sqrt(E[dx^2] + epsilon) / sqrt(E[g^2] + epsilon) * g
//   E[dx^2] = rho E[dx^2] + (1 - rho) d^2
//   x += lr d.
// The method needs no learning rate: lr = 1 (default_learning_rate) is
// Zeiler's rule. Other values scale the applied step only; E[dx^2]
// accumulates the unscaled d (as in PyTorch), so lr does not feed back
// into the step sizes the rule learns.
class AdaDelta {
 public:
  explicit AdaDelta(const AdaDeltaOptions& options = {});                           // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size

 private:
  AdaDeltaOptions options_;
  std::vector<double> mean_square_gradient_;
  std::vector<double> mean_square_update_;
};

// Adam ([KB] Algorithm 1), with bias correction:
//   m = beta1 m + (1 - beta1) g;        v = beta2 v + (1 - beta2) g^2
//   m_hat = m / (1 - beta1^t);          v_hat = v / (1 - beta2^t)
//   x -= lr m_hat / (sqrt(v_hat) + epsilon).
// epsilon is added to sqrt(v_hat), as in Algorithm 1 (and PyTorch), not to
// sqrt(v) as in the "more efficient" ordering of [KB] Section 2. At t = 1
// m_hat = g and v_hat = g^2, so the first step is lr sign(g) per coordinate
// (up to epsilon): the bias correction makes the step size ~lr from the start.
class Adam {
 public:
  explicit Adam(const AdamOptions& options = {});                                   // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size
  std::int64_t steps() const { return t_; }                                         // t, the steps taken
  std::span<const double> first_moment() const { return m_; }                       // m
  std::span<const double> second_moment() const { return v_; }                      // v

 private:
  AdamOptions options_;
  std::int64_t t_ = 0;
  std::vector<double> m_;
  std::vector<double> v_;
};

// AdaMax ([KB] Algorithm 2), Adam with the infinity norm:
//   m = beta1 m + (1 - beta1) g;   u = max(beta2 u, |g|)
//   x -= lr / (1 - beta1^t) * m / (u + epsilon).
// [KB] has no epsilon; it is added to u here so that a coordinate whose
// gradients have all been zero (u = m = 0) stays put instead of becoming NaN.
// u needs no bias correction. [KB] suggest lr = 0.002.
class AdaMax {
 public:
  explicit AdaMax(const AdamOptions& options = {});                                 // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size

 private:
  AdamOptions options_;
  std::int64_t t_ = 0;
  std::vector<double> m_;
  std::vector<double> u_;
};

// NAdam ([Doz] Algorithm 2), Adam with Nesterov momentum, with the momentum
// schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)) and P_t = mu_1 ... mu_t:
//   m = mu_t m + (1 - mu_t) g;        n = nu n + (1 - nu) g^2
//   m_bar = mu_{t+1} m / (1 - P_{t+1}) + (1 - mu_t) g / (1 - P_t)
//   n_hat = n / (1 - nu^t)
//   x -= lr m_bar / (sqrt(n_hat) + epsilon).
// The first term applies next step's momentum now (the Nesterov look-ahead);
// the second is the bias-corrected current gradient. nu = beta2; epsilon as in
// Adam. [Doz] suggests lr = 0.002.
class Nadam {
 public:
  explicit Nadam(const NadamOptions& options = {});                                 // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size

 private:
  NadamOptions options_;
  std::int64_t t_ = 0;
  double mu_product_ = 1.0;  // P_t
  std::vector<double> m_;
  std::vector<double> n_;
};

// AMSGrad ([RKK] Algorithm 2), Adam whose second moment never decreases,
// with Adam's bias correction:
//   m = beta1 m + (1 - beta1) g;        v = beta2 v + (1 - beta2) g^2
//   v_hat = max(v_hat, v / (1 - beta2^t))
//   x -= lr m / (1 - beta1^t) / (sqrt(v_hat) + epsilon).
// [RKK] state the rule without bias correction. The maximum is taken here
// over the bias-corrected v, so v_hat (and with it the per-coordinate step
// bound lr / sqrt(v_hat)) is monotone from the first step, which is the
// property [RKK]'s convergence proof needs. PyTorch and Keras instead take the
// maximum of the raw v and divide by (1 - beta2^t) afterwards; their
// effective v_hat can shrink during the first steps. At t = 1 both give Adam's
// first step.
class AmsGrad {
 public:
  explicit AmsGrad(const AdamOptions& options = {});                                // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size
  std::span<const double> max_second_moment() const { return v_hat_; }              // v_hat

 private:
  AdamOptions options_;
  std::int64_t t_ = 0;
  std::vector<double> m_;
  std::vector<double> v_;
  std::vector<double> v_hat_;
};

// AdamW ([LH] Algorithm 2), Adam with decoupled weight decay w:
//   x -= lr w x_old + lr m_hat / (sqrt(v_hat) + epsilon)
// with m_hat, v_hat as in Adam and both terms taken at the x before the step
// (the decay is x *= 1 - lr w, as in PyTorch). The decay does not pass through
// m and v, so it is not divided by sqrt(v_hat): every coordinate shrinks at
// the same relative rate lr w. Adam with an L2 term (w/2)|x|^2 in the loss
// instead feeds w x into g, and coordinates with large gradients are
// regularized less. [LH] write x -= eta_t (alpha m_hat / (...) + lambda x)
// with a schedule multiplier eta_t; here lr = eta_t alpha, so w = lambda /
// alpha, and the decay follows the schedule as it does in [LH].
class AdamW {
 public:
  explicit AdamW(const AdamWOptions& options = {});                                 // validates the options
  void step(std::span<double> x, std::span<const double> g, double learning_rate);  // one update of x, in place
  void reset();                                                                     // forgets the state and its size

 private:
  AdamWOptions options_;
  std::int64_t t_ = 0;
  std::vector<double> m_;
  std::vector<double> v_;
};

static_assert(UpdateRule<Sgd> && UpdateRule<Momentum> && UpdateRule<Nesterov> && UpdateRule<AdaGrad> &&
              UpdateRule<RmsProp> && UpdateRule<RmsPropMomentum> && UpdateRule<RmsPropNesterov> &&
              UpdateRule<AdaDelta> && UpdateRule<Adam> && UpdateRule<AdaMax> && UpdateRule<Nadam> &&
              UpdateRule<AmsGrad> && UpdateRule<AdamW>);
static_assert(LookaheadUpdateRule<NesterovLookahead>);

// ---------------------------------------------------------------------------
// Run-time choice.

// The update rules, one per class above; kUpdateRules holds their names and traits.
enum class UpdateRuleType {
  kSgd,
  kMomentum,           // heavy ball
  kNesterovLookahead,  // gradient at x + mu v: the loop must call lookahead()
  kNesterov,           // reformulated, gradient at x
  kAdaGrad,
  kRmsProp,
  kRmsPropMomentum,
  kRmsPropNesterov,
  kAdaDelta,
  kAdam,
  kAdaMax,
  kNadam,
  kAmsGrad,
  kAdamW,
  kCount,  // not a rule: the number of rules
};

// A row of kUpdateRules, the update rules' registry (registry.h).
struct UpdateRuleInfo {
  UpdateRuleType value;     // the row's enumerator
  const char* name;         // to_string(), parse_update_rule()
  const char* description;  // one line for lists and help texts
  // The starting learning rate the rule's paper (or common practice, for
  // the first five) suggests.
  double default_learning_rate;
  // The rule wants its gradient at a shifted point (AnyUpdateRule::
  // needs_lookahead()); the loop must call lookahead() before each gradient.
  bool needs_lookahead;
};

// clang-format off
inline constexpr UpdateRuleInfo kUpdateRules[] = {
    {UpdateRuleType::kSgd, "sgd", "plain stochastic gradient descent", 0.01, false},
    {UpdateRuleType::kMomentum, "momentum", "heavy-ball momentum", 0.01, false},
    {UpdateRuleType::kNesterovLookahead, "nesterov-lookahead", "Nesterov momentum, gradient at x + mu v", 0.01, true},
    {UpdateRuleType::kNesterov, "nesterov", "Nesterov momentum, reformulated with the gradient at x", 0.01, false},
    {UpdateRuleType::kAdaGrad, "adagrad", "AdaGrad: steps scaled by the summed squared gradients", 0.01, false},
    {UpdateRuleType::kRmsProp, "rmsprop", "RMSProp: steps scaled by a running mean square", 0.001, false},
    {UpdateRuleType::kRmsPropMomentum, "rmsprop-momentum", "RMSProp with heavy-ball momentum", 0.001, false},
    {UpdateRuleType::kRmsPropNesterov, "rmsprop-nesterov", "RMSProp with Nesterov momentum", 0.001, false},
    {UpdateRuleType::kAdaDelta, "adadelta", "AdaDelta: no learning rate of its own [Zei]", 1.0, false},
    {UpdateRuleType::kAdam, "adam", "Adam [KB] Algorithm 1", 0.001, false},
    {UpdateRuleType::kAdaMax, "adamax", "AdaMax: Adam in the infinity norm [KB] Algorithm 2", 0.002, false},
    {UpdateRuleType::kNadam, "nadam", "NAdam: Adam with Nesterov momentum [Doz]", 0.002, false},
    {UpdateRuleType::kAmsGrad, "amsgrad", "AMSGrad: Adam with a non-decreasing second moment", 0.001, false},
    {UpdateRuleType::kAdamW, "adamw", "AdamW: Adam with decoupled weight decay", 0.001, false},
};
// clang-format on
static_assert(registry_is_complete<UpdateRuleType>(kUpdateRules));

// The row of `type`, and its name.
inline const UpdateRuleInfo& info(UpdateRuleType type) {
  return registry_row<UpdateRuleInfo>(kUpdateRules, type, "UpdateRuleType");
}
inline const char* to_string(UpdateRuleType type) { return info(type).name; }
// Throws curvature::Error listing the names.
inline UpdateRuleType parse_update_rule(std::string_view name) {
  return registry_find<UpdateRuleInfo>(kUpdateRules, name, "update rule").value;
}
// kUpdateRules' default_learning_rate: SGD and the momentum rules 0.01,
// AdaGrad 0.01, RMSProp 0.001, AdaDelta 1, Adam, AMSGrad and AdamW 0.001,
// AdaMax and NAdam 0.002.
inline double default_learning_rate(UpdateRuleType type) { return info(type).default_learning_rate; }

// The options of every rule; make_update_rule reads the struct that `type`
// names and ignores the others.
struct UpdateRuleOptions {
  UpdateRuleType type = UpdateRuleType::kAdam;  // the rule make_update_rule() builds
  MomentumOptions momentum;                     // kMomentum, kNesterovLookahead, kNesterov
  AdaGradOptions adagrad;                       // kAdaGrad
  RmsPropOptions rmsprop;                       // kRmsProp, kRmsPropMomentum, kRmsPropNesterov
  AdaDeltaOptions adadelta;                     // kAdaDelta
  AdamOptions adam;                             // kAdam, kAdaMax, kAmsGrad
  NadamOptions nadam;                           // kNadam
  AdamWOptions adamw;                           // kAdamW
};

// Any update rule behind one type, for a loop that chooses at run time. It
// satisfies UpdateRule and LookaheadUpdateRule; needs_lookahead() is true only
// for a rule that wants its gradient at a shifted point (lookahead() copies x
// for the others). Move-only; the virtual call is per step, not per
// coordinate.
class AnyUpdateRule {
 public:
  template <UpdateRule R>
  explicit AnyUpdateRule(R rule) : rule_(std::make_unique<Model<R>>(std::move(rule))) {}  // takes the rule over

  // The wrapped rule's step(), reset(), needs_lookahead() and lookahead() (see the concepts above).
  void step(std::span<double> x, std::span<const double> g, double learning_rate) { rule_->step(x, g, learning_rate); }
  void reset() { rule_->reset(); }
  bool needs_lookahead() const { return rule_->needs_lookahead(); }
  void lookahead(std::span<const double> x, std::span<double> point) const { rule_->lookahead(x, point); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void step(std::span<double> x, std::span<const double> g, double learning_rate) = 0;
    virtual void reset() = 0;
    virtual bool needs_lookahead() const = 0;
    virtual void lookahead(std::span<const double> x, std::span<double> point) const = 0;
  };
  template <UpdateRule R>
  struct Model final : Concept {
    explicit Model(R r) : rule(std::move(r)) {}
    void step(std::span<double> x, std::span<const double> g, double learning_rate) override {
      rule.step(x, g, learning_rate);
    }
    void reset() override { rule.reset(); }
    bool needs_lookahead() const override {
      if constexpr (LookaheadUpdateRule<R>) {
        return rule.needs_lookahead();
      } else {
        return false;
      }
    }
    void lookahead(std::span<const double> x, std::span<double> point) const override {
      if constexpr (LookaheadUpdateRule<R>) {
        rule.lookahead(x, point);
      } else {
        copy_point(x, point);
      }
    }
    R rule;
  };
  // point = x; throws curvature::Error when the sizes differ.
  static void copy_point(std::span<const double> x, std::span<double> point);

  std::unique_ptr<Concept> rule_;
};

// The rule `options.type` names, built from its options struct. Throws
// curvature::Error naming the first field out of range.
AnyUpdateRule make_update_rule(const UpdateRuleOptions& options);

// Throw curvature::Error naming the first field out of range. The rules'
// constructors call these.
void validate(const MomentumOptions& options);
void validate(const AdaGradOptions& options);
void validate(const RmsPropOptions& options);
void validate(const AdaDeltaOptions& options);
void validate(const AdamOptions& options);
void validate(const NadamOptions& options);
void validate(const AdamWOptions& options);

}  // namespace curvature
