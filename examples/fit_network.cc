// Fits a 10-32-32-1 tanh network to the Friedman-1 regression data (2000
// training rows, 500 test rows), full batch, three ways on the same kind of
// Problem: Levenberg-Marquardt alone, Adam alone, and an Adam warm-up
// followed by Levenberg-Marquardt. The network's per-sample errors are its
// residual blocks, so the two solvers are two calls on one object.
//
//   ./fit_network [seconds per fit, default 10]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "csv_dataset.h"
#include "curvature/error.h"
#include "curvature/solve.h"
#include "curvature/train.h"
#include "data_dir.h"
#include "mlp.h"

namespace {

using namespace curvature;

struct Data {
  Dataset train, test;
};

Data load_friedman1() {
  CsvOptions csv;
  csv.target_column = "y";
  const std::string dir = find_data_dir("nn");  // CURVATURE_DATA_DIR, the install prefix or the source tree
  Data data{load_csv_dataset(dir + "/friedman1_train.csv", csv), load_csv_dataset(dir + "/friedman1_test.csv", csv)};
  standardize_targets(&data.train, &data.test);  // with the training mean and standard deviation
  return data;
}

MlpOptions network() {
  MlpOptions options;
  options.layer_sizes = {10, 32, 32, 1};
  options.hidden_activation = Activation::kTanh;
  options.seed = 0;
  return options;
}

SolverOptions levenberg_marquardt(double seconds) {
  SolverOptions options;
  options.linear_solver = LinearSolverType::kDenseNormalCholesky;  // J^T J formed and factored on the threads
  options.damping = Damping::kLevenberg;                           // lambda I treats the weights alike
  options.initial_damping = 1e-3;
  options.max_iterations = 100000;
  options.max_time_seconds = seconds;
  options.num_threads = 2;
  return options;
}

TrainOptions adam(double learning_rate, int steps, double seconds) {
  TrainOptions options;  // Adam by default
  options.schedule.initial_learning_rate = learning_rate;
  options.epochs = steps;  // full batch: one step per epoch
  options.max_time_seconds = seconds;
  options.num_threads = 2;
  return options;
}

void report(const char* name, const Mlp& mlp, const Data& data, double seconds) {
  std::printf("%-22s train MSE %.3e   test MSE %.3e   %.1f s\n", name, mean_squared_error(mlp, data.train),
              mean_squared_error(mlp, data.test), seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  if (!(seconds > 0.0)) {
    std::fprintf(stderr, "usage: fit_network [seconds per fit > 0]\n");
    return 2;
  }
  try {
    const Data data = load_friedman1();

    {
      Mlp mlp(network());
      Problem problem;
      add_mlp_regression_residuals(mlp, data.train, &problem);
      const Summary summary = solve(levenberg_marquardt(seconds), &problem);
      report("levenberg-marquardt", mlp, data, summary.total_time_s);
    }
    {
      Mlp mlp(network());
      Problem problem;
      add_mlp_regression_residuals(mlp, data.train, &problem);
      const Summary summary = train(adam(0.03, 1000000, seconds), &problem);
      report("adam", mlp, data, summary.total_time_s);
    }
    {
      // Adam's large steps first leave the basin LM alone settles in; LM then
      // converges from where Adam stopped (the Problem reads the network's
      // parameters in place).
      Mlp mlp(network());
      Problem problem;
      add_mlp_regression_residuals(mlp, data.train, &problem);
      const Summary warmup = train(adam(0.03, 3000, seconds), &problem);
      const Summary polish = solve(levenberg_marquardt(std::max(1e-3, seconds - warmup.total_time_s)), &problem);
      report("adam, then lm", mlp, data, warmup.total_time_s + polish.total_time_s);
    }
  } catch (const Error& error) {  // e.g. the data files not found
    std::fprintf(stderr, "fit_network: %s\n", error.what());
    return 2;
  }
  return 0;
}
