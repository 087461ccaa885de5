// 1-D k-means on sorted values: Lloyd from a linear initialisation, and the exact dynamic programme.
#include "lib/linalg/kmeans.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "lib/linalg/value_buckets.h"
#include "lib/support/check.h"

namespace dnnc {

namespace {

// The values sorted, with prefix sums of h, h*x and h*x^2 over the sorted order. x is centred on its
// mean first so that the error S2 - S1^2/W does not lose its digits to cancellation. The sorted values
// are read through `order` from the caller's x (kept alive by the caller) rather than stored, and the
// prefix sum of h is only stored when there are weights (unweighted, it is the count r, exactly).
// The sums are kept every `block` values (1: every value): a query adds the at most block-1 values past
// the stored sum. Lloyd asks for a few means per iteration and takes block 64, which on a 100M-weight
// layer keeps 25 MB of sums instead of 1.6 GB; the dynamic programme asks for millions and takes 1.
struct SortedValues {
  std::span<const float> x;     // the caller's values
  std::span<const float> h;     // the caller's importances, or empty
  std::vector<uint32_t> order;  // order[r] = input index of the r-th smallest value
  double offset = 0;            // the mean that was subtracted
  size_t block = 1;
  std::vector<double> w;        // prefix sums of h at multiples of block; empty when unweighted
  std::vector<double> s1, s2;   // prefix sums of h*x and h*x^2 at multiples of block

  SortedValues(std::span<const float> values, std::span<const float> importance, size_t block_size)
      : x(values), h(importance), block(block_size), n_(values.size()) {
    const size_t n = x.size();
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return x[a] < x[b]; });
    double sum = 0;
    for (float v : x) sum += v;
    offset = n ? sum / double(n) : 0.0;
    const size_t stored = n / block + 1;
    if (!h.empty()) w.assign(stored, 0.0);
    s1.assign(stored, 0.0);
    s2.assign(stored, 0.0);
    double sw = 0, a1 = 0, a2 = 0;
    for (size_t r = 0; r < n; ++r) {
      const double v = value(r), hr = importanceAt(r);
      sw += hr;
      a1 += hr * v;
      a2 += hr * v * v;
      if ((r + 1) % block == 0) {
        if (!h.empty()) w[(r + 1) / block] = sw;
        s1[(r + 1) / block] = a1;
        s2[(r + 1) / block] = a2;
      }
    }
  }
  size_t size() const { return n_; }
  // The r-th smallest value, centred, and its importance.
  double value(size_t r) const { return double(x[index(r)]) - offset; }
  double importanceAt(size_t r) const { return h.empty() ? 1.0 : double(h[index(r)]); }
  size_t index(size_t r) const { return order[r]; }
  size_t n_ = 0;
  // The first r whose value exceeds v (std::upper_bound over the sorted values).
  size_t upperBound(double v) const {
    size_t lo = 0, hi = size();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (value(mid) <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  // Prefix sums over the first r values: of h, h*x and h*x^2.
  struct Sums {
    double w = 0, s1 = 0, s2 = 0;
  };
  Sums prefix(size_t r) const {
    const size_t q = r / block;
    Sums p{w.empty() ? double(q * block) : w[q], s1[q], s2[q]};
    for (size_t i = q * block; i < r; ++i) {
      const double v = value(i), hr = importanceAt(i);
      if (!w.empty()) p.w += hr;
      p.s1 += hr * v;
      p.s2 += hr * v * v;
    }
    if (w.empty()) p.w = double(r);
    return p;
  }
  // Weighted mean of the sorted range [i, j) (centred); the plain mean when its weights are all zero.
  double mean(size_t i, size_t j) const {
    const Sums a = prefix(i), b = prefix(j);
    double ww = b.w - a.w;
    if (ww > 0) return (b.s1 - a.s1) / ww;
    double s = 0;
    for (size_t r = i; r < j; ++r) s += value(r);
    return s / double(j - i);
  }
  // Weighted squared error of the range [i, j) around its mean.
  double cost(size_t i, size_t j) const {
    const Sums lo = prefix(i), hi = prefix(j);
    double ww = hi.w - lo.w;
    if (ww <= 0 || j <= i + 1) return 0.0;
    double a = hi.s1 - lo.s1;
    return std::max(0.0, (hi.s2 - lo.s2) - a * a / ww);
  }
};

// Builds the result from cluster boundaries over the sorted values: cluster m = [bounds[m], bounds[m+1]).
KMeans1D fromBoundaries(const SortedValues& sv, const std::vector<size_t>& bounds, int iterations) {
  KMeans1D r;
  r.iterations = iterations;
  r.assignment.resize(sv.size());
  for (size_t m = 0; m + 1 < bounds.size(); ++m) {
    size_t i = bounds[m], j = bounds[m + 1];
    if (j <= i) continue;  // empty cluster: no centroid
    uint32_t id = uint32_t(r.centroids.size());
    r.centroids.push_back(float(sv.mean(i, j) + sv.offset));
    r.weighted_sse += sv.cost(i, j);
    for (size_t q = i; q < j; ++q) r.assignment[sv.index(q)] = id;
  }
  return r;
}

// Lloyd's iterations from linearly spaced centroids: the final cluster boundaries over the sorted values
// (cluster m = [bounds[m], bounds[m+1])) and the iterations run.
std::pair<std::vector<size_t>, int> lloydBounds(const SortedValues& sv, int k, int max_iterations) {
  const size_t n = sv.size();
  // Linear initialisation over [min, max] (Han et al., Sec. 3.2).
  std::vector<double> c(static_cast<size_t>(k));
  double lo = sv.value(0), hi = sv.value(n - 1);
  for (int m = 0; m < k; ++m) c[size_t(m)] = k == 1 ? (lo + hi) / 2 : lo + (hi - lo) * m / (k - 1);
  std::vector<size_t> bounds(size_t(k) + 1, 0), next(size_t(k) + 1, 0);
  bounds[size_t(k)] = n;
  next[size_t(k)] = n;
  int it = 0;
  for (; it < max_iterations; ++it) {
    // Assignment step: in 1-D the nearest centroid changes at the midpoints between centroids.
    for (int m = 1; m < k; ++m) {
      double mid = (c[size_t(m) - 1] + c[size_t(m)]) / 2;
      next[size_t(m)] = sv.upperBound(mid);
    }
    if (it > 0 && next == bounds) break;
    bounds = next;
    // Update step: each non-empty cluster moves to its (weighted) mean; empty ones stay put.
    for (int m = 0; m < k; ++m)
      if (bounds[size_t(m) + 1] > bounds[size_t(m)]) c[size_t(m)] = sv.mean(bounds[size_t(m)], bounds[size_t(m) + 1]);
    std::sort(c.begin(), c.end());
  }
  return {bounds, it};
}

}  // namespace

KMeans1D lloydLinear1D(std::span<const float> x, int k, int max_iterations, std::span<const float> importance) {
  DNNC_CHECK(k >= 1);
  DNNC_CHECK(importance.empty() || importance.size() == x.size());
  SortedValues sv(x, importance, 64);
  if (sv.size() == 0) return {};
  auto [bounds, it] = lloydBounds(sv, k, max_iterations);
  return fromBoundaries(sv, bounds, it);
}

void KMeans1DRanges::assignNonzero(std::span<const float> x, std::span<uint16_t> out, uint16_t offset) const {
  DNNC_CHECK(out.size() == x.size());
  if (upper.size() > 64) {  // counting every upper would cost more than the binary search
    for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] == 0.0f ? 0 : uint16_t(clusterOf(x[i]) + offset);
    return;
  }
  // GCC vector types: 16 lanes, compiled to whatever vector width the build targets.
  constexpr size_t kLanes = 16;
  using Floats = float __attribute__((vector_size(4 * kLanes)));
  using Ints = int32_t __attribute__((vector_size(4 * kLanes)));
  const size_t full = x.size() / kLanes * kLanes;
  for (size_t i0 = 0; i0 < full; i0 += kLanes) {
    Floats xs;
    std::memcpy(&xs, &x[i0], sizeof xs);
    Ints below = {};  // per lane, minus the number of uppers below the value (a true compare is -1)
    for (float u : upper) below += (Floats{} + u) < xs;
    const Ints zero = xs == Floats{};
    const Ints index = (Ints{} + int32_t(offset) - below) & ~zero;
    for (size_t l = 0; l < kLanes; ++l) out[i0 + l] = uint16_t(index[l]);
  }
  for (size_t i = full; i < x.size(); ++i) out[i] = x[i] == 0.0f ? 0 : uint16_t(clusterOf(x[i]) + offset);
}

KMeans1DRanges lloydLinear1DNonzero(std::span<const float> w, int k, int max_iterations) {
  DNNC_CHECK(k >= 1);
  NonzeroValueBuckets values(w);
  KMeans1DRanges r;
  const size_t n = values.size();
  if (n == 0) return r;
  // As lloydBounds, with each boundary a cut: its rank and the sums below it.
  std::vector<double> c(static_cast<size_t>(k));
  const double lo = double(values.min()) - values.offset(), hi = double(values.max()) - values.offset();
  for (int m = 0; m < k; ++m) c[size_t(m)] = k == 1 ? (lo + hi) / 2 : lo + (hi - lo) * m / (k - 1);
  using Cut = NonzeroValueBuckets::Cut;
  std::vector<Cut> cuts(size_t(k) + 1), next(size_t(k) + 1);
  cuts[size_t(k)] = next[size_t(k)] = values.all();
  auto sameRanks = [&] {
    for (size_t m = 0; m <= size_t(k); ++m)
      if (cuts[m].r != next[m].r) return false;
    return true;
  };
  int it = 0;
  for (; it < max_iterations; ++it) {
    for (int m = 1; m < k; ++m) next[size_t(m)] = values.cutAt((c[size_t(m) - 1] + c[size_t(m)]) / 2);
    if (it > 0 && sameRanks()) break;
    cuts = next;
    for (size_t m = 0; m < size_t(k); ++m)
      if (cuts[m + 1].r > cuts[m].r) c[m] = (cuts[m + 1].s1 - cuts[m].s1) / double(cuts[m + 1].r - cuts[m].r);
    std::sort(c.begin(), c.end());
  }
  r.iterations = it;
  for (size_t m = 0; m < size_t(k); ++m) {
    const Cut& a = cuts[m];
    const Cut& b = cuts[m + 1];
    if (b.r <= a.r) continue;
    const double count = double(b.r - a.r), s1 = b.s1 - a.s1;
    r.centroids.push_back(float(s1 / count + values.offset()));
    r.upper.push_back(b.last);
    if (b.r > a.r + 1) r.weighted_sse += std::max(0.0, (b.s2 - a.s2) - s1 * s1 / count);
  }
  return r;
}

namespace {

// One layer of the DP: cur[j] = min_{i < j} prev[i] + cost(i, j) for j in [jlo, jhi], knowing the
// optimal i lies in [ilo, ihi] (monotone splits), by divide and conquer.
void dpLayer(const SortedValues& sv, const std::vector<double>& prev, std::vector<double>& cur, uint32_t* back,
             size_t jlo, size_t jhi, size_t ilo, size_t ihi) {
  while (jlo <= jhi) {
    size_t j = jlo + (jhi - jlo) / 2;
    double best = std::numeric_limits<double>::infinity();
    size_t best_i = ilo;
    for (size_t i = ilo, end = std::min(ihi, j - 1); i <= end; ++i) {
      double v = prev[i] + sv.cost(i, j);
      if (v < best) best = v, best_i = i;
    }
    cur[j] = best;
    back[j] = uint32_t(best_i);
    // Left half recursively, right half by iteration (bounded recursion depth: log2 n).
    if (j > jlo) dpLayer(sv, prev, cur, back, jlo, j - 1, ilo, best_i);
    jlo = j + 1;
    ilo = best_i;
  }
}

}  // namespace

Expected<KMeans1D> optimalKMeans1D(std::span<const float> x, int k, std::span<const float> importance,
                                   uint64_t max_backpointers) {
  DNNC_CHECK(k >= 1);
  DNNC_CHECK(importance.empty() || importance.size() == x.size());
  const size_t n = x.size();
  if (n == 0) return KMeans1D{};
  const size_t kk = std::min<size_t>(size_t(k), n);
  if (uint64_t(kk) * (n + 1) > max_backpointers)
    return Error(Exit::Target, "optimal 1-D k-means: k*n = ", kk, "*", n, " exceeds the limit of ",
                 max_backpointers, " back-pointers (use method=linear-lloyd)");
  SortedValues sv(x, importance, 1);
  // prev[j]: best error of the first j values in m clusters; back[m][j]: start of the last cluster.
  std::vector<double> prev(n + 1), cur(n + 1, std::numeric_limits<double>::infinity());
  std::vector<uint32_t> back(kk * (n + 1), 0);
  for (size_t j = 0; j <= n; ++j) prev[j] = sv.cost(0, j);
  for (size_t m = 1; m < kk; ++m) {
    std::fill(cur.begin(), cur.end(), std::numeric_limits<double>::infinity());
    // m+1 clusters need at least m+1 values; the last cluster starts at i >= m.
    dpLayer(sv, prev, cur, back.data() + m * (n + 1), m + 1, n, m, n - 1);
    std::swap(prev, cur);
  }
  std::vector<size_t> bounds(kk + 1);
  bounds[kk] = n;
  size_t j = n;
  for (size_t m = kk - 1; m >= 1; --m) {
    j = back[m * (n + 1) + j];
    bounds[m] = j;
  }
  bounds[0] = 0;
  return fromBoundaries(sv, bounds, 0);
}

}  // namespace dnnc
