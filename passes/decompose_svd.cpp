// decompose-svd: truncated SVD of fully connected layers, one big matrix product into two thin ones.
// Before: X -> Gemm(W, C; alpha, beta, transB) -> Y        or  X -> MatMul(W) -> Y
// After:  X -> Gemm(W1; alpha) -> Gemm(W2, C; beta) -> Y     or  X -> MatMul(W1) -> MatMul(W2) -> Y
// with W (inputs x outputs, after transB) ~ U_r S_r V_r^T, W1 = U_r sqrt(S_r), W2 = sqrt(S_r) V_r^T (stored
// transposed when transB = 1, as the original was). The bias stays on the second product.
// Ranks: by default analytic EVBMF (lib/linalg/vbmf.h), at least 1; or `rank`; or `ratio` (params after /
// before: r = ratio m n / (m + n)); or `energy` (the smallest r keeping that share of sum s^2).
// Gemm with transA = 1, and MatMul whose weight is not the second input or not 2-D, are left alone.
// Params: layers, rank, ratio, energy. Report per layer: rank, params and MACs before and after,
// relative reconstruction error ||W - W1 W2|| / ||W||, energy kept.
// Ref: Denton, Zaremba, Bruna, LeCun, Fergus, "Exploiting linear structure within convolutional networks
//      for efficient evaluation", NeurIPS 2014.
#include <algorithm>
#include <cmath>

#include "lib/ir/node.h"
#include "lib/linalg/svd.h"
#include "lib/linalg/vbmf.h"
#include "lib/analysis/layer_names.h"
#include "passes/decompose_util.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

using namespace decompose;

struct FcLayer {
  NodeId id = -1;
  std::string label, base, op, input, output, bias;
  bool trans_b = false;
  float alpha = 1, beta = 1;
  linalg::Matrix w;         // inputs x outputs
  int64_t rows_known = -1;  // rows of X per inference (batch taken as 1), -1 if unknown
  int64_t bias_params = 0;
};

class DecomposeSvd : public Pass {
 public:
  DecomposeSvd(LayerSelector filter, RankChoice choice) : filter_(std::move(filter)), choice_(choice) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    const std::string pass = "decompose-svd";
    Graph graph(model.graph(), model.base_dir);
    DNNC_ASSIGN(const ResolvedShapes* resolved, ctx.shapes(model));
    const ShapeMap& shapes = resolved->shapes;
    DNNC_ASSIGN(std::vector<FcLayer> layers,
                collectLayers<FcLayer>(graph, filter_, pass, "Gemm or MatMul", *ctx.log,
                                       [](const std::string& op) { return op == "Gemm" || op == "MatMul"; },
                                       [&](NodeId id, std::string& why) { return match(graph, id, shapes, why); }));
    if (choice_.kind == RankChoice::Fixed)
      for (const auto& l : layers)
        if (choice_.rank > std::min(l.w.rows(), l.w.cols()))
          return Error(Exit::Usage, pass, ": rank ", choice_.rank, " exceeds min(inputs, outputs) = ",
                       std::min(l.w.rows(), l.w.cols()), " of '", l.label, "' (", l.w.rows(), "x", l.w.cols(), ")")
              .withHint("select layers with layers=... or use ratio= or energy=");

    const std::vector<std::string> replaced = replacedWeights(graph, layers);
    decomposeEach(layers, ctx, [&](const FcLayer& l) { return decompose(graph, l, *ctx.log); });
    DNNC_TRY(finish(graph, replaced));
    return PreservedAnalyses::none();
  }

 private:
  LayerSelector filter_;
  RankChoice choice_;

  static Expected<std::optional<FcLayer>> match(const Graph& graph, NodeId id, const ShapeMap& shapes, std::string& why) {
    const onnx::NodeProto& n = graph.node(id);
    auto skip = [&](std::string reason) -> Expected<std::optional<FcLayer>> {
      why = std::move(reason);
      return std::optional<FcLayer>();
    };
    FcLayer l;
    l.id = id;
    l.label = nodeLabel(n);
    l.base = nameBase(n);
    l.op = n.op_type();
    if (n.input_size() < 2 || !graph.isWeight(n.input(1))) return skip("second input is computed, not a weight");
    if (graph.isWeight(n.input(0))) return skip("first input is a weight too (nothing to factor at run time)");
    if (l.op == "Gemm") {
      if (const auto* a = findAttr(n, "transA"); a && a->i() != 0) return skip("transA = 1");
      if (const auto* a = findAttr(n, "transB")) l.trans_b = a->i() != 0;
      if (const auto* a = findAttr(n, "alpha")) l.alpha = a->f();
      if (const auto* a = findAttr(n, "beta")) l.beta = a->f();
      if (n.input_size() >= 3 && !n.input(2).empty()) {
        if (!graph.isWeight(n.input(2))) return skip("bias is computed, not a weight");
        l.bias = n.input(2);
        if (const auto* bp = graph.weightProto(l.bias)) {
          l.bias_params = 1;
          for (int64_t d : bp->dims()) l.bias_params *= d;
        }
      }
    }
    const auto* wp = graph.weightProto(n.input(1));
    if (!wp || wp->data_type() != onnx::TensorProto::FLOAT) return skip("weight is not float32");
    if (wp->dims_size() != 2) return skip("weight is not 2-D");
    DNNC_ASSIGN(Tensor w, graph.readWeight(n.input(1)));
    auto m = w.asMatrix();
    l.w = m.cast<double>();
    if (l.trans_b) l.w.transposeInPlace();
    l.input = n.input(0);
    l.output = n.output(0);
    if (const auto* x = shapes.find(l.input); x && x->dims.size() >= 2) {
      l.rows_known = 1;
      for (size_t i = 0; i + 1 < x->dims.size(); ++i) l.rows_known *= std::max<int64_t>(1, x->dims[i]);
    }
    return std::optional<FcLayer>(std::move(l));
  }

  int64_t rankFor(const FcLayer& l, const linalg::Vector& s) const {
    const int64_t m = l.w.rows(), n = l.w.cols(), most = std::min(m, n);
    switch (choice_.kind) {
      case RankChoice::Fixed: return choice_.rank;
      case RankChoice::Ratio:
        return std::clamp<int64_t>(static_cast<int64_t>(std::floor(choice_.ratio * double(m * n) / double(m + n))), 1, most);
      case RankChoice::Energy: return linalg::rankForEnergy(s, choice_.energy);
      case RankChoice::Evbmf: return std::max(1, linalg::evbmf(s, m, n).rank);
    }
    return most;
  }

  DecomposedLayerResult decompose(Graph& graph, const FcLayer& l, PassLog& log) {
    linalg::Svd svd = linalg::thinSvd(l.w);
    const int64_t r = rankFor(l, svd.s), m = l.w.rows(), n = l.w.cols();
    linalg::LowRankFactors f = linalg::splitSvd(svd, static_cast<int>(r));
    std::string n1 = graph.uniqueName(l.base + "_svd_a"), n2 = graph.uniqueName(l.base + "_svd_b");
    std::string y1 = graph.uniqueName(n1 + "_y");
    std::string w1, w2;
    if (l.trans_b) {
      w1 = graph.addInitializer(l.base + "_svd_a_w", fromMatrix(f.left.transpose(), {r, m}));
      w2 = graph.addInitializer(l.base + "_svd_b_w", fromMatrix(f.right.transpose(), {n, r}));
    } else {
      w1 = graph.addInitializer(l.base + "_svd_a_w", fromMatrix(f.left, {m, r}));
      w2 = graph.addInitializer(l.base + "_svd_b_w", fromMatrix(f.right, {r, n}));
    }
    onnx::NodeProto a, b;
    a.set_op_type(l.op), b.set_op_type(l.op);
    a.set_name(n1), b.set_name(n2);
    a.add_input(l.input), a.add_input(w1), a.add_output(y1);
    b.add_input(y1), b.add_input(w2), b.add_output(l.output);
    if (l.op == "Gemm") {
      if (l.trans_b) setAttrInt(a, "transB", 1), setAttrInt(b, "transB", 1);
      if (l.alpha != 1.0f) setAttrFloat(a, "alpha", l.alpha);
      if (!l.bias.empty()) {
        b.add_input(l.bias);
        if (l.beta != 1.0f) setAttrFloat(b, "beta", l.beta);
      }
    }
    replaceNode(graph, l.id, {a, b});

    const double total = svd.s.squaredNorm(), kept = svd.s.head(r).squaredNorm();
    DecomposedLayerResult d{.layer = l.label,
                            .matrix = {m, n},
                            .ranks = {r},
                            .rank_source = choice_.source(),
                            .params_before = m * n + l.bias_params,
                            .params_after = r * (m + n) + l.bias_params,
                            .rel_error = total > 0 ? std::sqrt(std::max(0.0, total - kept) / total) : 0.0,
                            .energy_kept = total > 0 ? kept / total : 1.0};
    if (l.rows_known > 0) {
      d.macs_before = l.rows_known * m * n;
      d.macs_after = l.rows_known * r * (m + n);
    }
    log.rewrite("svd", {l.label, n1, n2}, d);
    return d;
  }
};

}  // namespace

struct DecomposeSvdParams {
  decompose::CommonParams common;
  static const ParamFields<DecomposeSvdParams>& fields();
};

const ParamFields<DecomposeSvdParams>& DecomposeSvdParams::fields() {
  static const auto f = ParamFields<DecomposeSvdParams>().fields(&DecomposeSvdParams::common,
                                                                  commonParams(true, "EVBMF on the weight matrix"));
  return f;
}

Expected<std::unique_ptr<Pass>> createDecomposeSvd(const DecomposeSvdParams& params) {
  DNNC_ASSIGN(auto choice, parseRankChoice(params.common, "decompose-svd", true, true));
  DNNC_ASSIGN(auto filter, LayerSelector::parse(params.common.layers.value_or(""), "decompose-svd: layers"));
  return std::unique_ptr<Pass>(std::make_unique<DecomposeSvd>(std::move(filter), choice));
}

DNNC_PASS_ENTRY(DecomposeSvd)

}  // namespace dnnc
