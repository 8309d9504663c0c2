// mlp.h — a multilayer perceptron as a least-squares problem (regression) and
// as a smooth Objective (softmax classification), so that the same network can
// be fitted by Levenberg-Marquardt, Gauss-Newton, Newton-CG, L-BFGS or a
// first-order method.
//
// The parts, one header each (this one includes them all):
//   mlp_network.h        the network: options, activations, initialization, Mlp
//   mlp_regression.h     regression: residual blocks per chunk of samples, L2
//   mlp_metrics.h        predict(), mean squared error, class labels, accuracy
//   mlp_cross_entropy.h  classification: softmax cross-entropy as an Objective
//                        with a generalized Gauss-Newton operator
//
// The network. Layer sizes n_0 (inputs), n_1, ..., n_L (outputs); for layer
// l = 1..L
//
//   z_l = W_l a_{l-1} + b_l,   a_l = f_l(z_l),   a_0 = x,
//
// with W_l an n_l x n_{l-1} matrix, b_l an n_l vector, f_l the hidden
// activation for l < L and the output activation for l = L. The prediction
// is a_L.
//
// Parameter layout: mlp_network.h; residuals and their derivatives:
// mlp_regression.h; the cross-entropy and its Gauss-Newton matrix:
// mlp_cross_entropy.h.
#pragma once

#include "mlp_cross_entropy.h"
#include "mlp_metrics.h"
#include "mlp_network.h"
#include "mlp_regression.h"
