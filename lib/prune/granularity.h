// What one pruning decision removes. `element`: one weight (Han et al. 2015). `simd:N`: an aligned
// group of N consecutive weights along the reduction dimension (Scalpel, Yu et al. 2017), so a SIMD
// unit of width N skips whole vectors; a reduction length that is not a multiple of N ends in one
// shorter group. Groups are ranked by their RMS (the L2 norm over sqrt(size)): the same order as the
// L2 norm for full groups, fair to the short tail group, and on the scale of single weights, so
// Han's q x std threshold applies to groups unchanged. `filter` and `channel` are the structured
// pass's (prune-structured); they are parsed here so every command spells them the same way.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/analysis/weight_layers.h"
#include "lib/support/error.h"

namespace dnnc {

struct Granularity {
  enum Kind { Element, Simd, Filter, Channel } kind = Element;
  int64_t simd_width = 1;  // N for simd:N
  std::string text() const;
  bool structured() const { return kind == Filter || kind == Channel; }
};

Expected<Granularity> parseGranularity(const std::string& text);

// Candidates of one layer for a fine-grained granularity: each covers `sizes[k]` weights and scores
// `scores[k]` (|w| for elements, RMS for groups).
struct LayerCandidates {
  std::vector<float> scores;
  std::vector<int32_t> sizes;  // empty for element granularity (all 1)
};

// Usage error when simd:N does not fit the layer (N larger than its reduction dimension).
Status checkGranularityFits(const Granularity& g, const WeightLayer& layer);
LayerCandidates candidates(const Granularity& g, const WeightLayer& layer, const std::vector<float>& weights);
// Zeroes candidate k of the layer in `weights`.
void zeroCandidate(const Granularity& g, const WeightLayer& layer, std::vector<float>& weights, size_t k);

}  // namespace dnnc
