#include <Eigen/SVD>
#include <catch2/catch.hpp>
#include <random>

#include "lib/linalg/svd.h"
#include "lib/linalg/unfold.h"

using namespace dnnc::linalg;

namespace {

DenseTensor randomTensor(std::vector<int64_t> dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n;
  DenseTensor t(std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data[i] = n(rng);
  return t;
}

}  // namespace

TEST_CASE("unfold matches the index formula of numpy's moveaxis + reshape, and fold inverts it") {
  DenseTensor t = randomTensor({3, 4, 2, 5}, 1);
  for (int mode = 0; mode < 4; ++mode) {
    Matrix u = unfold(t, mode);
    REQUIRE(u.rows() == t.dims[mode]);
    REQUIRE(u.cols() == t.numel() / t.dims[mode]);
    // Naive: element (a, b, c, d) sits in row i_mode, column = C-order index of the other three.
    int64_t idx[4];
    for (idx[0] = 0; idx[0] < 3; ++idx[0])
      for (idx[1] = 0; idx[1] < 4; ++idx[1])
        for (idx[2] = 0; idx[2] < 2; ++idx[2])
          for (idx[3] = 0; idx[3] < 5; ++idx[3]) {
            int64_t flat = ((idx[0] * 4 + idx[1]) * 2 + idx[2]) * 5 + idx[3];
            int64_t col = 0;
            for (int m = 0; m < 4; ++m)
              if (m != mode) col = col * t.dims[m] + idx[m];
            REQUIRE(u(idx[mode], col) == t.data[flat]);
          }
    DenseTensor back = fold(u, mode, t.dims);
    CHECK(back.data == t.data);
  }
}

TEST_CASE("modeProduct agrees with a naive contraction") {
  DenseTensor t = randomTensor({3, 4, 2, 2}, 2);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n;
  Matrix m(5, 4);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) m(i, j) = n(rng);
  DenseTensor p = modeProduct(t, 1, m);
  REQUIRE(p.dims == std::vector<int64_t>{3, 5, 2, 2});
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 5; ++b)
      for (int c = 0; c < 2; ++c)
        for (int d = 0; d < 2; ++d) {
          double s = 0;
          for (int k = 0; k < 4; ++k) s += m(b, k) * t.data[((a * 4 + k) * 2 + c) * 2 + d];
          CHECK(p.data[((a * 5 + b) * 2 + c) * 2 + d] == Approx(s).margin(1e-12));
        }
}

TEST_CASE("SVD helpers: thin SVD reconstructs, the Gram route gives the same values and subspace") {
  DenseTensor t = randomTensor({12, 40}, 4);
  Matrix a = unfold(t, 0);
  Svd svd = thinSvd(a);
  CHECK((svd.u * svd.s.asDiagonal() * svd.v.transpose() - a).norm() < 1e-10 * a.norm());
  Eigen::JacobiSVD<Matrix> jacobi(a);
  LeftSubspace sub = leadingLeftSubspace(a, 4);
  REQUIRE(sub.s.size() == 12);
  for (int i = 0; i < 12; ++i) CHECK(sub.s[i] == Approx(jacobi.singularValues()[i]).epsilon(1e-8));
  // Same leading subspace: the projectors agree.
  Matrix p1 = sub.u * sub.u.transpose(), p2 = svd.u.leftCols(4) * svd.u.leftCols(4).transpose();
  CHECK((p1 - p2).norm() < 1e-8);
  // splitSvd at full rank reproduces a; at rank r its error is the tail of the singular values.
  LowRankFactors full = splitSvd(svd, 12);
  CHECK((full.left * full.right - a).norm() < 1e-10 * a.norm());
  LowRankFactors r4 = splitSvd(svd, 4);
  CHECK((r4.left * r4.right - a).norm() == Approx(svd.s.tail(8).norm()).epsilon(1e-9));
}

TEST_CASE("rankForEnergy keeps the smallest prefix holding the share of squared singular values") {
  Vector s(4);
  s << 3, 2, 1, 0;  // energies 9, 4, 1, 0 of 14
  CHECK(rankForEnergy(s, 9.0 / 14) == 1);
  CHECK(rankForEnergy(s, 0.65) == 2);
  CHECK(rankForEnergy(s, 13.0 / 14) == 2);
  CHECK(rankForEnergy(s, 0.95) == 3);
  CHECK(rankForEnergy(s, 1.0) == 3);
}

TEST_CASE("Orthogonal iteration steps never lower ||a^T u|| and converge to the Gram route's subspace") {
  DenseTensor t = randomTensor({20, 60}, 5);
  Matrix a = unfold(t, 0);
  // A deterministic, poor start: the first 5 unit vectors.
  Matrix u = Matrix::Identity(20, 5);
  double captured = (a.transpose() * u).norm();
  for (int s = 0; s < 300; ++s) {
    u = subspaceIterationStep(a, u);
    double next = (a.transpose() * u).norm();
    REQUIRE(next >= captured - 1e-12 * captured);
    captured = next;
  }
  CHECK((u.transpose() * u - Matrix::Identity(5, 5)).norm() < 1e-12);
  Matrix exact = leadingLeftSubspace(a, 5).u;
  CHECK((u * u.transpose() - exact * exact.transpose()).norm() < 1e-6);
}
