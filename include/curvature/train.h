// curvature/train.h — stochastic first-order training over a least-squares
// Problem: epochs of shuffled minibatches of residual blocks, an update rule
// from first_order.h, a learning-rate schedule from learning_rate_schedule.h.
//
//   curvature::TrainOptions options;
//   options.rule.type = curvature::UpdateRuleType::kAdam;
//   options.schedule.initial_learning_rate = 1e-3;
//   options.epochs = 100;
//   options.batch_size = 4;                       // residual blocks per step
//   curvature::TrainValidation validation;
//   validation.residual_blocks = {8, 9};          // held out of training
//   curvature::Summary summary = curvature::train(options, &problem, validation);
//
// The same Problem that solve() fits by Gauss-Newton or Levenberg-Marquardt
// is trained here; problems/mlp.h builds one residual block per chunk of
// samples, so a minibatch of blocks is a minibatch of chunks.
//
// A loss that is not a sum of squares is trained as a SumObjective
// (sum_objective.h: f = sum_t f_t, e.g. one softmax cross-entropy term per
// sample) over a parameter vector, as minimize() takes it:
//
//   Eigen::VectorXd x = ...;                      // the start; the result
//   curvature::Summary summary = curvature::train(options, &objective, &x);
//
// Everything below holds for it with "residual block" read as "term" and
// "residual" read as "term" too: a minibatch B of terms has the loss
// L_B(x) = (1 / |B|) sum_{t in B} f_t(x), the mean over its terms, an
// unbiased estimate of L(x) = f(x) / T; batch_size counts terms;
// TrainValidation::terms holds terms out; the callback sees the epoch's
// parameters in *x. A SumObjective has no bounds.
//
// The loss. A minibatch B of residual blocks, with m_B residuals in all, has
// the loss
//
//   L_B(x) = (1 / m_B) sum_{b in B} 1/2 rho_b(|r_b(x)|^2)
//
// — the problem's cost per residual, i.e. half the mean squared residual
// without robust losses. Dividing by the number of residuals (not by the
// number of blocks, and not at all) makes L_B an unbiased estimate of the
// full loss L(x) = cost(x) / m whatever the batch size and however many
// samples a block holds, so a learning rate that works for one batch size
// (or MLP chunk size) is in the right range for another. (For an MLP with K
// outputs L is MSE / 2.) The gradient is
//
//   g = (1 / m_B) sum_{b in B} rho_b' J_b^T r_b
//
// computed per block in parallel into per-block buffers and summed
// sequentially in minibatch order, so the result is bit-identical for any
// num_threads. Every loss and cost this file reports (the trace, the
// Summary's initial and final cost, the validation loss) is in these units:
// multiply by m to compare with solve()'s cost.
//
// One step, at the effective parameters x (the non-constant blocks, in the
// Problem's order):
//
//   g  = gradient of L_B at x (at rule.lookahead(x) for kNesterovLookahead)
//   g *= min(1, c / |g|_2)                   clip_gradient_norm c > 0
//   g += weight_decay * x                    L2 penalty weight_decay / 2 |x|^2
//   rule.step(x, g, lr)
//   x_i = sign(x_i) max(|x_i| - lr l1, 0)    l1 > 0: proximal step of l1 |x|_1
//   x = P(x)                                 projection onto the Problem's bounds
//
// The L1 term is applied by soft-thresholding rather than through g so that
// coordinates reach exactly zero (a subgradient step only oscillates around
// it); the threshold lr l1 is exact for SGD and a heuristic for the adaptive
// rules, whose per-coordinate step is not lr. Projection is exact for a box.
//
// Manifolds (Problem::set_manifold). On a problem with blocks on manifolds,
// g is the tangent gradient and the rule updates a zero tangent vector delta
// (rule.step(delta, g, lr)); the point then moves by x = plus(x, delta)
// block by block. weight_decay, l1, kNesterovLookahead and AdamW's decoupled
// decay act on x itself and are refused there with a curvature::Error.
//
// Epochs. Each epoch shuffles the training blocks (all blocks not held out
// for validation) with a Fisher-Yates shuffle driven by std::mt19937_64
// seeded with `seed` (hand-written, so the order is the same with every
// standard library), and takes ceil(n / batch_size) steps over consecutive
// slices; the last may be smaller. batch_size = 0 (or >= the number of
// training blocks) is full-batch gradient descent: one step per epoch over
// the blocks in index order, no shuffle.
//
// Validation. TrainValidation lists residual blocks of the same Problem that
// are held out: never in a minibatch, evaluated (loss only) at the end of
// every epoch. Held-out blocks share the Problem's parameter blocks, which is
// what a validation set is; a separate Problem would have to be matched
// block by block. With early_stopping_patience = p > 0 training stops after
// p consecutive epochs whose validation loss does not improve on the best,
// and the parameters of the best epoch are restored at the end (also when
// training ends for another reason); the message says so, and
// Summary::best_iteration and best_validation_loss report that epoch and its
// loss. (solve() and minimize() stop early the same way, on a validation
// loss function: EarlyStoppingOptions in solver_options.h.)
//
// The Summary, as from every solver: method "train <rule>", one trace record
// per epoch (iteration 0 the starting point):
//   cost               mean of the epoch's minibatch losses, each taken at
//                      the point before its step (what a training loop
//                      prints; free). Record 0: L at the start.
//   cost_change        previous record's cost minus this one's
//   gradient_max_norm  max-norm of the gradient the rule received at the
//                      epoch's last step (after clipping and weight decay);
//                      record 0: of the full-batch gradient at the start
//   step_norm          |x_end - x_start| over the epoch
//   step_length        learning rate of the epoch's last step
//   accepted           true
// initial_cost and final_cost are the full training loss L at the start and
// at the returned point; iterations = epochs run; residual_evaluations and
// jacobian_evaluations count minibatch evaluations. verbose prints one line
// per epoch: epoch, training loss, validation loss, learning rate, time.
// The callback runs after each epoch, with the user's parameter blocks
// holding that epoch's parameters; kStop ends training with kUserStop.
//
// Termination: kMaxIterations when the epochs are done, kMaxTime (checked
// after every step), kUserStop, kEarlyStopping (the validation loss stopped
// improving; the message begins "Early stopping"),
// kInvalidStartingPoint when the loss cannot be evaluated at the start, and
// kEvaluationFailure when a minibatch cannot be evaluated later (non-finite
// residual or Jacobian: a diverging learning rate); the parameters are then
// those at the end of the last complete epoch whose training loss is finite
// (the previous epoch's, or the starting point, when the last epoch ended
// where the loss overflows; the best epoch's under early stopping), and
// Summary::final_cost is the training loss there. The user's parameter blocks hold the final point (or the
// restored best one).
//
// Errors: options out of range throw curvature::Error naming the field
// ("TrainOptions::batch_size must be >= 0, got -1"); so do a null problem,
// a validation index out of range or repeated, and a validation set that
// leaves no training block (messages name TrainValidation::residual_blocks,
// or TrainValidation::terms for a SumObjective).
//
// Cost: the residual blocks of a minibatch and their Jacobians (which is
// what the Problem interface offers: J_b is formed, J_b^T r_b taken, J_b
// dropped), plus O(n) per step for the rule; nothing is allocated per step.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "curvature/first_order.h"
#include "curvature/learning_rate_schedule.h"
#include "curvature/problem.h"
#include "curvature/solver_options.h"
#include "curvature/sum_objective.h"
#include "curvature/summary.h"

namespace curvature {

// What one unit of the learning-rate schedule is (learning_rate_schedule.h:
// every length in LearningRateScheduleOptions counts these).
enum class ScheduleUnit {
  kEpoch,  // learning_rate(epoch), fixed within an epoch
  kStep,   // learning_rate(step), step counting minibatches from 0
};

// How train() runs; validated once by train() (validate()).
struct TrainOptions {
  // The update rule and its options (default Adam).
  UpdateRuleOptions rule;
  // The learning rate: schedule.initial_learning_rate (default 0.01; each
  // rule's suggested value is default_learning_rate(rule.type)) and how it
  // changes. kReduceOnPlateau observes the validation loss once per epoch,
  // or the epoch's training loss when there is no validation set.
  LearningRateScheduleOptions schedule;
  ScheduleUnit schedule_unit = ScheduleUnit::kEpoch;  // what k counts in learning_rate(k)

  int epochs = 100;        // >= 1
  int batch_size = 0;      // residual blocks per minibatch, >= 0; 0: all (full batch)
  std::uint64_t seed = 0;  // the shuffle's std::mt19937_64 seed

  // > 0: scale the minibatch gradient to 2-norm at most this (global-norm
  // clipping, before weight decay); 0: off.
  double clip_gradient_norm = 0.0;
  // >= 0: adds weight_decay * x to the gradient (an L2 penalty
  // weight_decay / 2 |x|^2 on every effective parameter, through the rule).
  // For Adam's decoupled form use UpdateRuleType::kAdamW instead.
  double weight_decay = 0.0;
  // >= 0: proximal soft-thresholding by lr * l1 after each step.
  double l1 = 0.0;

  // > 0: stop after this many epochs without a validation improvement and
  // restore the best epoch's parameters; needs a validation set. 0: off.
  int early_stopping_patience = 0;

  int num_threads = 1;            // in [1, kMaxThreads] (thread_pool.h); results do not depend on it
  double max_time_seconds = 1e6;  // > 0
  bool verbose = false;           // one line per epoch on stderr
  // Called after each epoch (see above); kStop ends training.
  std::function<CallbackReturn(const IterationRecord&)> callback;
};

// The items held out of training as the validation set; empty: none. A
// Problem holds out residual blocks (indices as returned by
// Problem::add_residual_block), a SumObjective terms; the other list must be
// empty.
struct TrainValidation {
  std::vector<int> residual_blocks;  // indices into the trained Problem
  std::vector<int> terms;            // indices into the trained SumObjective
};

// Throws curvature::Error naming the first field out of range (including the
// rule's and the schedule's options).
void validate(const TrainOptions& options);

// Trains the problem's effective parameters from the values in its parameter
// blocks; see the top of this file. Throws curvature::Error as described
// there.
Summary train(const TrainOptions& options, Problem* problem, const TrainValidation& validation = {});

// Trains *x, the objective's parameters, from its value (see "A loss that is
// not a sum of squares" at the top of this file). Throws curvature::Error as
// the Problem form does, and for a null objective or x, an x of the wrong
// size, an objective without terms, or validation residual blocks.
Summary train(const TrainOptions& options, SumObjective* objective, Eigen::VectorXd* x,
              const TrainValidation& validation = {});

}  // namespace curvature
