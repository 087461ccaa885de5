// The global magnitude rule at element granularity, at memory bandwidth: the k smallest |w| across the
// layers found by a two-pass radix selection on the magnitudes' bit patterns (no sort, no per-element
// index), then zeroed where the weights are stored. It picks exactly the weights that sorting by
// (|w|, layer, position) and taking the first k picks, so its results equal the general path's.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace dnnc {

struct GlobalSelection {
  uint32_t value_bits = 0;   // bit pattern of the k-th smallest |w| (the global threshold)
  int64_t ties_taken = 0;    // how many weights with exactly that magnitude are pruned, first ones first
  bool any = false;          // k > 0
};

// Selects the k smallest magnitudes over the layers' values taken in order.
GlobalSelection selectSmallestMagnitudes(const std::vector<std::span<float>>& layers, int64_t k);

}  // namespace dnnc
