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
#include "passes/registry.h"
#include "lib/support/glob.h"
#include "lib/prune/magnitude.h"
#include "passes/pass_results.h"

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
    ctx.log->summary = PruneMagnitudeSummary{.granularity = config_.granularity.text(),
                                             .layers_pruned = int64_t(r.layers.size()),
                                             .params = r.params,
                                             .zeros_before = r.zeros_before,
                                             .zeros = r.zeros_after,
                                             .global_threshold = r.global_threshold};
    for (const auto& l : r.layers) {
      PrunedLayerResult d{.op = l.op, .weight = l.weight, .rule = l.rule, .params = l.params,
                          .zeros_before = l.zeros_before, .zeros = l.zeros_after, .threshold = l.threshold};
      if (l.target >= 0) d.target = l.target;
      ctx.log->rewrite("prune weights", {l.layer}, d);
    }
    for (const auto& s : r.skipped) ctx.log->skip(s.node, s.reason);
    return r.changed ? weightValuesChanged() : PreservedAnalyses::all();
  }

 private:
  MagnitudeConfig config_;
};

}  // namespace

struct PruneMagnitudeParams {
  std::optional<double> sparsity, q;
  std::optional<std::string> layer_sparsity, skip;
  std::string granularity;
  static const ParamFields<PruneMagnitudeParams>& fields();
};

const ParamFields<PruneMagnitudeParams>& PruneMagnitudeParams::fields() {
  using P = PruneMagnitudeParams;
  static const auto f =
      ParamFields<P>()
          .field("sparsity", &P::sparsity, "", "fraction of weights to zero in [0, 1), one threshold across the layers")
          .field("q", &P::q, "", "Han's per-layer rule: prune |w| < q x std of the layer's weights")
          .field("layer-sparsity", &P::layer_sparsity, "", "per-layer targets 'conv1=0.5,fc1=0.95' or a YAML/JSON file")
          .field("skip", &P::skip, "", "layers to leave alone: names or globs, comma-separated")
          .field("granularity", &P::granularity, "element", "element, or simd:N (aligned groups of N along the reduction)");
  return f;
}

Expected<std::unique_ptr<Pass>> createPruneMagnitude(const PruneMagnitudeParams& p) {
  MagnitudeConfig c;
  if (p.sparsity) {
    c.sparsity = *p.sparsity;
    DNNC_TRY(checkSparsity(*c.sparsity, "prune-magnitude: sparsity"));
  }
  c.q = p.q;
  if (p.layer_sparsity) {
    DNNC_ASSIGN(c.layer_sparsity, parseLayerSparsity(*p.layer_sparsity));
  }
  if (p.skip) c.skip = splitList(*p.skip);
  DNNC_ASSIGN(c.granularity, parseGranularity(p.granularity));
  return std::unique_ptr<Pass>(std::make_unique<PruneMagnitude>(std::move(c)));
}

DNNC_PASS_ENTRY(PruneMagnitude)

}  // namespace dnnc
