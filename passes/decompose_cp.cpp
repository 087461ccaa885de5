// decompose-cp: rank-R CP decomposition of each Conv kernel into four cheap convs.
// Before: X -> Conv(W [K,C,h,w], B; stride, pads, dilation) -> Y
// After:  X -> Conv 1x1 (C -> R, A_C^T) -> depthwise Conv hx1 (R groups, A_h; vertical stride, pads and
//         dilation) -> depthwise Conv 1xw (R groups, A_w; horizontal stride, pads and dilation)
//         -> Conv 1x1 (R -> K, A_K, B) -> Y,
// with W[k,c,i,j] ~ sum_r A_K[k,r] A_C[c,r] A_h[i,r] A_w[j,r] from CP-ALS with line search
// (lib/linalg/cp_als.h). Only the last conv has a bias, so the zero padding of the middle convs is exact.
// Ranks: `rank`, or `ratio` (params after / before: R = ratio K C h w / (K + C + h + w)); one is required.
// A rank above the largest a kernel can need (its element count over its largest mode) is a usage error.
// Grouped and depthwise convs, 1x1 kernels and non-2-D convs are left alone with a note in the report.
// Params: layers, rank, ratio, iterations (ALS sweeps). Report per layer: rank, params and MACs before and
// after, relative reconstruction error ||W - W_hat|| / ||W||, sweeps used.
// Ref: Lebedev, Ganin, Rakhuba, Oseledets, Lempitsky, "Speeding-up convolutional neural networks using
//      fine-tuned CP-decomposition", ICLR 2015 (NLS there; ALS with line search here).
#include <algorithm>
#include <cmath>

#include "lib/ir/node.h"
#include "lib/linalg/cp_als.h"
#include "lib/analysis/layer_names.h"
#include "passes/decompose_util.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

using namespace decompose;

int64_t maxCpRank(const ConvLayer& l) { return l.K * l.C * l.h * l.w / std::max({l.K, l.C, l.h, l.w}); }

class DecomposeCp : public Pass {
 public:
  DecomposeCp(LayerSelector filter, RankChoice choice, int iterations)
      : filter_(std::move(filter)), choice_(choice), iterations_(iterations) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    const std::string pass = "decompose-cp";
    Graph graph(model.graph(), model.base_dir);
    DNNC_ASSIGN(const ResolvedShapes* resolved, ctx.shapes(model));
    const ShapeMap& shapes = resolved->shapes;
    DNNC_ASSIGN(std::vector<ConvLayer> layers,
                collectLayers<ConvLayer>(graph, filter_, pass, "Conv", *ctx.log, [](const std::string& op) { return op == "Conv"; },
                                         [&](NodeId id, std::string& why) { return matchConv(graph, id, shapes, why); }));
    if (choice_.kind == RankChoice::Fixed)
      for (const auto& l : layers)
        if (choice_.rank > maxCpRank(l))
          return Error(Exit::Usage, pass, ": rank ", choice_.rank, " exceeds the largest CP rank ", maxCpRank(l), " of '",
                       l.label, "' (kernel [", l.K, ",", l.C, ",", l.h, ",", l.w, "]: elements over the largest mode)")
              .withHint("select layers with layers=... or use ratio=");

    double worst_error = 0;
    const std::vector<std::string> replaced = replacedWeights(graph, layers);
    decomposeEach(layers, ctx, [&](const ConvLayer& l) {
      DecomposedLayerResult d = decompose(graph, l, *ctx.log, ctx.rng());
      worst_error = std::max(worst_error, d.rel_error);
      return d;
    });
    ctx.log->summary["max_rel_error"] = worst_error;
    DNNC_TRY(finish(graph, replaced));
    return PreservedAnalyses::none();
  }

 private:
  LayerSelector filter_;
  RankChoice choice_;
  int iterations_;

  int64_t rankFor(const ConvLayer& l) const {
    if (choice_.kind == RankChoice::Fixed) return choice_.rank;
    const double r = choice_.ratio * double(l.K * l.C * l.h * l.w) / double(l.K + l.C + l.h + l.w);
    return std::clamp<int64_t>(static_cast<int64_t>(std::floor(r)), 1, maxCpRank(l));
  }

  DecomposedLayerResult decompose(Graph& graph, const ConvLayer& l, PassLog& log, uint64_t seed) {
    const int64_t R = rankFor(l);
    linalg::CpResult cp = linalg::cpAls(toDense(l.weight), static_cast<int>(R), {.max_iterations = iterations_, .seed = seed});
    const auto& A = cp.factors;  // A[0]: K x R, A[1]: C x R, A[2]: h x R, A[3]: w x R
    std::string w1 = graph.addInitializer(l.base + "_cp_in_w", fromMatrix(A[1].transpose(), {R, l.C, 1, 1}));
    std::string w2 = graph.addInitializer(l.base + "_cp_v_w", fromMatrix(A[2].transpose(), {R, 1, l.h, 1}));
    std::string w3 = graph.addInitializer(l.base + "_cp_h_w", fromMatrix(A[3].transpose(), {R, 1, 1, l.w}));
    std::string w4 = graph.addInitializer(l.base + "_cp_out_w", fromMatrix(A[0], {l.K, R, 1, 1}));
    std::string n1 = graph.uniqueName(l.base + "_cp_in"), n2 = graph.uniqueName(l.base + "_cp_v"),
                n3 = graph.uniqueName(l.base + "_cp_h"), n4 = graph.uniqueName(l.base + "_cp_out");
    std::string y1 = graph.uniqueName(n1 + "_y"), y2 = graph.uniqueName(n2 + "_y"), y3 = graph.uniqueName(n3 + "_y");
    std::vector<std::string> last_inputs = {y3, w4};
    if (!l.bias.empty()) last_inputs.push_back(l.bias);
    // pads are [top, left, bottom, right]; auto_pad works per axis, so it splits the same way.
    const auto& p = l.pads;
    std::vector<onnx::NodeProto> nodes = {
        makeConv(n1, {l.input, w1}, y1, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, ""),
        makeConv(n2, {y1, w2}, y2, {l.h, 1}, {l.strides[0], 1}, {p[0], 0, p[2], 0}, {l.dilations[0], 1}, R, l.auto_pad),
        makeConv(n3, {y2, w3}, y3, {1, l.w}, {1, l.strides[1]}, {0, p[1], 0, p[3]}, {1, l.dilations[1]}, R, l.auto_pad),
        makeConv(n4, last_inputs, l.output, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, "")};
    replaceNode(graph, l.id, std::move(nodes));

    const int64_t bias = l.bias.empty() ? 0 : l.K;
    DecomposedLayerResult d{.layer = l.label,
                            .kernel = {l.K, l.C, l.h, l.w},
                            .ranks = {R},
                            .rank_source = choice_.source(),
                            .params_before = l.K * l.C * l.h * l.w + bias,
                            .params_after = R * (l.C + l.h + l.w + l.K) + bias,
                            .rel_error = cp.error,
                            .als_iterations = cp.iterations};
    if (l.macsKnown()) {
      const int64_t in = l.in_h * l.in_w, out = l.out_h * l.out_w;
      d.macs_before = out * l.K * l.C * l.h * l.w;
      // The vertical conv's output: out_h rows, in_w columns.
      d.macs_after = in * l.C * R + l.out_h * l.in_w * R * l.h + out * R * l.w + out * R * l.K;
    }
    log.rewrite("cp", {l.label, n1, n2, n3, n4}, d);
    return d;
  }
};

}  // namespace

struct DecomposeCpParams {
  decompose::CommonParams common;
  int64_t iterations = 0;
  static const ParamFields<DecomposeCpParams>& fields();
};

const ParamFields<DecomposeCpParams>& DecomposeCpParams::fields() {
  using P = DecomposeCpParams;
  static const auto f = ParamFields<P>()
                            .fields(&P::common, commonParams(false, "none: give rank or ratio"))
                            .field("iterations", &P::iterations, "200", "most ALS sweeps per layer");
  return f;
}

Expected<std::unique_ptr<Pass>> createDecomposeCp(const DecomposeCpParams& params) {
  DNNC_ASSIGN(auto choice, parseRankChoice(params.common, "decompose-cp", false, false));
  DNNC_ASSIGN(auto filter, LayerSelector::parse(params.common.layers.value_or(""), "decompose-cp: layers"));
  int64_t it = params.iterations;
  if (it < 1 || it > 100000) return Error(Exit::Usage, "decompose-cp: iterations must be in [1, 100000], got ", it);
  return std::unique_ptr<Pass>(std::make_unique<DecomposeCp>(std::move(filter), choice, static_cast<int>(it)));
}

DNNC_PASS_ENTRY(DecomposeCp)

}  // namespace dnnc
