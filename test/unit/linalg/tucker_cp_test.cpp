#include <catch2/catch.hpp>
#include <random>

#include "lib/linalg/cp_als.h"
#include "lib/linalg/tucker.h"

using namespace dnnc::linalg;

namespace {

Matrix gaussian(int64_t rows, int64_t cols, std::mt19937_64& rng) {
  std::normal_distribution<double> n;
  Matrix m(rows, cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m(i, j) = n(rng);
  return m;
}

DenseTensor randomTensor(std::vector<int64_t> dims, std::mt19937_64& rng) {
  std::normal_distribution<double> n;
  DenseTensor t(std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data[i] = n(rng);
  return t;
}

// W[k,c,i,j] = sum_{a,b} U[k,a] V[c,b] G[a,b,i,j], by loops.
DenseTensor naiveTucker(const Matrix& u, const Matrix& v, const DenseTensor& g) {
  const int64_t K = u.rows(), C = v.rows(), R4 = g.dims[0], R3 = g.dims[1], h = g.dims[2], w = g.dims[3];
  DenseTensor t({K, C, h, w});
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          double s = 0;
          for (int64_t a = 0; a < R4; ++a)
            for (int64_t b = 0; b < R3; ++b) s += u(k, a) * v(c, b) * g.data[((a * R3 + b) * h + i) * w + j];
          t.data[((k * C + c) * h + i) * w + j] = s;
        }
  return t;
}

// T[k,c,i,j] = sum_r A0[k,r] A1[c,r] A2[i,r] A3[j,r], by loops.
DenseTensor naiveCp(const std::vector<Matrix>& f) {
  const int64_t K = f[0].rows(), C = f[1].rows(), h = f[2].rows(), w = f[3].rows();
  DenseTensor t({K, C, h, w});
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          double s = 0;
          for (int64_t r = 0; r < f[0].cols(); ++r) s += f[0](k, r) * f[1](c, r) * f[2](i, r) * f[3](j, r);
          t.data[((k * C + c) * h + i) * w + j] = s;
        }
  return t;
}

double relErr(const DenseTensor& a, const DenseTensor& b) { return (a.data - b.data).norm() / a.data.norm(); }

}  // namespace

TEST_CASE("Tucker-2 reconstructs an exactly rank-(4,3) kernel") {
  std::mt19937_64 rng(7);
  DenseTensor g = randomTensor({4, 3, 3, 3}, rng);
  DenseTensor w = naiveTucker(gaussian(10, 4, rng), gaussian(8, 3, rng), g);
  Tucker2 d = tucker2(w, 4, 3);
  CHECK(d.hosvd_error < 1e-10);
  CHECK(d.error < 1e-10);
  CHECK(relErr(w, naiveTucker(d.out_factor, d.in_factor, d.core)) < 1e-10);
  // Factors are orthonormal.
  CHECK((d.out_factor.transpose() * d.out_factor - Matrix::Identity(4, 4)).norm() < 1e-10);
  CHECK((d.in_factor.transpose() * d.in_factor - Matrix::Identity(3, 3)).norm() < 1e-10);
  // Full ranks are exact on any kernel.
  DenseTensor any = randomTensor({6, 5, 3, 3}, rng);
  Tucker2 f = tucker2(any, 6, 5);
  CHECK(relErr(any, naiveTucker(f.out_factor, f.in_factor, f.core)) < 1e-10);
}

TEST_CASE("HOOI never increases the error of its HOSVD start, and its reported error is the true one") {
  std::mt19937_64 rng(8);
  for (int trial = 0; trial < 5; ++trial) {
    // Low-rank structure plus noise, so the truncated HOSVD is good but not optimal.
    DenseTensor w = naiveTucker(gaussian(12, 5, rng), gaussian(10, 5, rng), randomTensor({5, 5, 3, 3}, rng));
    DenseTensor noise = randomTensor({12, 10, 3, 3}, rng);
    w.data += 0.5 * noise.data;
    Tucker2 d = tucker2(w, 3, 4, {.max_iterations = 50, .tolerance = 1e-12});
    INFO("trial " << trial << ": HOSVD " << d.hosvd_error << ", HOOI " << d.error << " after " << d.iterations);
    CHECK(d.error <= d.hosvd_error + 1e-12);
    CHECK(d.error == Approx(relErr(w, naiveTucker(d.out_factor, d.in_factor, d.core))).epsilon(1e-9));
    Tucker2 h = tucker2(w, 3, 4, {.max_iterations = 0});
    CHECK(h.iterations == 0);
    CHECK(h.error == Approx(d.hosvd_error).epsilon(1e-12));
  }
}

TEST_CASE("CP-ALS recovers an exactly rank-3 kernel, with and without line search") {
  std::mt19937_64 rng(9);
  std::vector<Matrix> truth = {gaussian(6, 3, rng), gaussian(5, 3, rng), gaussian(3, 3, rng), gaussian(3, 3, rng)};
  DenseTensor t = naiveCp(truth);
  for (bool ls : {true, false}) {
    CpResult r = cpAls(t, 3, {.max_iterations = 2000, .tolerance = 1e-13, .line_search = ls});
    INFO("line search " << ls << ": error " << r.error << " after " << r.iterations << " sweeps");
    CHECK(r.error < 1e-6);
    REQUIRE(r.factors.size() == 4);
    CHECK(relErr(t, naiveCp(r.factors)) == Approx(r.error).margin(1e-12));
  }
}

TEST_CASE("CP-ALS error falls with the rank and is reported truthfully") {
  std::mt19937_64 rng(10);
  DenseTensor t = randomTensor({8, 6, 3, 3}, rng);
  double last = 1.0;
  for (int rank : {1, 4, 16}) {
    CpResult r = cpAls(t, rank, {.max_iterations = 300});
    CHECK(r.error == Approx(relErr(t, naiveCp(r.factors))).margin(1e-12));
    CHECK(r.error < last);
    last = r.error;
  }
  // Deterministic: the same seed gives the same factors.
  CpResult a = cpAls(t, 5, {.max_iterations = 20}), b = cpAls(t, 5, {.max_iterations = 20});
  CHECK(a.factors[0] == b.factors[0]);
}

TEST_CASE("HOOI's fast subspace update reaches the exact eigensolver update's subspace and error") {
  std::mt19937_64 rng(11);
  // Rank-(4,3) structure plus noise: a clear gap, so both updates have one well-defined fixed point.
  DenseTensor w = naiveTucker(gaussian(16, 4, rng), gaussian(12, 3, rng), randomTensor({4, 3, 3, 3}, rng));
  DenseTensor noise = randomTensor({16, 12, 3, 3}, rng);
  w.data += 0.3 * noise.data;
  // A negative tolerance runs every sweep.
  Tucker2 exact = tucker2(w, 4, 3, {.max_iterations = 100, .tolerance = -1, .update = HooiUpdate::Exact});
  Tucker2 fast = tucker2(w, 4, 3, {.max_iterations = 100, .tolerance = -1, .update = HooiUpdate::Subspace});
  INFO("exact " << exact.error << " after " << exact.iterations << ", fast " << fast.error << " after " << fast.iterations
                << ", HOSVD " << exact.hosvd_error);
  CHECK(fast.error == Approx(exact.error).epsilon(1e-8));
  auto projector = [](const Matrix& u) -> Matrix { return u * u.transpose(); };
  CHECK((projector(fast.out_factor) - projector(exact.out_factor)).norm() < 1e-5);
  CHECK((projector(fast.in_factor) - projector(exact.in_factor)).norm() < 1e-5);
  CHECK(relErr(w, naiveTucker(fast.out_factor, fast.in_factor, fast.core)) == Approx(fast.error).epsilon(1e-9));

  // Sweep by sweep (each call continues from the last factors) the fast update never raises the error.
  Tucker2 step = tucker2(w, 4, 3, {.max_iterations = 0});
  double last = step.error;
  for (int s = 0; s < 10; ++s) {
    step = tucker2From(w, step.out_factor, step.in_factor, {.max_iterations = 1, .tolerance = -1});
    CHECK(step.error <= last + 1e-12);
    CHECK((step.out_factor.transpose() * step.out_factor - Matrix::Identity(4, 4)).norm() < 1e-10);
    last = step.error;
  }
}
