#include "lib/analysis/weight_layers.h"

#include <algorithm>
#include <map>

#include "lib/analysis/layer_names.h"
#include "lib/exec/constant_folding.h"
#include "lib/ir/node.h"
#include "lib/ir/op_traits.h"
#include "lib/support/glob.h"
#include "lib/support/suggest.h"

namespace dnnc {

namespace {

int64_t product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= dims[i];
  return p;
}

// Which input holds the weight and how the reduction runs through it; "" when it fits, else why not.
// Also sets the axis of the weight that indexes output channels (per-channel quantisation).
std::string layoutOf(const Graph& g, const onnx::NodeProto& n, int& input, std::vector<int64_t>& dims, ReductionView& v,
                     int& output_axis) {
  auto dimsOf = [&](int k) {
    const auto* t = g.weightProto(n.input(k));
    return std::vector<int64_t>(t->dims().begin(), t->dims().end());
  };
  auto weightAt = [&](int k) { return n.input_size() > k && !n.input(k).empty() && g.isWeight(n.input(k)); };
  // Why a computed operand is not a weight, and the way out when the export computed it from constants.
  auto computed = [&](int k, const std::string& what) {
    if (n.input_size() > k && foldsToConstant(g, n.input(k)))
      return strCat("its ", what, " is computed from stored constants: the fold-constants pass makes it a weight");
    return strCat("its ", what, " is computed, not stored");
  };
  const LayerRule rule = layerRule(n.op_type());
  if (rule == LayerRule::Recurrent) {
    // W [directions, gates x hidden, input] or R [directions, gates x hidden, hidden]: each row of the
    // gates x hidden outputs reduces over the last dim.
    if (!weightAt(input)) return computed(input, input == 1 ? "W" : "R");
    dims = dimsOf(input);
    if (dims.size() != 3) return strCat("its ", input == 1 ? "W" : "R", " is not [directions, gates x hidden, features]");
    v = {dims[0] * dims[1], dims[2], 1};
    output_axis = 1;
    return "";
  }
  if (rule == LayerRule::Conv) {
    if (!weightAt(1)) return computed(1, "weight");
    input = 1;
    dims = dimsOf(1);
    if (dims.size() < 3) return "its weight is not [K, C, kernel...]";
    v = {dims[0], product(dims, 1, dims.size()), 1};
    output_axis = 0;
    return "";
  }
  if (rule == LayerRule::ConvTranspose) {
    // [C, K/group, kernel...]: every output reduces over the input channels C.
    if (!weightAt(1)) return computed(1, "weight");
    input = 1;
    dims = dimsOf(1);
    if (dims.size() < 3) return "its weight is not [C, K/group, kernel...]";
    v = {1, dims[0], product(dims, 1, dims.size())};
    output_axis = 1;
    return "";
  }
  if (rule == LayerRule::Gemm) {
    if (!weightAt(1)) return weightAt(0) ? "its weight is the first input (A), which dnnc does not prune" : computed(1, "weight");
    input = 1;
    dims = dimsOf(1);
    if (dims.size() != 2) return "its weight is not 2-D";
    const bool trans_b = attrInt(n, "transB", 0) != 0;
    v = trans_b ? ReductionView{dims[0], dims[1], 1} : ReductionView{1, dims[0], dims[1]};
    output_axis = trans_b ? 0 : 1;
    return "";
  }
  // MatMul: a stored B [..., K, N] reduces over K; a stored A [..., M, K] over its last dim.
  if (weightAt(1)) {
    input = 1;
    dims = dimsOf(1);
    if (dims.empty()) return "its weight is a scalar";
    if (dims.size() == 1) v = {1, dims[0], 1};
    else v = {product(dims, 0, dims.size() - 2), dims[dims.size() - 2], dims.back()};
    output_axis = static_cast<int>(dims.size()) - 1;
    return "";
  }
  if (weightAt(0)) {
    input = 0;
    dims = dimsOf(0);
    if (dims.empty()) return "its weight is a scalar";
    v = {product(dims, 0, dims.size() - 1), dims.back(), 1};
    output_axis = 0;
    return "";
  }
  if (n.input_size() > 1 && foldsToConstant(g, n.input(1))) return computed(1, "weight");
  if (n.input_size() > 0 && foldsToConstant(g, n.input(0))) return computed(0, "weight");
  return "both inputs are computed (no weight)";
}

}  // namespace

WeightLayers enumerateWeightLayers(const Graph& graph) {
  WeightLayers out;
  std::map<std::string, std::string> owner;  // weight -> the layer that prunes it
  for (NodeId id : graph.nodes()) {
    const auto& n = graph.node(id);
    const std::string& op = n.op_type();
    const LayerRule rule = layerRule(op);
    if (!isDefaultDomain(n) || rule == LayerRule::None) continue;
    // A recurrent node holds two weight matrices: the input products W and the recurrence R.
    const std::vector<int> inputs = rule == LayerRule::Recurrent ? std::vector<int>{1, 2} : std::vector<int>{-1};
    for (int wanted : inputs) {
      WeightLayer l;
      int input = wanted;
      const std::string part = wanted == 1 ? "/W" : wanted == 2 ? "/R" : "";
      std::string why = layoutOf(graph, n, input, l.dims, l.view, l.output_axis);
      if (why.empty() && graph.weightProto(n.input(input))->data_type() != onnx::TensorProto::FLOAT)
        why = "its weight is not float32";
      if (why.empty() && owner.count(n.input(input)))
        why = strCat("its weight '", n.input(input), "' is shared with '", owner[n.input(input)], "', which prunes it");
      if (!why.empty()) {
        out.skipped.push_back({nodeLabel(n) + part, why});
        continue;
      }
      l.node = id;
      l.name = nodeLabel(n) + part;
      l.op = op;
      l.kind = rule == LayerRule::Conv || rule == LayerRule::ConvTranspose ? LayerKind::Conv
               : rule == LayerRule::Recurrent                          ? LayerKind::Recurrent
                                                                       : LayerKind::Fc;
      l.weight = n.input(input);
      l.weight_input = input;
      l.numel = product(l.dims, 0, l.dims.size());
      l.aliases = layerAliases(n, l.weight);
      if (!part.empty())
        for (auto& a : l.aliases)
          if (a != l.weight) a += part;
      owner[l.weight] = l.name;
      out.layers.push_back(std::move(l));
    }
  }
  return out;
}

bool layerMatches(const WeightLayer& layer, const std::string& pattern) {
  for (const auto& a : layer.aliases)
    if (globMatch(pattern, a)) return true;
  return false;
}

bool layerMatchesAny(const WeightLayer& layer, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns)
    if (layerMatches(layer, p)) return true;
  return false;
}

Expected<std::vector<size_t>> selectLayers(const std::vector<WeightLayer>& layers, const std::string& pattern,
                                           const std::string& what) {
  std::vector<size_t> out;
  for (size_t i = 0; i < layers.size(); ++i)
    if (layerMatches(layers[i], pattern)) out.push_back(i);
  if (out.empty() && !isGlob(pattern)) {
    std::vector<std::string> names;
    for (const auto& l : layers) names.insert(names.end(), l.aliases.begin(), l.aliases.end());
    Error e(Exit::Usage, what, ": no weight layer named '", pattern, "'");
    std::string close = closestMatch(pattern, names);
    if (!close.empty()) return std::move(e).withHint(strCat("did you mean '", close, "'?"));
    return std::move(e).withHint("'dnnc info MODEL' lists the layers (node names or weight names)");
  }
  return out;
}

Status checkLayerNames(const std::vector<WeightLayer>& layers, const std::vector<std::string>& patterns,
                       const std::string& what) {
  for (const auto& p : patterns) DNNC_TRY(selectLayers(layers, p, what));
  return {};
}

}  // namespace dnnc
