// One-dimensional k-means for weight sharing (Han, Mao, Dally, "Deep Compression", ICLR 2016, Sec. 3;
// Choi, El-Khamy, Lee, "Towards the Limit of Network Quantization", ICLR 2017).
//
// Every method works on the values sorted once: in one dimension each cluster of an optimal (or a
// Lloyd-stable) clustering is a contiguous range of the sorted values, so a clustering is a list of
// k-1 boundaries and cluster means come from prefix sums. Optional per-value importances h_i turn the
// objective into sum h_i (x_i - c_a(i))^2 (Hessian-weighted k-means); without them h_i = 1.
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/support/error.h"

namespace dnnc {

struct KMeans1D {
  std::vector<float> centroids;     // ascending; only clusters that received values
  std::vector<uint32_t> assignment;  // per input value, an index into centroids
  double weighted_sse = 0;          // sum h_i (x_i - c)^2 (h_i = 1 without importances)
  int iterations = 0;               // Lloyd iterations run (0 for the exact method)
};

// Lloyd's algorithm from linearly spaced centroids over [min, max] (Han's best initialisation), run
// until no boundary moves or max_iterations. k >= 1; empty clusters are dropped from the result.
KMeans1D lloydLinear1D(std::span<const float> x, int k, int max_iterations = 300,
                       std::span<const float> importance = {});

// Lloyd's algorithm as lloydLinear1D (unweighted) on the nonzero values of a layer, for layers of 100M
// weights: no sort of the layer (NonzeroValueBuckets sorts only the buckets that boundaries fall in) and
// no per-value assignment. Cluster m holds the values up to and including upper[m]: a value x belongs to
// the first cluster whose upper is >= x (equal values always share a cluster: its boundaries are at
// midpoints between centroids).
struct KMeans1DRanges {
  std::vector<float> centroids;  // ascending; only clusters that received values
  std::vector<float> upper;      // per centroid, its largest value
  double weighted_sse = 0;
  int iterations = 0;
  // std::lower_bound without branches on the comparisons: called once per weight, where a mispredicted
  // branch per halving step cost more than the rest of the assignment.
  uint32_t clusterOf(float x) const {
    const float* base = upper.data();
    size_t n = upper.size();
    while (n > 1) {
      const size_t half = n / 2;
      base = base[half - 1] < x ? base + half : base;
      n -= half;
    }
    return uint32_t(base - upper.data()) + uint32_t(n == 1 && *base < x);
  }
  // out[i] = clusterOf(x[i]) + offset for the nonzero x[i], 0 for x[i] == 0: a whole layer at once, 16
  // values in the vector lanes at a time, each counting the uppers below it (no dependent loads).
  void assignNonzero(std::span<const float> x, std::span<uint16_t> out, uint16_t offset) const;
};
KMeans1DRanges lloydLinear1DNonzero(std::span<const float> w, int k, int max_iterations = 300);

// The exact minimum of the (weighted) squared error over all clusterings into at most k clusters:
// dynamic programming over the sorted values, D[m][j] = min_i D[m-1][i] + cost(i, j), with the
// divide-and-conquer optimisation (the optimal split is monotone in j), O(k n log n) time and k*n
// 32-bit back-pointers of memory. Exit::Target when k*n exceeds max_backpointers.
Expected<KMeans1D> optimalKMeans1D(std::span<const float> x, int k, std::span<const float> importance = {},
                                   uint64_t max_backpointers = uint64_t(1) << 27);

}  // namespace dnnc
