// The weight layers compression passes work on: every Conv, ConvTranspose, Gemm and MatMul whose weight is a float
// initializer (or Constant), and the W and R matrices of every LSTM, GRU and RNN (as two layers, NODE/W
// and NODE/R), in graph order, with the layout of its reduction dimension (what SIMD groups run along)
// and the names a user may call it by (lib/analysis/layer_names.h). What is not a weight layer though it
// looks like one (computed weights, non-float weights, weights another layer owns) is listed in `skipped`
// with the reason. One enumeration for prune-magnitude, prune-obd, share, quantize and sensitivity.
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

enum class LayerKind { Conv, Fc, Recurrent };

struct WeightLayer {
  NodeId node = -1;
  std::string name;    // the node's label (lib/ir/node.h), with /W or /R for a recurrent node's matrices
  std::string op;      // Conv, ConvTranspose, Gemm, MatMul, LSTM, GRU or RNN
  LayerKind kind = LayerKind::Fc;  // Conv for Conv and ConvTranspose
  std::string weight;  // the weight's value name
  int weight_input = 1;  // which input of the node reads it
  std::vector<int64_t> dims;
  int64_t numel = 0;
  ReductionView view;
  int output_axis = 0;  // the weight axis that indexes output channels (per-channel quantisation)
  // Every name that selects this layer (layerAliases): node label, short name, weight name, module path.
  std::vector<std::string> aliases;
  // Output rows: element (o, r, i)'s row is o * inner + i. Conv and Gemm with transB=1 have one row per
  // output channel (a filter), as rows_are_filters says.
  bool rowsAreFilters() const { return view.inner == 1; }
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
