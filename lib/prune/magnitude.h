// Unstructured magnitude pruning (Han, Pool, Tran, Dally, "Learning both Weights and Connections for
// Efficient Neural Networks", NeurIPS 2015), at element or SIMD-group granularity (Scalpel). The core
// of the prune-magnitude pass, kept in lib/ so the sensitivity analysis can call it per layer.
//
// Targets, per layer (a layer-sparsity entry wins over the global rule):
//  - sparsity s: one threshold across all the layers it covers (Han's global ranking): the
//    round(s x weights) smallest-scoring weights of those layers together are zeroed;
//  - q: Han's per-layer rule, threshold = q x std(layer weights); candidates scoring below it go;
//  - layer-sparsity: its own target for each named layer (node name, weight name or module path, or
//    a glob), ranked within the layer.
// Weights already zero score 0 and are taken first, so re-pruning to the same target is a no-op.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/ir/graph.h"
#include "lib/prune/granularity.h"
#include "lib/analysis/weight_layers.h"

namespace dnnc {

using LayerSparsity = std::vector<std::pair<std::string, double>>;  // name or glob -> target, in order

struct MagnitudeConfig {
  std::optional<double> sparsity;
  std::optional<double> q;
  LayerSparsity layer_sparsity;
  std::vector<std::string> skip;  // names or globs
  Granularity granularity;
};

struct LayerPruneResult {
  std::string layer, op, weight;
  std::string rule;  // "global", "layer" or "q"
  int64_t params = 0, zeros_before = 0, zeros_after = 0;
  double target = -1;     // the layer's own target (rule "layer"), else -1
  double threshold = 0;   // the largest score pruned (rule "q": q x std)
};

struct MagnitudeResult {
  std::vector<LayerPruneResult> layers;  // the layers pruned, in graph order
  std::vector<SkippedLayer> skipped;     // with the reason
  int64_t params = 0, zeros_before = 0, zeros_after = 0;  // over every Conv/Gemm/MatMul weight layer
  std::optional<double> global_threshold;
  bool changed = false;
};

// Checks a sparsity lies in [0, 1); `what` names it in the message.
Status checkSparsity(double sparsity, const std::string& what);

// "conv1=0.5,fc1=0.95" inline, or a YAML/JSON file: a map name -> sparsity, or a map whose `layers`
// key holds one (the schedule `dnnc sensitivity --budget` writes). Targets are checked to lie in [0, 1).
Expected<LayerSparsity> parseLayerSparsity(const std::string& text_or_file);

Expected<MagnitudeResult> pruneMagnitude(Graph& graph, const MagnitudeConfig& config);

}  // namespace dnnc
