// Least-squares refit of a pruned linear layer: each output row keeps its zeros and re-solves its
// remaining weights (and the bias) so that the layer best reproduces target outputs on sample inputs.
// This is the closed-form, label-free local fine-tuning of energy-aware pruning (Yang et al., CVPR 2017)
// and of channel pruning (He et al. 2017; ThiNet).
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "lib/ir/tensor.h"

namespace dnnc {

// The normal equations of one layer's samples, shared by every row and every candidate support.
struct LeastSquaresSystem {
  Eigen::MatrixXd gram;   // X X^T, K x K
  Eigen::MatrixXd cross;  // X Y^T, K x M
  Eigen::VectorXd x_sum;  // X 1
  Eigen::VectorXd y_sum;  // Y 1
  double columns = 0;
  // Mean square of each input, E[x_k^2]: weight w_mk then adds w_mk^2 E[x_k^2] to output m's error.
  Eigen::VectorXd inputPower() const { return gram.diagonal() / std::max(columns, 1.0); }
};

// x: K x n inputs, y: M x n target outputs.
LeastSquaresSystem leastSquaresSystem(const Eigen::MatrixXf& x, const Eigen::MatrixXf& y);

// Re-solves the nonzero weights of every row of w (M x K) on its support; refits `bias` (size M) too
// when given. `ridge` is relative to the mean diagonal of the Gram matrix and keeps the systems regular.
void refitOnSupport(const LeastSquaresSystem& system, RowMatrixF& w, std::vector<float>* bias, double ridge = 1e-4,
                    int threads = 1);

}  // namespace dnnc
