// fold-bn: fold an inference BatchNormalization into the Conv or Gemm that feeds it.
// Before: X -> Conv(W, B) -> BatchNormalization(scale, bias, mean, var) -> Y
// After:  X -> Conv(W', B') -> Y, with s = scale / sqrt(var + eps), W' = s * W per output channel,
//         B' = s * (B - mean) + bias.
// Requires: the Conv/Gemm output feeds only the BatchNormalization and is not a graph output; all BN
// inputs are weights; BN in inference mode. Anything else is skipped with a reason in the report.
// Weights shared with other nodes are copied, not changed in place.
#include <cmath>

#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/pass/pass.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

struct BnParams {
  std::vector<float> s;      // scale / sqrt(var + eps)
  std::vector<float> shift;  // bias - mean * s
};

class FoldBatchNorm : public Pass {
 public:
  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    Graph graph(model.graph(), model.base_dir);
    int folded = 0;
    for (NodeId bn_id : graph.nodes()) {
      if (graph.erased(bn_id)) continue;
      const auto& bn = graph.node(bn_id);
      if (bn.op_type() != "BatchNormalization" || !isDefaultDomain(bn)) continue;
      std::string why;
      DNNC_ASSIGN(bool done, tryFold(graph, bn_id, why));
      if (done) ++folded;
      else if (!why.empty()) ctx.log->skip(nodeLabel(graph.node(bn_id)), why);
    }
    if (folded == 0) {
      ctx.log->summary = {{"folded", 0}};
      return PreservedAnalyses::all();
    }
    DNNC_TRY(graph.compact());
    ctx.log->summary = {{"folded", folded}};
    for (const auto& r : rewrites_) ctx.log->rewrite("fold BatchNormalization", r);
    return PreservedAnalyses::none();
  }

 private:
  std::vector<std::vector<std::string>> rewrites_;

  // Returns true when folded; false with `why` set when this BN must stay.
  Expected<bool> tryFold(Graph& graph, NodeId bn_id, std::string& why) {
    const onnx::NodeProto bn = graph.node(bn_id);
    if (const auto* a = findAttr(bn, "training_mode"); a && a->i() != 0) return why = "training mode", false;
    if (const auto* a = findAttr(bn, "spatial"); a && a->i() == 0) return why = "spatial=0 (per-element statistics)", false;
    for (int k = 1; k < bn.output_size(); ++k)
      if (!bn.output(k).empty()) return why = "running statistics outputs are used", false;
    if (bn.input_size() < 5) return why = "fewer than 5 inputs", false;
    for (int k = 1; k < 5; ++k)
      if (!graph.isWeight(bn.input(k))) return why = strCat("input '", bn.input(k), "' is computed, not a weight"), false;
    auto producer = graph.producer(bn.input(0));
    if (!producer) return why = "its input comes from a graph input", false;
    const onnx::NodeProto& prev = graph.node(*producer);
    if ((prev.op_type() != "Conv" && prev.op_type() != "Gemm") || !isDefaultDomain(prev))
      return why = strCat("its input comes from ", prev.op_type(), ", not Conv or Gemm"), false;
    const std::string& mid = bn.input(0);
    if (graph.consumers(mid).size() != 1 || graph.isGraphOutput(mid) || graph.capturedBySubgraphs().count(mid))
      return why = strCat(prev.op_type(), " output has other uses"), false;
    if (prev.input_size() < 2 || !graph.isWeight(prev.input(1)))
      return why = strCat(prev.op_type(), " weight is computed, not a weight"), false;
    if (prev.input_size() >= 3 && !prev.input(2).empty() && !graph.isWeight(prev.input(2)))
      return why = strCat(prev.op_type(), " bias is computed, not a weight"), false;

    DNNC_ASSIGN(BnParams p, bnParams(graph, bn));
    DNNC_ASSIGN(Tensor w, graph.readWeight(prev.input(1)));
    if (w.dtype() != DType::Float) return why = "weights are not float32", false;
    const size_t k = p.s.size();
    bool ok = prev.op_type() == "Conv" ? scaleConv(w, p, why) : scaleGemm(prev, w, p, why);
    if (!ok) return false;

    // Bias: b' = s * (b - mean) + bias, where a Gemm's bias is beta * C.
    std::vector<float> b(k, 0.0f);
    bool has_bias = prev.input_size() >= 3 && !prev.input(2).empty();
    float beta = 1.0f;
    if (prev.op_type() == "Gemm")
      if (const auto* a = findAttr(prev, "beta")) beta = a->f();
    if (has_bias) {
      DNNC_ASSIGN(Tensor c, graph.readWeight(prev.input(2)));
      auto cv = c.toFloats();
      if (cv.size() != k && cv.size() != 1) return why = "bias shape does not broadcast per channel", false;
      for (size_t i = 0; i < k; ++i) b[i] = beta * cv[cv.size() == 1 ? 0 : i];
    }
    // s * (b - mean) + bias == s * b + shift
    for (size_t i = 0; i < k; ++i) b[i] = p.s[i] * b[i] + p.shift[i];

    NodeId prev_id = *producer;
    onnx::NodeProto& conv = graph.node(prev_id);
    std::string w_name = writeWeight(graph, conv.input(1), w, conv.name() + "_folded_weight");
    conv.set_input(1, w_name);
    Tensor bias = Tensor::fromFloats(b, {static_cast<int64_t>(k)});
    std::string b_name = has_bias ? writeWeight(graph, conv.input(2), bias, conv.name() + "_folded_bias")
                                  : graph.addInitializer(conv.name() + "_folded_bias", bias);
    while (conv.input_size() < 3) conv.add_input("");
    conv.set_input(2, b_name);
    if (prev.op_type() == "Gemm") setFloatAttr(conv, "beta", 1.0f);
    // The Conv now produces the BN's output directly.
    std::string out = bn.output(0);
    graph.erase(bn_id);
    conv.set_output(0, out);
    removeValueInfo(graph.proto(), mid);
    graph.reindex();
    rewrites_.push_back({nodeLabel(conv), nodeLabel(bn)});
    return true;
  }

  static Expected<BnParams> bnParams(const Graph& graph, const onnx::NodeProto& bn) {
    float eps = 1e-5f;
    if (const auto* a = findAttr(bn, "epsilon")) eps = a->f();
    std::vector<std::vector<float>> v;
    for (int k = 1; k < 5; ++k) {
      DNNC_ASSIGN(Tensor t, graph.readWeight(bn.input(k)));
      v.push_back(t.toFloats());
    }
    size_t k = v[0].size();
    for (const auto& x : v)
      if (x.size() != k) return Error(Exit::Input, "BatchNormalization '", bn.name(), "': parameter sizes differ");
    BnParams p;
    for (size_t i = 0; i < k; ++i) {
      float s = v[0][i] / std::sqrt(v[3][i] + eps);
      p.s.push_back(s);
      p.shift.push_back(v[1][i] - v[2][i] * s);
    }
    return p;
  }

  static bool scaleConv(Tensor& w, const BnParams& p, std::string& why) {
    if (w.rank() < 3 || w.dims()[0] != static_cast<int64_t>(p.s.size()))
      return why = "Conv output channels do not match the BatchNormalization", false;
    auto m = w.asMatrix();  // K x (C/g * kernel)
    for (int64_t r = 0; r < m.rows(); ++r) m.row(r) *= p.s[static_cast<size_t>(r)];
    return true;
  }

  static bool scaleGemm(const onnx::NodeProto& gemm, Tensor& w, const BnParams& p, std::string& why) {
    bool trans_b = false;
    if (const auto* a = findAttr(gemm, "transB")) trans_b = a->i() != 0;
    if (w.rank() != 2) return why = "Gemm weight is not 2-D", false;
    auto m = w.asMatrix();
    int64_t out = trans_b ? m.rows() : m.cols();
    if (out != static_cast<int64_t>(p.s.size())) return why = "Gemm outputs do not match the BatchNormalization", false;
    for (int64_t i = 0; i < out; ++i) {
      if (trans_b) m.row(i) *= p.s[static_cast<size_t>(i)];
      else m.col(i) *= p.s[static_cast<size_t>(i)];
    }
    return true;
  }

  // Writes in place when this node is the weight's only reader, else as a new initializer.
  static std::string writeWeight(Graph& graph, const std::string& name, const Tensor& t, const std::string& fresh) {
    if (graph.weightUseCount(name) <= 1 && !graph.isGraphInput(name)) {
      graph.setWeight(name, t);
      return name;
    }
    return graph.addInitializer(fresh, t);
  }

  static void setFloatAttr(onnx::NodeProto& n, const std::string& name, float v) {
    for (auto& a : *n.mutable_attribute())
      if (a.name() == name) { a.set_f(v); return; }
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

  static void removeValueInfo(onnx::GraphProto& g, const std::string& name) {
    auto* vi = g.mutable_value_info();
    for (int i = vi->size() - 1; i >= 0; --i)
      if (vi->Get(i).name() == name) vi->DeleteSubrange(i, 1);
  }
};

}  // namespace

using FoldBatchNormParams = NoParams;

Expected<std::unique_ptr<Pass>> createFoldBatchNorm(const NoParams&) {
  return std::unique_ptr<Pass>(std::make_unique<FoldBatchNorm>());
}

DNNC_PASS_ENTRY(FoldBatchNorm)

}  // namespace dnnc
