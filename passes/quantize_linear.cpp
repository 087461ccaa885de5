// quantize: linear 8-bit weights in QDQ form (ONNX's DequantizeLinear on integer initializers).
// Before: Conv/Gemm/MatMul(X, W)                       W float32
// After:  Conv/Gemm/MatMul(X, DequantizeLinear(Wq, scale, zero_point, axis))
//   symmetric:  Wq int8,  zero_point 0, scale = max|w| / 127, Wq = clamp(round(w / scale), -127, 127);
//   asymmetric: Wq uint8, range [min(w, 0), max(w, 0)], scale = range / 255,
//               zero_point = round(-min / scale), Wq = clamp(round(w / scale) + zero_point, 0, 255).
//   per-tensor: one scale; per-channel: one per output channel (Conv axis 0; Gemm axis 0 when
//   transB=1, else 1; MatMul axis 1), which needs opset 13 (per-axis DequantizeLinear).
// Zeros stay exactly zero (0 is representable in both schemes), so pruned weights stay pruned.
// Requires opset >= 10 (DequantizeLinear). Weights that are graph inputs or not float32 are skipped.
// layers= picks the layers by name or glob (lib/analysis/layer_names.h); dnnc compress uses it for INT8 per layer.
// Ref: Jacob et al., "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-
// Only Inference", CVPR 2018; Krishnamoorthi, "Quantizing deep convolutional networks for efficient
// inference: A whitepaper", 2018.
#include <algorithm>
#include <cmath>
#include <optional>

#include "lib/analysis/layer_names.h"
#include "lib/analysis/weight_layers.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/pass/pass.h"
#include "passes/pass_results.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

// A weight's float32 values: where the model holds them when it can (a copy of VGG-16's fc6 would be
// 411 MB beside the model), else a copy in `owned`.
struct WeightValues {
  std::span<const float> values;
  std::vector<int64_t> dims;
  Tensor owned;
  int64_t numel() const { return int64_t(values.size()); }
};

Expected<WeightValues> weightValues(Graph& graph, const std::string& name) {
  WeightValues w;
  if (std::span<float> in_place = graph.floatWeightInPlace(name); !in_place.empty()) {
    const onnx::TensorProto* p = graph.weightProto(name);
    w.values = in_place;
    w.dims.assign(p->dims().begin(), p->dims().end());
    return w;
  }
  DNNC_ASSIGN(w.owned, graph.readWeight(name));
  w.values = std::span<const float>(w.owned.data<float>(), size_t(w.owned.numel()));
  w.dims = w.owned.dims();
  return w;
}

struct Quantized {
  Tensor q;                              // int8 or uint8, W's shape
  std::vector<float> scale;              // per channel (or one)
  std::vector<int32_t> zero_point;       // idem
  double sse = 0, signal = 0;
};

}  // namespace

struct QuantizeLinearParams {
  std::string granularity, scheme;
  std::optional<std::string> layers;
  static const ParamFields<QuantizeLinearParams>& fields();
};

namespace {

class QuantizeLinear : public Pass {
 public:
  QuantizeLinear(const QuantizeLinearParams& p, LayerSelector filter)
      : per_channel_(p.granularity == "per-channel"), asymmetric_(p.scheme == "asymmetric"), filter_(std::move(filter)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    const int64_t opset = model.opsetVersion();
    if (opset != 0 && opset < 10) return Error(Exit::Input, "DequantizeLinear needs opset 10 or later, the model has ", opset);
    if (per_channel_ && opset != 0 && opset < 13)
      return Error(Exit::Input, "per-channel DequantizeLinear needs opset 13 or later, the model has ", opset)
          .withHint("use granularity=per-tensor");
    Graph graph(model.graph(), model.base_dir);
    int done = 0;
    double sse = 0, signal = 0;
    WeightLayers all = enumerateWeightLayers(graph);
    for (const auto& s : all.skipped) ctx.log->skip(s.node, s.reason);
    std::vector<std::string> known;
    for (const WeightLayer& l : all.layers) {
      known.insert(known.end(), l.aliases.begin(), l.aliases.end());
      if (!filter_.matches(l.aliases)) continue;
      const std::string& w_name = l.weight;
      if (graph.isGraphInput(w_name)) { ctx.log->skip(l.name, "weight is also a graph input"); continue; }
      // The rank from the proto, before the values are touched (an external weight is read in to be viewed).
      const onnx::TensorProto* proto = graph.weightProto(w_name);
      if (proto && (proto->dims_size() == 0 || (per_channel_ && proto->dims_size() < 2))) {
        ctx.log->skip(l.name, "weight has no channel axis");
        continue;
      }
      DNNC_ASSIGN(WeightValues w, weightValues(graph, w_name));
      const int axis = l.output_axis;
      if (w.dims.empty() || (per_channel_ && w.dims.size() < 2)) { ctx.log->skip(l.name, "weight has no channel axis"); continue; }
      // A scale from an infinite range, or NaN, quantizes every value to garbage: refused, not written.
      if (!std::all_of(w.values.begin(), w.values.end(), [](float v) { return std::isfinite(v); }))
        return Error(Exit::Input, "weight '", w_name, "' of ", l.name,
                     " holds non-finite values (inf or NaN), which int8 cannot represent");
      Quantized qz = quantize(w, per_channel_ ? axis : -1);
      const int64_t numel = w.numel();
      w = {};  // a view of the stored weight, which rewrite removes
      rewrite(graph, w_name, qz, axis);
      ++done;
      sse += qz.sse;
      signal += qz.signal;
      ctx.log->rewrite("quantize to QDQ", {l.name},
                       QuantizedLayerResult{.weight = w_name,
                                            .bits = 8,
                                            .scales = int64_t(qz.scale.size()),
                                            .mse = qz.sse / double(numel),
                                            .sqnr_db = qz.sse > 0 ? std::optional<double>(10 * std::log10(qz.signal / qz.sse)) : std::nullopt});
    }
    DNNC_TRY(filter_.checkAllMatched(known));
    ctx.log->summary = {{"layers", done}, {"granularity", per_channel_ ? "per-channel" : "per-tensor"},
                        {"scheme", asymmetric_ ? "asymmetric" : "symmetric"},
                        {"sqnr_db", sse > 0 ? nlohmann::json(10 * std::log10(signal / sse)) : nlohmann::json(nullptr)}};
    if (done == 0) return PreservedAnalyses::all();
    DNNC_TRY(graph.compact());
    return PreservedAnalyses::none();
  }

 private:
  bool per_channel_, asymmetric_;
  LayerSelector filter_;

  // axis < 0: one scale for the whole tensor.
  Quantized quantize(const WeightValues& w, int axis) const {
    Quantized r;
    const auto& dims = w.dims;
    int64_t channels = axis < 0 ? 1 : dims[size_t(axis)];
    int64_t inner = 1;  // elements between consecutive channel indices
    for (size_t d = size_t(std::max(axis, 0)) + 1; d < dims.size(); ++d) inner *= dims[d];
    if (axis < 0) inner = w.numel();
    auto channelOf = [&](int64_t i) { return axis < 0 ? 0 : (i / inner) % channels; };
    std::vector<float> lo(size_t(channels), 0.0f), hi(size_t(channels), 0.0f);
    const float* x = w.values.data();
    for (int64_t i = 0; i < w.numel(); ++i) {
      auto c = size_t(channelOf(i));
      lo[c] = std::min(lo[c], x[i]);
      hi[c] = std::max(hi[c], x[i]);
    }
    r.scale.resize(size_t(channels));
    r.zero_point.resize(size_t(channels));
    for (size_t c = 0; c < size_t(channels); ++c) {
      float s = asymmetric_ ? (hi[c] - lo[c]) / 255.0f : std::max(-lo[c], hi[c]) / 127.0f;
      if (!(s > 0) || !std::isfinite(s)) s = 1.0f;  // an all-zero channel
      r.scale[c] = s;
      r.zero_point[c] = asymmetric_ ? int32_t(std::clamp(std::nearbyint(-lo[c] / s), 0.0f, 255.0f)) : 0;
    }
    r.q = Tensor(asymmetric_ ? DType::Uint8 : DType::Int8, dims);
    for (int64_t i = 0; i < w.numel(); ++i) {
      auto c = size_t(channelOf(i));
      float s = r.scale[c];
      int32_t zp = r.zero_point[c];
      float v = std::nearbyint(x[i] / s) + float(zp);
      int32_t q = asymmetric_ ? int32_t(std::clamp(v, 0.0f, 255.0f)) : int32_t(std::clamp(v, -127.0f, 127.0f));
      if (asymmetric_) r.q.data<uint8_t>()[i] = uint8_t(q);
      else r.q.data<int8_t>()[i] = int8_t(q);
      double back = double(float(q - zp) * s);
      r.sse += (double(x[i]) - back) * (double(x[i]) - back);
      r.signal += double(x[i]) * double(x[i]);
    }
    return r;
  }

  void rewrite(Graph& graph, const std::string& w_name, const Quantized& qz, int axis) const {
    const bool scalar = qz.scale.size() == 1 && !per_channel_;
    std::vector<int64_t> pdims = scalar ? std::vector<int64_t>{} : std::vector<int64_t>{int64_t(qz.scale.size())};
    Tensor scale = Tensor::fromFloats(qz.scale, pdims);
    // A stored weight goes first: it is read no more (qz holds what was made of it), and freeing it
    // before the int8 copy is stored keeps the float and int8 forms of a layer from coexisting.
    auto constant = graph.producer(w_name);
    if (!constant) {
      auto* inits = graph.proto().mutable_initializer();
      for (int i = 0; i < inits->size(); ++i)
        if (inits->Get(i).name() == w_name) { inits->DeleteSubrange(i, 1); break; }
      graph.reindex();
    }
    Tensor zp(asymmetric_ ? DType::Uint8 : DType::Int8, pdims);
    for (size_t c = 0; c < qz.zero_point.size(); ++c) {
      if (asymmetric_) zp.data<uint8_t>()[c] = uint8_t(qz.zero_point[c]);
      else zp.data<int8_t>()[c] = int8_t(qz.zero_point[c]);
    }
    std::string q_name = graph.addInitializer(w_name + "_quantized", qz.q);
    std::string s_name = graph.addInitializer(w_name + "_scale", scale);
    std::string z_name = graph.addInitializer(w_name + "_zero_point", zp);
    std::string out = graph.uniqueName(w_name + "_dequantized");
    onnx::NodeProto dq;
    dq.set_op_type("DequantizeLinear");
    dq.set_name(graph.uniqueName(w_name + "_dequantize"));
    dq.add_input(q_name);
    dq.add_input(s_name);
    dq.add_input(z_name);
    dq.add_output(out);
    if (!scalar) {
      auto* a = dq.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis);
    }
    graph.replaceAllUses(w_name, out);
    graph.addNode(std::move(dq));
    if (constant) graph.erase(*constant);
  }
};

}  // namespace

const ParamFields<QuantizeLinearParams>& QuantizeLinearParams::fields() {
  using P = QuantizeLinearParams;
  static const auto f =
      ParamFields<P>()
          .field("granularity", &P::granularity, "per-tensor", "one scale per tensor or per output channel",
                 {"per-tensor", "per-channel"})
          .field("scheme", &P::scheme, "symmetric", "symmetric int8 (zero point 0) or asymmetric uint8",
                 {"symmetric", "asymmetric"})
          .field("layers", &P::layers, "", "comma-separated names or globs of the layers to quantize (default: every one)");
  return f;
}

Expected<std::unique_ptr<Pass>> createQuantizeLinear(const QuantizeLinearParams& params) {
  DNNC_ASSIGN(auto filter, LayerSelector::parse(params.layers.value_or(""), "quantize: layers"));
  return std::unique_ptr<Pass>(std::make_unique<QuantizeLinear>(params, std::move(filter)));
}

DNNC_PASS_ENTRY(QuantizeLinear)

}  // namespace dnnc
