// Test data for the sparse codecs' tests: arrays shaped like pruned, shared weights.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace dnnc::test {

// i.i.d. pruned weights: a value in 1..clusters with probability density, else 0.
inline std::vector<uint32_t> sparseArray(size_t n, double density, uint32_t clusters, uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution keep(density);
  std::binomial_distribution<uint32_t> v(clusters - 1, 0.5);
  std::vector<uint32_t> out(n, 0);
  for (auto& x : out)
    if (keep(rng)) x = 1 + v(rng);
  return out;
}

}  // namespace dnnc::test
