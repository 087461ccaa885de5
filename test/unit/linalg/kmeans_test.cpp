// 1-D k-means against independent references: a naive O(n*k) Lloyd loop and brute force over every
// clustering of small sets.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "lib/linalg/kmeans.h"

using namespace dnnc;

namespace {

std::vector<float> randomData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

double sse(const std::vector<float>& x, const KMeans1D& r, const std::vector<float>& h = {}) {
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double e = double(x[i]) - r.centroids[r.assignment[i]];
    s += (h.empty() ? 1.0 : h[i]) * e * e;
  }
  return s;
}

// Minimum weighted SSE over every split of the sorted values into exactly k contiguous groups.
double bruteForce(std::vector<float> x, std::vector<float> h, int k) {
  std::vector<size_t> idx(x.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  auto cost = [&](size_t i, size_t j) {
    double w = 0, m = 0;
    for (size_t r = i; r < j; ++r) w += h[idx[r]], m += h[idx[r]] * x[idx[r]];
    m /= w;
    double c = 0;
    for (size_t r = i; r < j; ++r) c += h[idx[r]] * (x[idx[r]] - m) * (x[idx[r]] - m);
    return c;
  };
  double best = 1e300;
  std::function<void(size_t, int, double)> rec = [&](size_t start, int left, double acc) {
    if (left == 1) { best = std::min(best, acc + cost(start, x.size())); return; }
    for (size_t end = start + 1; end + size_t(left) - 1 <= x.size(); ++end) rec(end, left - 1, acc + cost(start, end));
  };
  rec(0, k, 0.0);
  return best;
}

}  // namespace

TEST_CASE("Lloyd from linear init matches a naive Lloyd loop") {
  auto x = randomData(2000, 1);
  const int k = 8;
  auto r = lloydLinear1D(x, k, 300);
  // Naive reference: same init, nearest-centroid assignment by scanning, means, until stable.
  float lo = *std::min_element(x.begin(), x.end()), hi = *std::max_element(x.begin(), x.end());
  std::vector<double> c(k);
  for (int m = 0; m < k; ++m) c[size_t(m)] = lo + double(hi - lo) * m / (k - 1);
  std::vector<int> a(x.size(), -1);
  for (int it = 0; it < 300; ++it) {
    bool changed = false;
    for (size_t i = 0; i < x.size(); ++i) {
      int best = 0;
      for (int m = 1; m < k; ++m)
        if (std::abs(x[i] - c[size_t(m)]) < std::abs(x[i] - c[size_t(best)])) best = m;
      changed |= best != a[i];
      a[i] = best;
    }
    if (!changed) break;
    std::vector<double> s(k, 0), n(k, 0);
    for (size_t i = 0; i < x.size(); ++i) s[size_t(a[i])] += x[i], n[size_t(a[i])] += 1;
    for (int m = 0; m < k; ++m)
      if (n[size_t(m)] > 0) c[size_t(m)] = s[size_t(m)] / n[size_t(m)];
  }
  std::vector<double> used;
  for (int m = 0; m < k; ++m)
    if (std::count(a.begin(), a.end(), m) > 0) used.push_back(c[size_t(m)]);
  REQUIRE(r.centroids.size() == used.size());
  for (size_t m = 0; m < used.size(); ++m) CHECK(r.centroids[m] == Approx(used[m]).margin(1e-5));
  for (size_t i = 0; i < x.size(); ++i) CHECK(std::abs(r.centroids[r.assignment[i]] - used[size_t(a[i])]) < 1e-5);
  CHECK(r.weighted_sse == Approx(sse(x, r)).epsilon(1e-6));
}

TEST_CASE("optimal 1-D k-means reaches the brute-force minimum") {
  for (uint32_t seed = 0; seed < 20; ++seed) {
    auto x = randomData(12, seed);
    std::vector<float> ones(x.size(), 1.0f);
    for (int k : {1, 2, 3, 4}) {
      auto r = optimalKMeans1D(x, k);
      REQUIRE(r.ok());
      INFO("seed " << seed << " k " << k);
      CHECK(sse(x, *r) == Approx(bruteForce(x, ones, k)).epsilon(1e-9).margin(1e-12));
      CHECK(r->weighted_sse == Approx(sse(x, *r)).epsilon(1e-6).margin(1e-12));
    }
  }
}

TEST_CASE("weighted optimal k-means reaches the weighted brute-force minimum") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.01f, 5.0f);
  for (uint32_t seed = 0; seed < 10; ++seed) {
    auto x = randomData(10, 100 + seed);
    std::vector<float> h(x.size());
    for (auto& v : h) v = u(rng);
    auto r = optimalKMeans1D(x, 3, h);
    REQUIRE(r.ok());
    CHECK(sse(x, *r, h) == Approx(bruteForce(x, h, 3)).epsilon(1e-9));
  }
}

TEST_CASE("optimal k-means never loses to Lloyd, and Hessian weights pull centroids") {
  auto x = randomData(3000, 42);
  for (int k : {4, 16, 31}) {
    auto lloyd = lloydLinear1D(x, k);
    auto opt = optimalKMeans1D(x, k);
    REQUIRE(opt.ok());
    CHECK(opt->weighted_sse <= lloyd.weighted_sse * (1 + 1e-9));
  }
  // One cluster: the weighted mean, not the plain one.
  std::vector<float> v = {0.0f, 1.0f}, h = {3.0f, 1.0f};
  auto one = lloydLinear1D(v, 1, 10, h);
  REQUIRE(one.centroids.size() == 1);
  CHECK(one.centroids[0] == Approx(0.25));
  auto too_big = optimalKMeans1D(x, 16, {}, 1000);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code() == Exit::Target);
}

namespace {

// The nonzero values of w.
std::vector<float> nonzeros(const std::vector<float>& w) {
  std::vector<float> v;
  for (float x : w)
    if (x != 0.0f) v.push_back(x);
  return v;
}

// lloydLinear1DNonzero against Lloyd on the sorted nonzero values (lloydLinear1D, itself checked against a
// naive loop above): the same clusters, each weight found in the same cluster through the value ranges,
// and every upper the largest value of its cluster.
void checkNonzeroLloydAgrees(const std::vector<float>& w, int k) {
  const std::vector<float> v = nonzeros(w);
  const KMeans1D want = lloydLinear1D(v, k, 300);
  const KMeans1DRanges got = lloydLinear1DNonzero(w, k, 300);
  REQUIRE(got.centroids.size() == want.centroids.size());
  REQUIRE(got.upper.size() == got.centroids.size());
  CHECK(got.iterations == want.iterations);
  for (size_t m = 0; m < want.centroids.size(); ++m) CHECK(got.centroids[m] == Approx(want.centroids[m]).epsilon(1e-6));
  std::vector<float> largest(want.centroids.size(), -std::numeric_limits<float>::infinity());
  size_t misplaced = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    misplaced += got.clusterOf(v[i]) != want.assignment[i];
    largest[want.assignment[i]] = std::max(largest[want.assignment[i]], v[i]);
  }
  CHECK(misplaced == 0);
  for (size_t m = 0; m < largest.size(); ++m) CHECK(got.upper[m] == largest[m]);
  CHECK(got.weighted_sse == Approx(want.weighted_sse).epsilon(1e-6).margin(1e-9));
  // The whole layer at once: zeros get index 0, the others their cluster plus the offset.
  std::vector<uint16_t> idx(w.size());
  got.assignNonzero(w, idx, 1);
  size_t wrong = 0;
  for (size_t i = 0; i < w.size(); ++i) wrong += idx[i] != (w[i] == 0.0f ? 0 : got.clusterOf(w[i]) + 1);
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("Lloyd on a layer's nonzero values, bucketed instead of sorted, agrees with Lloyd on the sorted values",
          "[kmeans]") {
  std::mt19937 rng(3);
  SECTION("pruned Gaussian layers, small and large enough that cuts fall inside big buckets") {
    for (size_t n : {size_t(50), size_t(5000), size_t(400000)}) {
      std::vector<float> w = randomData(n, uint32_t(n));
      for (auto& x : w) x *= 0.02f;
      for (size_t i = 0; i < w.size(); i += 3) w[i] = 0.0f;
      for (int k : {1, 2, 15, 31}) {
        INFO("n " << n << " k " << k);
        checkNonzeroLloydAgrees(w, k);
      }
    }
  }
  SECTION("one sign only, many duplicates, and one repeated value") {
    std::vector<float> positive = randomData(20000, 5);
    for (auto& x : positive) x = std::abs(x);
    checkNonzeroLloydAgrees(positive, 7);
    std::vector<float> negative = positive;
    for (auto& x : negative) x = -x;
    checkNonzeroLloydAgrees(negative, 7);
    std::vector<float> coarse(30000);
    for (auto& x : coarse) x = float(int(rng() % 41) - 20) * 0.0625f;
    checkNonzeroLloydAgrees(coarse, 8);
    std::vector<float> same(1000, 0.5f);
    same[3] = 0.0f;
    checkNonzeroLloydAgrees(same, 4);
  }
  SECTION("values spread over many exponents, and a layer of zeros") {
    std::vector<float> wide(20000);
    std::uniform_real_distribution<float> e(-30.0f, 30.0f);
    for (auto& x : wide) x = (rng() & 1 ? 1.0f : -1.0f) * std::exp2(e(rng));
    checkNonzeroLloydAgrees(wide, 16);
    const std::vector<float> zeros(100, 0.0f);
    const KMeans1DRanges none = lloydLinear1DNonzero(zeros, 4);
    CHECK(none.centroids.empty());
    CHECK(none.upper.empty());
  }
}
