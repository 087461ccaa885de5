// Choosing what to prune: the smallest scores first, until a target fraction of the elements is gone.
// Scores are magnitudes |w| for single weights or group norms for SIMD groups; every candidate covers
// `size` weights. Ties are broken by position, so the choice is deterministic, and weights that are
// already zero (score 0) are taken first: pruning a pruned model to the same sparsity changes nothing.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace dnnc {

// Candidate indexes sorted by (score, index).
std::vector<uint32_t> ascendingOrder(std::span<const float> scores);

// How many candidates, taken in `order`, to prune so that the pruned element count comes closest to
// target_elements without passing it by more than half a candidate. sizes empty: every size is 1.
// With `scores`, candidates scoring 0 (already zero) are always taken: zeroing them again changes
// nothing, and counting them first makes re-pruning stop where the first pruning stopped.
size_t prefixToPrune(std::span<const uint32_t> order, std::span<const int32_t> sizes, int64_t target_elements,
                     std::span<const float> scores = {});

// The elements a sparsity asks for: round(sparsity * total).
int64_t targetElements(double sparsity, int64_t total);

// Population standard deviation (Han et al.'s per-layer threshold is q times this).
double standardDeviation(std::span<const float> values);

// The value below which a `fraction` of `values` lies: the k-th smallest, k = round(fraction * n) - 1,
// or -inf for k < 0. Reorders values.
float quantile(std::vector<float>& values, double fraction);

}  // namespace dnnc
