#include "lib/prune/weight_layers.h"

#include <algorithm>
#include <map>

#include "lib/ir/node.h"
#include "lib/prune/glob.h"
#include "lib/support/suggest.h"

namespace dnnc {

namespace {

int64_t product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= dims[i];
  return p;
}

void addAlias(std::vector<std::string>& aliases, const std::string& a) {
  if (!a.empty() && std::find(aliases.begin(), aliases.end(), a) == aliases.end()) aliases.push_back(a);
}

// "/stem/conv/Conv" -> "stem/conv" and "stem.conv"; "fc1.weight" -> "fc1".
std::vector<std::string> aliasesOf(const onnx::NodeProto& node, const std::string& weight) {
  std::vector<std::string> out;
  addAlias(out, nodeLabel(node));
  addAlias(out, weight);
  const std::string suffix = ".weight";
  if (weight.size() > suffix.size() && weight.compare(weight.size() - suffix.size(), suffix.size(), suffix) == 0)
    addAlias(out, weight.substr(0, weight.size() - suffix.size()));
  std::string n = node.name();
  if (!n.empty() && n.front() == '/') {
    n.erase(n.begin());
    auto slash = n.rfind('/');
    if (slash != std::string::npos) {
      std::string path = n.substr(0, slash);
      addAlias(out, path);
      std::replace(path.begin(), path.end(), '/', '.');
      addAlias(out, path);
    }
  }
  return out;
}

// Which input holds the weight and how the reduction runs through it; "" when it fits, else why not.
std::string layoutOf(const Graph& g, const onnx::NodeProto& n, int& input, std::vector<int64_t>& dims, ReductionView& v) {
  auto dimsOf = [&](int k) {
    const auto* t = g.weightProto(n.input(k));
    return std::vector<int64_t>(t->dims().begin(), t->dims().end());
  };
  auto weightAt = [&](int k) { return n.input_size() > k && !n.input(k).empty() && g.isWeight(n.input(k)); };
  const std::string& op = n.op_type();
  if (op == "Conv") {
    if (!weightAt(1)) return "its weight is computed, not stored";
    input = 1;
    dims = dimsOf(1);
    if (dims.size() < 3) return "its weight is not [K, C, kernel...]";
    v = {dims[0], product(dims, 1, dims.size()), 1};
    return "";
  }
  if (op == "Gemm") {
    if (!weightAt(1)) return weightAt(0) ? "its weight is the first input (A), which dnnc does not prune" : "its weight is computed, not stored";
    input = 1;
    dims = dimsOf(1);
    if (dims.size() != 2) return "its weight is not 2-D";
    v = attrInt(n, "transB", 0) ? ReductionView{dims[0], dims[1], 1} : ReductionView{1, dims[0], dims[1]};
    return "";
  }
  // MatMul: a stored B [..., K, N] reduces over K; a stored A [..., M, K] over its last dim.
  if (weightAt(1)) {
    input = 1;
    dims = dimsOf(1);
    if (dims.empty()) return "its weight is a scalar";
    if (dims.size() == 1) v = {1, dims[0], 1};
    else v = {product(dims, 0, dims.size() - 2), dims[dims.size() - 2], dims.back()};
    return "";
  }
  if (weightAt(0)) {
    input = 0;
    dims = dimsOf(0);
    if (dims.empty()) return "its weight is a scalar";
    v = {product(dims, 0, dims.size() - 1), dims.back(), 1};
    return "";
  }
  return "both inputs are computed (no weight)";
}

}  // namespace

WeightLayers enumerateWeightLayers(const Graph& graph) {
  WeightLayers out;
  std::map<std::string, std::string> owner;  // weight -> the layer that prunes it
  for (NodeId id : graph.nodes()) {
    const auto& n = graph.node(id);
    if (!isDefaultDomain(n) || (n.op_type() != "Conv" && n.op_type() != "Gemm" && n.op_type() != "MatMul")) continue;
    WeightLayer l;
    int input = -1;
    std::string why = layoutOf(graph, n, input, l.dims, l.view);
    if (why.empty() && graph.weightProto(n.input(input))->data_type() != onnx::TensorProto::FLOAT)
      why = "its weight is not float32";
    if (why.empty() && owner.count(n.input(input)))
      why = strCat("its weight '", n.input(input), "' is shared with '", owner[n.input(input)], "', which prunes it");
    if (!why.empty()) {
      out.skipped.push_back({nodeLabel(n), why});
      continue;
    }
    l.node = id;
    l.name = nodeLabel(n);
    l.op = n.op_type();
    l.weight = n.input(input);
    l.numel = product(l.dims, 0, l.dims.size());
    l.aliases = aliasesOf(n, l.weight);
    owner[l.weight] = l.name;
    out.layers.push_back(std::move(l));
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
    Error e(Exit::Usage, what, ": no Conv/Gemm/MatMul layer named '", pattern, "'");
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
