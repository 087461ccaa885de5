#include "lib/linalg/svd.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
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
  const int64_t m = a.rows(), n = a.cols();
  DNNC_CHECK(rank >= 0 && rank <= m, "rank ", rank, " for ", m, " rows");
  LeftSubspace out;
  out.s = Vector::Zero(m);
  out.u.resize(m, rank);
  // A tall matrix: the n x n Gram a^T a is smaller; u_i = a v_i / s_i for the components above rounding.
  if (n < m && rank <= n) {
    Matrix gram = Matrix::Zero(n, n);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(a.transpose());
    Eigen::SelfAdjointEigenSolver<Matrix> eig(gram.selfadjointView<Eigen::Lower>());
    for (int64_t i = 0; i < n; ++i) out.s[i] = std::sqrt(std::max(0.0, eig.eigenvalues()[n - 1 - i]));
    const double tiny = 1e-12 * std::max(out.s[0], 1e-300);
    bool ok = true;
    for (int i = 0; i < rank && ok; ++i) ok = out.s[i] > tiny;
    if (ok) {
      for (int i = 0; i < rank; ++i) out.u.col(i) = a * eig.eigenvectors().col(n - 1 - i) / out.s[i];
      return out;
    }
  }
  Matrix gram = Matrix::Zero(m, m);
  gram.selfadjointView<Eigen::Lower>().rankUpdate(a);
  const bool vectors = rank > 0;
  Eigen::SelfAdjointEigenSolver<Matrix> eig(gram.selfadjointView<Eigen::Lower>(),
                                            vectors ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
  // Eigenvalues come ascending; reverse them (and their vectors) to descending order.
  for (int64_t i = 0; i < m; ++i) out.s[i] = std::sqrt(std::max(0.0, eig.eigenvalues()[m - 1 - i]));
  for (int i = 0; i < rank; ++i) out.u.col(i) = eig.eigenvectors().col(m - 1 - i);
  return out;
}

Matrix subspaceIterationStep(const Matrix& a, const Matrix& u) {
  DNNC_CHECK(u.rows() == a.rows() && u.cols() <= a.rows(), "subspace step: a basis of ", u.rows(), " x ", u.cols(),
             " for ", a.rows(), " rows");
  Matrix y = a * (a.transpose() * u);
  Eigen::HouseholderQR<Matrix> qr(y);
  return qr.householderQ() * Matrix::Identity(y.rows(), y.cols());
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
