// prune-magnitude: zero the weights of Conv, Gemm and MatMul layers with the smallest magnitude
// (unstructured pruning), one by one or in aligned SIMD groups.
// Before: W dense.  After: W with the same shape, the pruned entries exactly 0 (pack/csr stores them
// sparsely; the executor's sparse kernel skips them). Biases are not pruned.
// Params: sparsity (one global threshold across the layers), q (Han's per-layer threshold q x std),
//         layer-sparsity (NAME=S,... or a YAML/JSON file; names are node names, weight names or module
//         paths, globs allowed), skip (names or globs), granularity (element | simd:N).
// Weights already zero count as pruned, so re-pruning to the same target changes nothing.
// Ref: Han et al., "Learning both Weights and Connections for Efficient Neural Networks", NeurIPS 2015;
//      Yu et al., "Scalpel: Customizing DNN Pruning to the Underlying Hardware Parallelism", ISCA 2017.
#include "lib/pass/pass.h"
#include "lib/support/glob.h"
#include "lib/prune/magnitude.h"

namespace dnnc {

namespace {

class PruneMagnitude : public Pass {
 public:
  explicit PruneMagnitude(MagnitudeConfig config) : config_(std::move(config)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    Graph graph(model.graph(), model.base_dir);
    DNNC_ASSIGN(MagnitudeResult r, pruneMagnitude(graph, config_));
    if (r.layers.empty()) {
      std::string why;
      for (const auto& s : r.skipped) why += (why.empty() ? ": " : "; ") + s.node + " (" + s.reason + ")";
      return Error(Exit::Target, "prune-magnitude: no weight layer to prune", why.size() > 300 ? why.substr(0, 300) + "..." : why);
    }
    auto fraction = [](int64_t zeros, int64_t params) { return params ? double(zeros) / double(params) : 0.0; };
    ctx.log->summary = {{"granularity", config_.granularity.text()},
                        {"layers_pruned", r.layers.size()},
                        {"params", r.params},
                        {"zeros_before", r.zeros_before},
                        {"zeros", r.zeros_after},
                        {"sparsity_before", fraction(r.zeros_before, r.params)},
                        {"sparsity", fraction(r.zeros_after, r.params)}};
    if (r.global_threshold) ctx.log->summary["global_threshold"] = *r.global_threshold;
    for (const auto& l : r.layers) {
      nlohmann::json d = {{"op", l.op}, {"weight", l.weight}, {"rule", l.rule}, {"params", l.params},
                          {"zeros_before", l.zeros_before}, {"zeros", l.zeros_after},
                          {"sparsity_before", fraction(l.zeros_before, l.params)},
                          {"sparsity", fraction(l.zeros_after, l.params)}, {"threshold", l.threshold}};
      if (l.target >= 0) d["target"] = l.target;
      ctx.log->rewrite("prune weights", {l.layer}, d);
    }
    for (const auto& s : r.skipped) ctx.log->skip(s.node, s.reason);
    return r.changed ? weightValuesChanged() : PreservedAnalyses::all();
  }

 private:
  MagnitudeConfig config_;
};

}  // namespace

std::vector<ParamSpec> PruneMagnitudeParams() {
  return {
      {"sparsity", ParamType::Float, "", "fraction of weights to zero in [0, 1), one threshold across the layers"},
      {"q", ParamType::Float, "", "Han's per-layer rule: prune |w| < q x std of the layer's weights"},
      {"layer-sparsity", ParamType::String, "", "per-layer targets 'conv1=0.5,fc1=0.95' or a YAML/JSON file"},
      {"skip", ParamType::String, "", "layers to leave alone: names or globs, comma-separated"},
      {"granularity", ParamType::String, "element", "element, or simd:N (aligned groups of N along the reduction)"},
  };
}

Expected<std::unique_ptr<Pass>> createPruneMagnitude(const PassParams& p) {
  MagnitudeConfig c;
  if (p.has("sparsity")) {
    c.sparsity = p.getFloat("sparsity");
    DNNC_TRY(checkSparsity(*c.sparsity, "prune-magnitude: sparsity"));
  }
  if (p.has("q")) c.q = p.getFloat("q");
  if (p.has("layer-sparsity")) {
    DNNC_ASSIGN(c.layer_sparsity, parseLayerSparsity(p.getString("layer-sparsity")));
  }
  if (p.has("skip")) c.skip = splitList(p.getString("skip"));
  DNNC_ASSIGN(c.granularity, parseGranularity(p.getString("granularity")));
  return std::unique_ptr<Pass>(std::make_unique<PruneMagnitude>(std::move(c)));
}

}  // namespace dnnc
