#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "lib/linalg/svd.h"
#include "lib/linalg/vbmf.h"

using namespace dnnc::linalg;

namespace {

Matrix gaussian(int64_t rows, int64_t cols, std::mt19937_64& rng, double sd = 1.0) {
  std::normal_distribution<double> n(0.0, sd);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m(i, j) = n(rng);
  return m;
}

// Y = A B^T with `rank` components of clearly detectable size, plus i.i.d. noise of variance sigma^2.
Matrix lowRankPlusNoise(int64_t rows, int64_t cols, int rank, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Matrix a = gaussian(rows, rank, rng), b = gaussian(cols, rank, rng);
  // Each component's singular value is about 3 sqrt(rows * cols), far above the noise edge sigma (sqrt(rows) + sqrt(cols)).
  return 3.0 * a * b.transpose() + gaussian(rows, cols, rng, sigma);
}

}  // namespace

TEST_CASE("EVBMF recovers the true rank of low-rank + noise matrices and estimates the noise variance") {
  struct Case {
    int64_t rows, cols;
    int rank;
    double sigma;
  };
  for (const Case& c : {Case{40, 60, 5, 2.0}, Case{64, 576, 12, 3.0}, Case{120, 50, 7, 1.5}, Case{32, 288, 1, 4.0}}) {
    Matrix y = lowRankPlusNoise(c.rows, c.cols, c.rank, c.sigma, 11 + c.rows);
    EvbmfResult r = evbmf(y);
    INFO(c.rows << "x" << c.cols << " rank " << c.rank << ": got rank " << r.rank << ", sigma2 " << r.sigma2);
    CHECK(r.rank == c.rank);
    CHECK(r.sigma2 == Approx(c.sigma * c.sigma).epsilon(0.15));
    // The shrunk values lie below the observed ones (EVB shrinks every kept component).
    Svd svd = thinSvd(y.rows() <= y.cols() ? y : Matrix(y.transpose()));
    for (int h = 0; h < r.rank; ++h) {
      CHECK(r.shrunk[h] < svd.s[h]);
      CHECK(r.shrunk[h] > 0);
    }
  }
}

TEST_CASE("EVBMF keeps nothing of pure noise, and drops a component that sinks into the noise") {
  std::mt19937_64 rng(5);
  CHECK(evbmf(gaussian(50, 80, rng)).rank == 0);
  CHECK(evbmf(gaussian(100, 30, rng, 0.01)).rank == 0);
  // Two strong components and one at half the noise edge sigma (sqrt(L) + sqrt(M)).
  Matrix u = thinSvd(gaussian(40, 3, rng)).u, v = thinSvd(gaussian(160, 3, rng)).u;
  Vector s(3);
  s << 200, 150, 0.5 * (std::sqrt(40.0) + std::sqrt(160.0));
  Matrix y = u * s.asDiagonal() * v.transpose() + gaussian(40, 160, rng);
  CHECK(evbmf(y).rank == 2);
}

TEST_CASE("EVBMF's sigma^2 minimises the free energy over a fine scan of its interval, which is continuous") {
  Matrix y = lowRankPlusNoise(30, 90, 4, 1.0, 3);
  Svd svd = thinSvd(y);
  EvbmfResult r = evbmf(svd.s, 30, 90);
  double best = evbmfFreeEnergy(r.sigma2, svd.s, 30, 90);
  REQUIRE(r.sigma2_lower < r.sigma2_upper);
  CHECK(r.sigma2 >= r.sigma2_lower);
  CHECK(r.sigma2 <= r.sigma2_upper);
  for (int i = 0; i <= 2000; ++i) {
    double v = r.sigma2_lower + (r.sigma2_upper - r.sigma2_lower) * i / 2000.0;
    CHECK(evbmfFreeEnergy(v, svd.s, 30, 90) >= best - 1e-9 * std::abs(best));
  }
  // The free energy is continuous where a component crosses the threshold (the EVB threshold is where
  // the kept and dropped solutions have equal free energy): no jumps between close values.
  // Each step's change stays within twice its neighbour's (a jump of the old, wrong energy was 2-10).
  const double dv = (r.sigma2_upper - r.sigma2_lower) / 20000.0;
  double last = evbmfFreeEnergy(r.sigma2_lower + dv, svd.s, 30, 90) - evbmfFreeEnergy(r.sigma2_lower, svd.s, 30, 90);
  for (int i = 1; i < 20000; ++i) {
    double v = r.sigma2_lower + dv * i;
    double step = evbmfFreeEnergy(v + dv, svd.s, 30, 90) - evbmfFreeEnergy(v, svd.s, 30, 90);
    CHECK(std::abs(step) <= 2 * std::abs(last) + 1e-3);
    last = step;
  }
}
