#include "mlp_metrics.h"

#include <cmath>
#include <cstddef>
#include <string>

#include "curvature/error.h"
#include "mlp_kernels.h"

namespace curvature {
namespace {

using internal::mlp::columns_of;
using internal::mlp::ConstMatrixMap;
using internal::mlp::for_each_chunk;
using internal::mlp::make_shape;
using internal::mlp::Scratch;
using internal::mlp::Shape;

}  // namespace

Eigen::MatrixXd predict(const Mlp& mlp, const Eigen::MatrixXd& inputs) {
  if (inputs.cols() != mlp.num_inputs()) {
    throw Error("predict: the network has " + std::to_string(mlp.num_inputs()) + " inputs, the data " +
                std::to_string(inputs.cols()) + " columns");
  }
  const Shape shape = make_shape(mlp.options());
  std::vector<const double*> blocks;
  for (int l = 1; l <= shape.layers(); ++l) blocks.push_back(mlp.layer_parameters(l));
  const Eigen::MatrixXd columns = columns_of(inputs);
  Eigen::MatrixXd outputs(shape.outputs(), inputs.rows());
  thread_local Scratch scratch;
  for_each_chunk(static_cast<int>(inputs.rows()), mlp.options().chunk_size, [&](int start, int count) {
    scratch.prepare(shape, count);
    forward(shape, blocks.data(), columns.data() + static_cast<std::ptrdiff_t>(start) * shape.sizes[0], count,
            scratch.a(), nullptr);
    outputs.middleCols(start, count) = ConstMatrixMap(scratch.a()[shape.layers()], shape.outputs(), count);
  });
  return outputs.transpose();
}

double mean_squared_error(const Mlp& mlp, const Dataset& data) {
  if (data.targets.cols() != mlp.num_outputs() || data.targets.rows() != data.inputs.rows() ||
      data.num_samples() == 0) {
    throw Error("mean_squared_error: the data set must be non-empty with " + std::to_string(mlp.num_outputs()) +
                " target columns");
  }
  return (predict(mlp, data.inputs) - data.targets).squaredNorm() / static_cast<double>(data.targets.size());
}

std::vector<int> class_labels(const Dataset& data, int num_classes) {
  std::vector<int> labels(static_cast<size_t>(data.targets.rows()));
  if (data.targets.cols() == 1) {
    for (Eigen::Index s = 0; s < data.targets.rows(); ++s) {
      const double t = data.targets(s, 0);
      if (!(t >= 0.0 && t < num_classes) || t != std::floor(t)) {
        throw Error("class_labels: target " + std::to_string(s) + " is " + std::to_string(t) +
                    ", not a class label in 0.." + std::to_string(num_classes - 1));
      }
      labels[static_cast<size_t>(s)] = static_cast<int>(t);
    }
  } else if (data.targets.cols() == num_classes) {
    for (Eigen::Index s = 0; s < data.targets.rows(); ++s) {
      Eigen::Index best = 0;
      data.targets.row(s).maxCoeff(&best);
      labels[static_cast<size_t>(s)] = static_cast<int>(best);
    }
  } else {
    throw Error("class_labels: the targets have " + std::to_string(data.targets.cols()) +
                " columns; expected 1 (labels) or " + std::to_string(num_classes) + " (one per class)");
  }
  return labels;
}

double classification_accuracy(const Mlp& mlp, const Dataset& data) {
  if (data.num_samples() == 0) throw Error("classification_accuracy: the data set is empty");
  const std::vector<int> labels = class_labels(data, mlp.num_outputs());
  const Eigen::MatrixXd outputs = predict(mlp, data.inputs);
  int correct = 0;
  for (Eigen::Index s = 0; s < outputs.rows(); ++s) {
    Eigen::Index best = 0;
    outputs.row(s).maxCoeff(&best);
    if (best == labels[static_cast<size_t>(s)]) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(outputs.rows());
}

}  // namespace curvature
