#include "lib/linalg/masked_least_squares.h"

#include <algorithm>

namespace dnnc {

LeastSquaresSystem leastSquaresSystem(const Eigen::MatrixXf& x, const Eigen::MatrixXf& y) {
  LeastSquaresSystem s;
  Eigen::MatrixXd xd = x.cast<double>(), yd = y.cast<double>();
  s.gram = xd * xd.transpose();
  s.cross = xd * yd.transpose();
  s.x_sum = xd.rowwise().sum();
  s.y_sum = yd.rowwise().sum();
  s.columns = static_cast<double>(x.cols());
  return s;
}

void refitOnSupport(const LeastSquaresSystem& s, RowMatrixF& w, std::vector<float>* bias, double ridge, int threads) {
  const int64_t rows = w.rows(), k = w.cols();
  const double lambda = ridge * s.gram.diagonal().mean() + 1e-12;
#pragma omp parallel for num_threads(std::max(1, threads)) schedule(dynamic)
  for (int64_t m = 0; m < rows; ++m) {
    std::vector<int64_t> support;
    for (int64_t j = 0; j < k; ++j)
      if (w(m, j) != 0.0f) support.push_back(j);
    const int64_t n = static_cast<int64_t>(support.size()) + (bias ? 1 : 0);
    if (n == 0) continue;
    Eigen::MatrixXd a(n, n);
    Eigen::VectorXd rhs(n);
    for (size_t i = 0; i < support.size(); ++i) {
      for (size_t j = 0; j < support.size(); ++j) a(i, j) = s.gram(support[i], support[j]);
      a(i, i) += lambda;
      rhs(i) = s.cross(support[i], m);
    }
    if (bias) {
      const int64_t b = n - 1;
      for (size_t i = 0; i < support.size(); ++i) a(i, b) = a(b, i) = s.x_sum(support[i]);
      a(b, b) = s.columns + lambda;
      rhs(b) = s.y_sum(m);
    }
    Eigen::VectorXd sol = a.ldlt().solve(rhs);
    if (!sol.allFinite()) continue;  // leave the row as it was rather than write NaN
    for (size_t i = 0; i < support.size(); ++i) w(m, support[i]) = static_cast<float>(sol(i));
    if (bias) (*bias)[m] = static_cast<float>(sol(n - 1));
  }
}

}  // namespace dnnc
