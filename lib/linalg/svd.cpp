#include "lib/linalg/svd.h"

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

#include "lib/support/check.h"

namespace dnnc::linalg {

Svd thinSvd(const Matrix& a) {
  Eigen::BDCSVD<Matrix> svd(a, Eigen::ComputeThinU | Eigen::ComputeThinV);
  return {svd.matrixU(), svd.singularValues(), svd.matrixV()};
}

LeftSubspace leadingLeftSubspace(const Matrix& a, int rank) {
  const int64_t m = a.rows();
  DNNC_CHECK(rank >= 0 && rank <= m, "rank ", rank, " for ", m, " rows");
  Matrix gram = Matrix::Zero(m, m);
  gram.selfadjointView<Eigen::Lower>().rankUpdate(a);
  Eigen::SelfAdjointEigenSolver<Matrix> eig(gram.selfadjointView<Eigen::Lower>());
  // Eigenvalues come ascending; reverse them (and their vectors) to descending order.
  LeftSubspace out;
  out.s.resize(m);
  for (int64_t i = 0; i < m; ++i) out.s[i] = std::sqrt(std::max(0.0, eig.eigenvalues()[m - 1 - i]));
  out.u.resize(m, rank);
  for (int i = 0; i < rank; ++i) out.u.col(i) = eig.eigenvectors().col(m - 1 - i);
  return out;
}

int rankForEnergy(const Vector& s, double energy) {
  const double total = s.squaredNorm();
  if (total <= 0) return 1;
  double kept = 0;
  for (int r = 0; r < s.size(); ++r) {
    kept += s[r] * s[r];
    // A relative slack of 1e-12 keeps energy = 1 from demanding the last rounding-error singular values.
    if (kept >= energy * total * (1 - 1e-12)) return r + 1;
  }
  return static_cast<int>(s.size());
}

LowRankFactors splitSvd(const Svd& svd, int rank) {
  DNNC_CHECK(rank >= 1 && rank <= svd.s.size(), "rank ", rank, " of ", svd.s.size(), " singular values");
  Vector root = svd.s.head(rank).cwiseSqrt();
  return {svd.u.leftCols(rank) * root.asDiagonal(), root.asDiagonal() * svd.v.leftCols(rank).transpose()};
}

}  // namespace dnnc::linalg
