// The weight layers pruning passes work on: every Conv, Gemm and MatMul whose weight is a float
// initializer (or Constant), in graph order, with the layout of its reduction dimension (what SIMD
// groups run along) and the names a user may call it by. Shared by prune-magnitude, prune-activations'
// neighbours and the sensitivity analysis; the OBD, energy-aware and structured passes can reuse it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/support/error.h"

namespace dnnc {

// A weight seen as [outer][reduction][inner] in C order: element (o, r, i) sits at
// (o * reduction + r) * inner + i. Conv [K, C/g, R, S]: outer K, reduction C/g*R*S (the im2col row),
// inner 1. Gemm with transB [N, K]: N, K, 1; without [K, N]: 1, K, N. MatMul B [..., K, N]: batch, K, N.
struct ReductionView {
  int64_t outer = 1, reduction = 1, inner = 1;
};

struct WeightLayer {
  NodeId node = -1;
  std::string name;    // the node's name (op:first-output when it has none): what reports show
  std::string op;      // Conv, Gemm or MatMul
  std::string weight;  // the weight's value name
  std::vector<int64_t> dims;
  int64_t numel = 0;
  ReductionView view;
  // Every name that selects this layer: node name, weight name, and the module path both suggest
  // ("/fc1/Gemm" and "fc1.weight" both give "fc1").
  std::vector<std::string> aliases;
};

struct SkippedLayer {
  std::string node;
  std::string reason;
};

struct WeightLayers {
  std::vector<WeightLayer> layers;
  std::vector<SkippedLayer> skipped;  // Conv/Gemm/MatMul nodes that cannot be pruned, with why
};

WeightLayers enumerateWeightLayers(const Graph& graph);

// Whether a name or glob selects the layer (any alias).
bool layerMatches(const WeightLayer& layer, const std::string& pattern);
bool layerMatchesAny(const WeightLayer& layer, const std::vector<std::string>& patterns);
// Indexes of the layers `pattern` selects; an exact name (no glob characters) that selects none is a
// usage error naming the closest layer. `what` says where the name came from ("--skip", "layer-sparsity").
Expected<std::vector<size_t>> selectLayers(const std::vector<WeightLayer>& layers, const std::string& pattern,
                                           const std::string& what);
// Checks that every exact name in `patterns` names a layer.
Status checkLayerNames(const std::vector<WeightLayer>& layers, const std::vector<std::string>& patterns,
                       const std::string& what);

}  // namespace dnnc
