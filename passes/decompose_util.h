// Shared by the decompose-* passes (svd, tucker, cp): how ranks are chosen, which Conv nodes can be
// decomposed, and building the replacement Conv nodes. Not a pass itself.
#pragma once
#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

#include "lib/analysis/layer_names.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/ir/shapes.h"
#include "lib/linalg/unfold.h"
#include "lib/pass/param_fields.h"
#include "passes/pass_results.h"
#include "lib/pass/pass.h"

namespace dnnc::decompose {

// A prefix for the names of what replaces a node: its name, or its first output when it has none.
std::string nameBase(const onnx::NodeProto& n);

// How the ranks are chosen: by EVBMF (the default), a fixed rank, a params ratio or (SVD) an energy share.
struct RankChoice {
  enum Kind { Evbmf, Fixed, Ratio, Energy } kind = Evbmf;
  int64_t rank = 0;
  double ratio = 0, energy = 0;
  std::string source() const;  // "evbmf", "rank", "ratio", "energy"
};
// The parameters every decompose pass shares: which layers, and how the ranks are chosen.
struct CommonParams {
  std::optional<std::string> layers;
  std::optional<int64_t> rank;
  std::optional<double> ratio, energy;
};
// Their declarations (energy only when `with_energy`); `default_doc` says how ranks are chosen by default.
ParamFields<CommonParams> commonParams(bool with_energy, const std::string& default_doc);
// Reads `rank`, `ratio` and (when allowed) `energy`; at most one may be given. Bad values are usage errors.
Expected<RankChoice> parseRankChoice(const CommonParams& params, const std::string& pass, bool allow_energy,
                                     bool allow_evbmf);

// A Conv that can be decomposed, with what the rewrite needs.
struct ConvLayer {
  NodeId id = -1;
  std::string label, base, input, output, bias;  // bias "" when absent; base: see nameBase()
  Tensor weight;                           // float32 [K, C, h, w]
  int64_t K = 0, C = 0, h = 0, w = 0;
  std::vector<int64_t> strides{1, 1}, pads{0, 0, 0, 0}, dilations{1, 1};
  std::string auto_pad;  // "" or NOTSET when pads are explicit
  // Spatial sizes from shape inference, -1 when unknown (then MACs are not reported).
  int64_t in_h = -1, in_w = -1, out_h = -1, out_w = -1;
  bool macsKnown() const { return in_h > 0 && in_w > 0 && out_h > 0 && out_w > 0; }
};
// The Conv at id as a ConvLayer, or nullopt with `why` when it stays as it is (grouped or depthwise, a
// 1x1 kernel, not 2-D, weights not float32 initializers, ...).
Expected<std::optional<ConvLayer>> matchConv(const Graph& graph, NodeId id, const ShapeMap& shapes, std::string& why);

// A 2-D Conv node; pads/strides/dilations omitted when default, auto_pad copied when set.
onnx::NodeProto makeConv(const std::string& name, const std::vector<std::string>& inputs, const std::string& output,
                         std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads,
                         std::vector<int64_t> dilations, int64_t group, const std::string& auto_pad);

linalg::DenseTensor toDense(const Tensor& t);
// A float32 tensor of the given dims from a matrix, read row by row.
Tensor fromMatrix(const linalg::Matrix& m, std::vector<int64_t> dims);
Tensor fromDense(const linalg::DenseTensor& t);

// Replaces node `id` by `replacement` (in order; the last must produce the node's output), then
// logs the rewrite. The caller compacts the graph once at the end.
void replaceNode(Graph& graph, NodeId id, std::vector<onnx::NodeProto> replacement);

// The Exit::Target error of a decomposition that finds no layer it can decompose, with the log's first
// skip reasons: a request with nothing to act on is not met.
Error nothingToDecompose(const std::string& pass, const std::string& kind, const PassLog& log);

// The candidate layers of a decompose pass: each default-domain node whose op `is_candidate` accepts and
// that the selector picks is matched by `match(id, why)` (an optional layer, or why it stays); the rest
// are logged as skipped. Errors: a pattern that names no candidate (usage), no layer left (target).
template <class Layer, class IsCandidate, class Match>
Expected<std::vector<Layer>> collectLayers(const Graph& graph, LayerSelector& filter, const std::string& pass,
                                           const std::string& kind, PassLog& log, IsCandidate is_candidate, Match match) {
  std::vector<Layer> layers;
  std::vector<std::string> known;  // every name a candidate layer answers to, for hints
  for (NodeId id : graph.nodes()) {
    const auto& n = graph.node(id);
    if (!is_candidate(n.op_type()) || !isDefaultDomain(n)) continue;
    const auto aliases = layerAliases(n, n.input_size() > 1 ? n.input(1) : "");
    known.insert(known.end(), aliases.begin(), aliases.end());
    if (!filter.matches(aliases)) continue;
    std::string why;
    DNNC_ASSIGN(std::optional<Layer> layer, match(id, why));
    if (layer) layers.push_back(std::move(*layer));
    else log.skip(nodeLabel(n), why);
  }
  DNNC_TRY(filter.checkAllMatched(known, kind));
  if (layers.empty()) return nothingToDecompose(pass, kind, log);
  return layers;
}

// Decomposes every layer in order with progress (`decompose(layer)` returns its DecomposedLayerResult) and
// writes the pass summary of the totals.
template <class Layer, class Decompose>
void decomposeEach(std::vector<Layer>& layers, PassContext& ctx, Decompose decompose) {
  int64_t params_before = 0, params_after = 0, macs_before = 0, macs_after = 0;
  bool macs_known = true;
  const auto total = static_cast<int64_t>(layers.size());
  for (int64_t i = 0; i < total; ++i) {
    ctx.progress(i, total, layers[static_cast<size_t>(i)].label);
    const DecomposedLayerResult d = decompose(layers[static_cast<size_t>(i)]);
    params_before += d.params_before;
    params_after += d.params_after;
    if (!d.macs_before || !d.macs_after) macs_known = false;
    else macs_before += *d.macs_before, macs_after += *d.macs_after;
  }
  ctx.progress(total, total, "");
  ctx.log->summary = {{"decomposed", layers.size()}, {"params_before", params_before}, {"params_after", params_after}};
  if (macs_known) ctx.log->summary["macs_before"] = macs_before, ctx.log->summary["macs_after"] = macs_after;
}


// The weights (input 1) of the layers about to be replaced, as finish() drops them.
template <class Layer>
std::vector<std::string> replacedWeights(const Graph& graph, const std::vector<Layer>& layers) {
  std::vector<std::string> names;
  for (const auto& l : layers)
    if (graph.node(l.id).input_size() > 1) names.push_back(graph.node(l.id).input(1));
  return names;
}
// Compacts the graph and removes the replaced weights no node reads any more (one shared with another
// layer stays): without it the original kernels stayed in the file beside their factors, and a packed
// ResNet block carried its dense 3x3 kernel as well as the Tucker factors.
Status finish(Graph& graph, const std::vector<std::string>& replaced);

}  // namespace dnnc::decompose
