// class_labels.h — a classification target column checked and turned into
// the class indices 0..K-1 the cross-entropy objective reads.
//
// The labels in a file are numbers: 0..K-1 are taken as they are; any other
// set of integers (say -1 and 1, or 3, 5 and 7) is mapped to classes in
// increasing order (class k stands for the k-th smallest label), and the
// caller can report the mapping. A fractional label, or a label of a test
// or validation file that the training data never had, is an error naming
// the file, the line and the value, found before any training starts. So
// is a target that looks like a regression target: more distinct values
// than a classification is likely to have (kMaxClasses), or fewer than
// kMinSamplesPerClass samples per class on average.
#pragma once

#include <vector>

#include "csv_dataset.h"

namespace curvature {

// Refused as probably not class labels: more than this many distinct values...
inline constexpr int kMaxClasses = 100;
// ... or fewer samples per class than this on average.
inline constexpr int kMinSamplesPerClass = 5;

// The distinct labels of `train`'s single target column, increasing: class k
// stands for classes[k]. Throws curvature::Error naming the file, line and
// value for a fractional (or otherwise non-integer) label, and naming the
// counts, with a hint to use a regression loss, for fewer than two distinct
// labels, more than kMaxClasses, or fewer than kMinSamplesPerClass samples
// per class; also for data with other than one target column.
std::vector<double> find_classes(const Dataset& train);

// True when classes are exactly 0, 1, ..., K-1 (labels are class indices).
bool classes_are_indices(const std::vector<double>& classes);

// Replaces each label of data->targets by its class index (0..K-1) in
// `classes`. Throws curvature::Error naming the file, line and value for a
// label not among `classes` (fractional, or a class the training data did
// not have), leaving `data` unchanged.
void encode_classes(Dataset* data, const std::vector<double>& classes);

}  // namespace curvature
