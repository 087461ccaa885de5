#include "lib/prune/threshold.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace dnnc {

std::vector<uint32_t> ascendingOrder(std::span<const float> scores) {
  std::vector<uint32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return scores[a] < scores[b] || (scores[a] == scores[b] && a < b);
  });
  return order;
}

size_t prefixToPrune(std::span<const uint32_t> order, std::span<const int32_t> sizes, int64_t target_elements,
                     std::span<const float> scores) {
  int64_t pruned = 0;
  size_t k = 0;
  for (; k < order.size(); ++k) {
    int64_t size = sizes.empty() ? 1 : sizes[order[k]];
    if (!scores.empty() && scores[order[k]] == 0.0f) {
      pruned += size;
      continue;
    }
    // Take the candidate when that ends closer to the target than stopping here.
    if (pruned + size > target_elements && 2 * (target_elements - pruned) <= size) break;
    pruned += size;
  }
  return k;
}

int64_t targetElements(double sparsity, int64_t total) {
  return static_cast<int64_t>(std::llround(sparsity * static_cast<double>(total)));
}

double standardDeviation(std::span<const float> values) {
  if (values.empty()) return 0.0;
  double mean = 0;
  for (float v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double ss = 0;
  for (float v : values) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(values.size()));
}

float quantile(std::vector<float>& values, double fraction) {
  int64_t k = targetElements(fraction, static_cast<int64_t>(values.size())) - 1;
  if (k < 0 || values.empty()) return -std::numeric_limits<float>::infinity();
  k = std::min<int64_t>(k, static_cast<int64_t>(values.size()) - 1);
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[static_cast<size_t>(k)];
}

}  // namespace dnnc
