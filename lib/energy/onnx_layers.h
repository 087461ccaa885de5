// The glue between an ONNX model and the energy model: one LayerShape per Conv (grouped and depthwise
// included; 1-D as a 1 x L map) and per Gemm / MatMul with a constant weight (a 1x1 convolution on a 1x1
// ifmap, E = F = 1), in graph order; a weight computed from constants alone (a shared model's
// Gather(codebook, indices), a quantized model's DequantizeLinear) is evaluated and counts as a constant, with the weight zero fraction read from the weights, `first_layer` for
// layers whose input is the network input, and the sparsity of activations given by the user or measured.
//
// MatMul of two activations (attention) is a grouped 1x1 convolution over the first operand's rows;
// Gemm/MatMul rows beyond the batch (tokens) are positions of one sample; LSTM/GRU/RNN nodes are two such
// layers (input products W and recurrence R over the time steps), named NODE/W and NODE/R.
// Nodes that look like layers but cannot be modelled (ConvTranspose, 3-D convolutions, quantised ops,
// shapes that depend on unknown input dims, layers inside If/Loop bodies) are listed in `skipped` with the
// reason: never dropped silently.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lib/analysis/shape_resolution.h"
#include "lib/energy/layer_shape.h"
#include "lib/energy/mapping.h"
#include "lib/energy/ucnn.h"
#include "lib/ir/model.h"
#include "lib/support/error.h"

namespace dnnc::energy {

// What the model says about one layer beyond its shape.
struct OnnxLayerInfo {
  std::string node;    // the node's name (its first output when unnamed)
  std::string op;      // Conv, Gemm, MatMul
  std::string input;   // the data input (ifmap) value
  std::string output;  // the output (ofmap) value
  int64_t weights = 0, nonzero_weights = 0;  // of the main weight
  // The weight is a stored constant or computed from stored constants alone (a shared model's
  // Gather(codebook, indices), DequantizeLinear, Transpose): its values are known. False when it depends
  // on data (attention's products): then weights count M*C*R*S, all nonzero.
  bool weights_constant = true;
  // The op that expands a weight stored narrower than its values (a shared model's Gather(codebook,
  // indices), a quantized model's DequantizeLinear), or empty. The model moves such weights as values at
  // the accelerator's word width: what the narrower storage saves is not counted, and reports say so.
  std::string weights_expanded_by;
  std::optional<UcnnCounts> ucnn;  // with OnnxLayerOptions::ucnn_reuse_group, where the weights are known
  std::vector<std::string> aliases;  // every name that selects the layer (lib/analysis/layer_names.h)
  // Layers that read this layer's output, directly or through ops that keep it a feature map
  // (Relu, pooling, LRN, Flatten, Reshape, Dropout, BatchNormalization, Concat, ...), in graph order.
  std::vector<int> next;
  bool relu_after = false;  // a Relu (or Clip with min >= 0) follows on the way to `next`
};

struct SkippedNode {
  std::string name;  // node name (or first output)
  std::string op;
  std::string reason;
};

struct OnnxLayers {
  int batch = 1;                    // N of the layers
  std::vector<LayerShape> layers;   // LayerShape::name is the layer's short name (shortLayerName)
  std::vector<OnnxLayerInfo> info;  // parallel to layers
  std::vector<SkippedNode> skipped;
  // The layer a user means by `name`: its short name, its node name, or another of its aliases; -1 when none.
  int find(const std::string& name) const;
};

struct OnnxLayerOptions {
  int batch = 0;  // N for every layer; 0: the model's static batch dim, 1 where it is symbolic
  InputShapes input_shapes;  // --input-shape: concrete dims for symbolic ones
  int ucnn_reuse_group = 0;  // > 0: count each layer's UCNN arithmetic with this activation group reuse
};

// Reads the layers of a model, its shapes resolved for the options' input shapes (or given). Fails
// (Exit::Input) only when a weight cannot be read, (Exit::Usage) on input shapes that do not fit the model.
Expected<OnnxLayers> extractLayers(const Model& model, const OnnxLayerOptions& options = {});
Expected<OnnxLayers> extractLayers(const Model& model, const ResolvedShapes& shapes, const OnnxLayerOptions& options);


// --- activation sparsity ---

// `--act-sparsity conv1=0.0001,conv2=38.7%,*=0.5`: ifmap zero fractions by layer; `*` sets every other
// layer that does not read the network input. Errors: Exit::Usage.
struct ActSparsityFlag {
  std::vector<std::pair<std::string, double>> layers;
  std::optional<double> rest;
};
Expected<ActSparsityFlag> parseActSparsityFlag(const std::string& text);

// One measured activation: the input of a node (as `dnnc stats --json` or the executor reports it).
struct MeasuredInput {
  std::string node;  // the consuming node's name
  int input = 0;     // which of its inputs
  FmapSparsity sparsity;
};
// Reads `dnnc stats --json` output: activations[].{node, input, count, zeros, zero_runs.counts}.
// Errors (Exit::Input) name the source and the entry.
Expected<std::vector<MeasuredInput>> parseActivationStatsJson(const std::string& text, const std::string& source);

// A ZeroRunHistogram from bucketed run counts: counts[k] runs of k+1 zeros, the last bucket holding the
// runs of counts.size() zeros or more. Those long runs share the remaining zeros evenly (exact total).
// Errors (Exit::Input) when the counts cannot add up to `zeros`.
Expected<ZeroRunHistogram> histogramFromRunCounts(int64_t elements, int64_t zeros, std::span<const int64_t> counts);

// Per-layer ifmap sparsity from measurements (matched by node name, input 0) and then the flag (which
// overrides them); std::nullopt where nothing is known. Names of the flag that match no layer are
// appended to `unmatched`; so are measured nodes that are not in the model at all (`model_nodes`).
std::vector<std::optional<FmapSparsity>> resolveActSparsity(const OnnxLayers& layers,
                                                            const std::vector<MeasuredInput>& measured,
                                                            const ActSparsityFlag& flag,
                                                            std::vector<std::string>* unmatched);

// Sets each layer's ifmap (dense where unknown) and derives its ofmap as written to DRAM: the ifmap of
// the first next layer whose ifmap is known (after a max-pool this is a lower bound on the zeros); else,
// when a ReLU follows and its own ifmap is known and not the network input, its own ifmap's (the choice
// the validation makes for AlexNet's CONV5); else dense.
void setActivationSparsity(OnnxLayers& layers, const std::vector<std::optional<FmapSparsity>>& ifmaps);

// The mapping table with every entry selecting a layer by its short name (index entries resolved to the
// layer at that 0-based position, names given as node names resolved to short names). Entries that match
// no layer are left out and described in `unmatched` ("conv9", "index 7").
MappingTable resolveMappingTable(const OnnxLayers& layers, const MappingTable& table,
                                 std::vector<std::string>* unmatched);

}  // namespace dnnc::energy
