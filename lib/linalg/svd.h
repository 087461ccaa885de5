// SVD helpers over Eigen: the thin SVD (BDCSVD, which switches to one-sided Jacobi for small blocks),
// the leading left singular subspace of a wide matrix through its Gram matrix, and rank choice by the
// share of singular-value energy kept.
#pragma once
#include "lib/linalg/unfold.h"

namespace dnnc::linalg {

struct Svd {
  Matrix u;  // m x k, k = min(m, n)
  Vector s;  // k, descending
  Matrix v;  // n x k
};

// a = u * diag(s) * v^T.
Svd thinSvd(const Matrix& a);

// The leading left singular vectors and all singular values of a (m x n), from the eigen-decomposition
// of the m x m Gram matrix a a^T. For the wide unfoldings of conv kernels (m = channels, n = the rest)
// that is several times faster than an SVD of a; squaring the matrix loses the relative precision of
// singular values below about 1e-8 of the largest, which neither rank selection nor the leading
// subspace needs. A tall matrix goes through the smaller Gram a^T a instead. u has `rank` columns
// (rank <= m); s has m entries, descending (zeros past min(m, n)); rank 0 computes values only.
struct LeftSubspace {
  Matrix u;
  Vector s;
};
LeftSubspace leadingLeftSubspace(const Matrix& a, int rank);

// One step of orthogonal (subspace) iteration on a a^T from the orthonormal start u (m x r): the
// orthonormal basis of a (a^T u), by Householder QR. It costs O(m n r), against O(m^2 n + m^3) for the
// Gram eigen-decomposition of leadingLeftSubspace, and warm-started from a good u it lands close to the
// leading r-subspace. It never lowers ||a^T u||_F: that trace is convex in u, and the polar factor of
// a a^T u (whose span this is) maximises its linearisation at u over orthonormal bases.
// Ref: Golub, Van Loan, "Matrix Computations", 4th ed., 8.2.4 (orthogonal iteration).
Matrix subspaceIterationStep(const Matrix& a, const Matrix& u);

// Smallest r with sum_{i<r} s_i^2 >= energy * sum_i s_i^2 (energy in (0, 1]); at least 1.
int rankForEnergy(const Vector& s, double energy);

// The best rank-r approximation u_r diag(s_r) v_r^T split into two factors a ~ left * right, with
// sqrt(s) on each side so both are equally scaled: left m x r, right r x n.
struct LowRankFactors {
  Matrix left, right;
};
LowRankFactors splitSvd(const Svd& svd, int rank);

}  // namespace dnnc::linalg
