// decompose-tucker: Tucker-2 decomposition of each Conv kernel on its output and input channel modes.
// Before: X -> Conv(W [K,C,h,w], B; stride, pads, dilation) -> Y
// After:  X -> Conv 1x1 (C -> R3, U_in^T) -> Conv hxw (R3 -> R4, core G; the original stride, pads and
//         dilation) -> Conv 1x1 (R4 -> K, U_out, B) -> Y.
// W ~ G x_0 U_out x_1 U_in, from the truncated HOSVD refined by HOOI (lib/linalg/tucker.h). The first two
// convs have no bias, so padding the projected input equals projecting the padded one: exact at full rank.
// Ranks: by default analytic EVBMF (lib/linalg/vbmf.h) on the mode-0 unfolding (R4) and the mode-1
// unfolding (R3), at least 1; or `rank` (both modes); or `ratio` (params after / before, with R3/C = R4/K).
// Grouped and depthwise convs, 1x1 kernels and non-2-D convs are left alone with a note in the report.
// Params: layers, rank, ratio, iterations (most HOOI sweeps), tolerance (stop when a sweep lowers the
// relative error by less than this). Report per layer: ranks, params and MACs before and after, relative
// reconstruction error ||W - W_hat|| / ||W|| (HOSVD's and HOOI's), sweeps run.
// Ref: Kim, Park, Yoo, Choi, Yang, Shin, "Compression of deep convolutional neural networks for fast and low
//      power mobile applications", ICLR 2016; Nakajima et al., JMLR 2013 (EVBMF).
#include <algorithm>
#include <cmath>

#include "lib/ir/node.h"
#include "lib/linalg/svd.h"
#include "lib/linalg/tucker.h"
#include "lib/linalg/vbmf.h"
#include "lib/analysis/layer_names.h"
#include "passes/decompose_util.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

using namespace decompose;

class DecomposeTucker : public Pass {
 public:
  DecomposeTucker(LayerSelector filter, RankChoice choice, linalg::TuckerOptions hooi)
      : filter_(std::move(filter)), choice_(choice), hooi_(hooi) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    const std::string pass = "decompose-tucker";
    Graph graph(model.graph(), model.base_dir);
    DNNC_ASSIGN(const ResolvedShapes* resolved, ctx.shapes(model));
    const ShapeMap& shapes = resolved->shapes;
    DNNC_ASSIGN(std::vector<ConvLayer> layers,
                collectLayers<ConvLayer>(graph, filter_, pass, "Conv", *ctx.log, [](const std::string& op) { return op == "Conv"; },
                                         [&](NodeId id, std::string& why) { return matchConv(graph, id, shapes, why); }));
    // A fixed rank is checked against every layer before anything changes.
    if (choice_.kind == RankChoice::Fixed)
      for (const auto& l : layers)
        if (choice_.rank > std::min(l.K, l.C))
          return Error(Exit::Usage, pass, ": rank ", choice_.rank, " exceeds the ", l.K < l.C ? "output" : "input",
                       " channels (", std::min(l.K, l.C), ") of '", l.label, "'")
              .withHint("select layers with layers=... or use ratio=");

    const std::vector<std::string> replaced = replacedWeights(graph, layers);
    decomposeEach(layers, ctx, [&](const ConvLayer& l) { return decompose(graph, l, *ctx.log); });
    DNNC_TRY(finish(graph, replaced));
    return PreservedAnalyses::none();
  }

 private:
  LayerSelector filter_;
  RankChoice choice_;
  linalg::TuckerOptions hooi_;

  // (R4, R3): output-side and input-side ranks.
  std::pair<int64_t, int64_t> ranks(const ConvLayer& l, const linalg::LeftSubspace& mode0,
                                    const linalg::LeftSubspace& mode1) const {
    switch (choice_.kind) {
      case RankChoice::Fixed: return {choice_.rank, choice_.rank};
      case RankChoice::Ratio: {
        // R3 = a C, R4 = a K: params a (C^2 + K^2) + a^2 C K h w = ratio K C h w.
        const double hw = double(l.h * l.w), quad = double(l.C * l.K) * hw, lin = double(l.C * l.C + l.K * l.K);
        const double a = (-lin + std::sqrt(lin * lin + 4 * quad * choice_.ratio * quad)) / (2 * quad);
        auto clampRank = [](double r, int64_t max) { return std::clamp<int64_t>(std::llround(r), 1, max); };
        return {clampRank(a * double(l.K), l.K), clampRank(a * double(l.C), l.C)};
      }
      default: {
        // Singular values of the K x Chw and C x Khw unfoldings (min(rows, cols) of them).
        const int64_t rest0 = l.C * l.h * l.w, rest1 = l.K * l.h * l.w;
        int r_out = linalg::evbmf(mode0.s.head(std::min(l.K, rest0)), l.K, rest0).rank;
        int r_in = linalg::evbmf(mode1.s.head(std::min(l.C, rest1)), l.C, rest1).rank;
        return {std::max(1, r_out), std::max(1, r_in)};
      }
    }
  }

  DecomposedLayerResult decompose(Graph& graph, const ConvLayer& l, PassLog& log) {
    linalg::DenseTensor w = toDense(l.weight);
    // One eigen-decomposition per mode serves both EVBMF (the values) and the HOSVD (the vectors).
    linalg::LeftSubspace mode0 = linalg::leadingLeftSubspace(linalg::unfold(w, 0), static_cast<int>(l.K));
    linalg::LeftSubspace mode1 = linalg::leadingLeftSubspace(linalg::unfold(w, 1), static_cast<int>(l.C));
    auto [r4, r3] = ranks(l, mode0, mode1);
    linalg::Tucker2 t = linalg::tucker2From(w, mode0.u.leftCols(r4), mode1.u.leftCols(r3), hooi_);
    std::string w1 = graph.addInitializer(l.base + "_tucker_in_w", fromMatrix(t.in_factor.transpose(), {r3, l.C, 1, 1}));
    std::string w2 = graph.addInitializer(l.base + "_tucker_core_w", fromDense(t.core));
    std::string w3 = graph.addInitializer(l.base + "_tucker_out_w", fromMatrix(t.out_factor, {l.K, r4, 1, 1}));
    std::string n1 = graph.uniqueName(l.base + "_tucker_in"), n2 = graph.uniqueName(l.base + "_tucker_core"),
                n3 = graph.uniqueName(l.base + "_tucker_out");
    std::string y1 = graph.uniqueName(n1 + "_y"), y2 = graph.uniqueName(n2 + "_y");
    std::vector<std::string> last_inputs = {y2, w3};
    if (!l.bias.empty()) last_inputs.push_back(l.bias);
    std::vector<onnx::NodeProto> nodes = {
        makeConv(n1, {l.input, w1}, y1, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, ""),
        makeConv(n2, {y1, w2}, y2, {l.h, l.w}, l.strides, l.pads, l.dilations, 1, l.auto_pad),
        makeConv(n3, last_inputs, l.output, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, "")};
    replaceNode(graph, l.id, std::move(nodes));

    const int64_t bias = l.bias.empty() ? 0 : l.K, hw = l.h * l.w;
    DecomposedLayerResult d{.layer = l.label,
                            .kernel = {l.K, l.C, l.h, l.w},
                            .ranks = {r3, r4},
                            .rank_source = choice_.source(),
                            .params_before = l.K * l.C * hw + bias,
                            .params_after = l.C * r3 + r3 * r4 * hw + r4 * l.K + bias,
                            .rel_error = t.error,
                            .hosvd_rel_error = t.hosvd_error,
                            .hooi_iterations = t.iterations};
    if (l.macsKnown()) {
      const int64_t in = l.in_h * l.in_w, out = l.out_h * l.out_w;
      d.macs_before = out * l.K * l.C * hw;
      d.macs_after = in * l.C * r3 + out * r3 * r4 * hw + out * r4 * l.K;
    }
    log.rewrite("tucker-2", {l.label, n1, n2, n3}, d);
    return d;
  }
};

}  // namespace

struct DecomposeTuckerParams {
  decompose::CommonParams common;
  int64_t iterations = 0;
  double tolerance = 0;
  static const ParamFields<DecomposeTuckerParams>& fields();
};

const ParamFields<DecomposeTuckerParams>& DecomposeTuckerParams::fields() {
  using P = DecomposeTuckerParams;
  // Defaults from bench/decompose/hooi_sweeps (docs/benchmarks.md): later sweeps buy little.
  const linalg::TuckerOptions defaults;
  static const auto f =
      ParamFields<P>()
          .fields(&P::common, commonParams(false, "EVBMF on the mode-0 and mode-1 unfoldings"))
          .field("iterations", &P::iterations, std::to_string(defaults.max_iterations),
                 "most HOOI sweeps after the HOSVD initialisation (0: HOSVD only)")
          .field("tolerance", &P::tolerance, "1e-4",
                 "stop HOOI when a sweep lowers the relative reconstruction error by less than this");
  return f;
}

Expected<std::unique_ptr<Pass>> createDecomposeTucker(const DecomposeTuckerParams& params) {
  DNNC_ASSIGN(auto choice, parseRankChoice(params.common, "decompose-tucker", false, true));
  DNNC_ASSIGN(auto filter, LayerSelector::parse(params.common.layers.value_or(""), "decompose-tucker: layers"));
  int64_t it = params.iterations;
  if (it < 0 || it > 10000) return Error(Exit::Usage, "decompose-tucker: iterations must be in [0, 10000], got ", it);
  double tolerance = params.tolerance;
  if (!(tolerance >= 0 && tolerance < 1))
    return Error(Exit::Usage, "decompose-tucker: tolerance must be in [0, 1), got ", tolerance);
  linalg::TuckerOptions hooi{.max_iterations = static_cast<int>(it), .tolerance = tolerance};
  return std::unique_ptr<Pass>(std::make_unique<DecomposeTucker>(std::move(filter), choice, hooi));
}

DNNC_PASS_ENTRY(DecomposeTucker)

}  // namespace dnnc
