// share: per-layer weight sharing by 1-D k-means (Han, Mao, Dally, "Deep Compression", ICLR 2016,
// Sec. 3; Hessian-weighted: Choi, El-Khamy, Lee, "Towards the Limit of Network Quantization", ICLR 2017).
// Before: Conv/Gemm/MatMul(X, W)                    W float32, any values
// After:  Conv/Gemm/MatMul(X, Gather(codebook, Cast(indices, to=int32)))
//         codebook float32 [K], indices uint8 (uint16 above 8 bits) with W's shape; ONNX Gather takes
//         only int32/int64 indices, so a Cast widens them (ONNX Runtime folds it once at load time).
//         With materialize=true W keeps its place and holds the codebook values instead.
// Pruned weights (exact zeros) stay exactly zero: they get index 0 -> codebook[0] = 0 and no
// centroid, so a B-bit layer with zeros has 2^B - 1 centroids for its nonzeros, else 2^B. A layer that
// already holds no more distinct nonzero values than that keeps them exactly (its codebook is those
// values): sharing a shared layer again at the same or more bits changes nothing.
// Params: bits (all layers; 0 = use conv-bits / fc-bits), conv-bits, fc-bits, layer-bits (per-layer
// overrides, 'fc1=4,conv*=6', first match wins), method
// (linear-lloyd: Lloyd from linear init, Han's best; optimal-1d: exact minimum-MSE clustering by
// dynamic programming; hessian: Lloyd weighted by OBD's Hessian diagonal, the cached HessianDiag
// analysis of lib/train, computed on the command's calibration data), max-iter, materialize, bias-bits
// (also each Conv/Gemm bias, clustered the same way and always written as plain floats: on a pruned and
// shared LeNet-300-100 the float biases are 6 % of the .dnnc).
// Skipped: weights that are not float32, are graph inputs, or hold no nonzero value.
#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/analysis/layer_names.h"
#include "lib/analysis/weight_layers.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/linalg/kmeans.h"
#include "lib/pass/pass.h"
#include "passes/pass_results.h"
#include "passes/registry.h"
#include "lib/train/hessian_diag.h"

namespace dnnc {

namespace {

struct Target {
  std::string weight;
  std::string node;
  bool conv = false;
  std::vector<std::string> aliases;  // every name that selects the layer (layer-bits)
  std::string bias = {};              // the bias initializer of a Conv, ConvTranspose or Gemm, if any
};

// layer-bits: "NAME=BITS,GLOB=BITS,..." in order; the first entry that selects a layer gives its bits.
struct LayerBits {
  LayerSelector selector;
  int bits = 0;
};

Expected<std::vector<LayerBits>> parseLayerBits(const std::string& text) {
  std::vector<LayerBits> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string entry = text.substr(start, comma - start);
    start = comma + 1;
    if (entry.empty()) continue;
    const size_t eq = entry.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size())
      return Error(Exit::Usage, "layer-bits: expected NAME=BITS, got '", entry, "'");
    int bits = 0;
    try {
      size_t used = 0;
      bits = std::stoi(entry.substr(eq + 1), &used);
      if (used != entry.size() - eq - 1) bits = -1;
    } catch (const std::exception&) {
      bits = -1;
    }
    if (bits < 1 || bits > 16) return Error(Exit::Usage, "layer-bits: bits must lie in 1..16, got '", entry, "'");
    out.push_back({LayerSelector::of({entry.substr(0, eq)}, "layer-bits"), bits});
  }
  return out;
}

struct Shared {
  std::vector<float> codebook;     // [0] = 0 when the layer has zeros
  std::vector<uint16_t> indices;   // per weight element (a codebook has at most 2^16 entries)
  double sse = 0, signal = 0;      // sum (w - q)^2 and sum w^2 over every element
  int64_t nonzeros = 0;
};

}  // namespace

struct ShareWeightsParams {
  int64_t bits = 0, conv_bits = 0, fc_bits = 0, max_iter = 0;
  std::string method;
  std::optional<std::string> layer_bits;
  bool materialize = false;
  int64_t bias_bits = 0;
  static const ParamFields<ShareWeightsParams>& fields();
};

namespace {

class ShareWeights : public Pass {
 public:
  explicit ShareWeights(const ShareWeightsParams& p)
      : bits_(int(p.bits)), conv_bits_(int(p.conv_bits)), fc_bits_(int(p.fc_bits)), method_(p.method),
        layer_bits_text_(p.layer_bits.value_or("")), max_iter_(int(p.max_iter)), materialize_(p.materialize),
        bias_bits_(int(p.bias_bits)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    for (int b : {bits_, conv_bits_, fc_bits_})
      if (b < 0 || b > 16) return Error(Exit::Usage, "bits must lie in 1..16 (0 for bits: per-kind), got ", b);
    if (bits_ == 0 && (conv_bits_ == 0 || fc_bits_ == 0))
      return Error(Exit::Usage, "conv-bits and fc-bits must lie in 1..16 when bits is 0");
    if (bias_bits_ < 0 || bias_bits_ > 16) return Error(Exit::Usage, "bias-bits must lie in 0..16, got ", bias_bits_);
    const train::HessianDiag* hessian = nullptr;
    if (method_ == "hessian") {
      // The Hessian of the weights as they are now: cached by an earlier pass (prune-obd) that left the
      // weights alone since, or computed here on the calibration data.
      hessian = ctx.analyses.findAny<train::HessianDiagAnalysis>();
      if (!hessian && !ctx.calibration)
        return Error(Exit::Usage, "method=hessian needs calibration data for the Hessian diagonal")
            .withHint("give --data (images the model takes), or use method=linear-lloyd");
      if (!hessian) {
        DNNC_ASSIGN(hessian, train::hessianDiagAnalysis(model, ctx, {ctx.calibration->data, ctx.calibration->limit}));
      }
    }
    Graph graph(model.graph(), model.base_dir);
    std::vector<Target> targets = findTargets(graph, *ctx.log);
    DNNC_ASSIGN(std::vector<LayerBits> layer_bits, parseLayerBits(layer_bits_text_));
    {
      std::vector<std::string> known;
      for (const Target& tg : targets) known.insert(known.end(), tg.aliases.begin(), tg.aliases.end());
      for (LayerBits& lb : layer_bits) {
        for (const Target& tg : targets) lb.selector.matches(tg.aliases);
        DNNC_TRY(lb.selector.checkAllMatched(known));
      }
    }
    int shared = 0;
    int64_t elements = 0;
    double sse = 0, signal = 0;
    for (size_t t = 0; t < targets.size(); ++t) {
      const Target& tg = targets[t];
      ctx.progress(int64_t(t), int64_t(targets.size()), tg.node);
      // The weight where the model holds it (no copy: a 400 MB layer stays 400 MB), else a copy.
      std::span<float> w = graph.floatWeightInPlace(tg.weight);
      Tensor copy;
      if (w.empty()) {
        DNNC_ASSIGN(copy, graph.readWeight(tg.weight));
        if (copy.dtype() != DType::Float) copy = Tensor::fromFloats(copy.toFloats(), copy.dims());
        w = copy.span<float>();
      }
      const std::vector<int64_t> dims = weightDims(graph, tg.weight, copy);
      int bits = bits_ > 0 ? bits_ : (tg.conv ? conv_bits_ : fc_bits_);
      for (LayerBits& lb : layer_bits)
        if (lb.selector.matches(tg.aliases)) {
          bits = lb.bits;
          break;
        }
      std::vector<float> importance;
      if (hessian) {
        const std::vector<float>* h = hessian->find(tg.weight);
        if (!h || h->size() != w.size())
          return Error(Exit::Input, "the Hessian diagonal has no entry of ", w.size(), " values for weight '",
                       tg.weight, "'");
        importance = *h;
      }
      auto clustered = cluster(w, bits, importance);
      if (!clustered)
        return std::move(clustered).error().context(strCat("weight '", tg.weight, "' of ", tg.node, " "));
      Shared s = std::move(*clustered);
      if (s.nonzeros == 0) {
        ctx.log->skip(tg.node, "weight '" + tg.weight + "' has no nonzero value");
        continue;
      }
      const int64_t numel = int64_t(w.size());
      DNNC_TRY(rewrite(graph, tg, w, copy.numel() > 0, dims, s));
      if (bias_bits_ > 0 && !tg.bias.empty()) DNNC_TRY(shareBias(graph, tg, *ctx.log));
      ++shared;
      elements += numel;
      sse += s.sse;
      signal += s.signal;
      ctx.log->rewrite(materialize_ ? "share (materialized)" : "share as Gather(codebook, indices)", {tg.node},
                       sharedResult(tg.weight, bits, s, numel));
    }
    ctx.log->summary = {{"layers", shared}, {"method", method_}, {"weights", elements},
                        {"mse", elements ? sse / double(elements) : 0.0},
                        {"sqnr_db", sse > 0 ? nlohmann::json(10 * std::log10(signal / sse)) : nlohmann::json(nullptr)}};
    if (shared == 0) return PreservedAnalyses::all();
    DNNC_TRY(graph.compact());
    // Materialized, only values changed; the Gather form adds nodes.
    return materialize_ ? weightValuesChanged() : PreservedAnalyses::none();
  }

 private:
  int bits_, conv_bits_, fc_bits_;
  std::string method_, layer_bits_text_;
  int max_iter_;
  bool materialize_;
  int bias_bits_;

  // The bias of tg clustered at bias-bits and written back as plain floats (a bias is small: the Gather
  // form's nodes would cost more than they save).
  Status shareBias(Graph& graph, const Target& tg, PassLog& log) const {
    std::span<float> b = graph.floatWeightInPlace(tg.bias);
    Tensor copy;
    if (b.empty()) {
      DNNC_ASSIGN(copy, graph.readWeight(tg.bias));
      if (copy.dtype() != DType::Float) return {};  // a float16 or double bias stays as it is
      b = copy.span<float>();
    }
    auto clustered = cluster(b, bias_bits_, {});
    if (!clustered) return std::move(clustered).error().context(strCat("bias '", tg.bias, "' of ", tg.node, " "));
    const Shared& s = *clustered;
    if (s.nonzeros == 0) return {};
    for (size_t i = 0; i < s.indices.size(); ++i) b[i] = s.codebook[s.indices[i]];
    if (copy.numel() > 0) graph.setWeight(tg.bias, copy);
    else graph.weightEditedInPlace(tg.bias);
    log.rewrite("share bias (materialized)", {tg.node}, sharedResult(tg.bias, bias_bits_, s, int64_t(b.size())));
    return {};
  }

  // What the report says of one shared tensor of `elements` values.
  static SharedLayerResult sharedResult(const std::string& name, int bits, const Shared& s, int64_t elements) {
    return SharedLayerResult{.weight = name,
                             .bits = bits,
                             .codebook_size = int64_t(s.codebook.size()),
                             .nonzeros = s.nonzeros,
                             .elements = elements,
                             .mse = s.sse / double(elements),
                             .sqnr_db = s.sse > 0 ? std::optional<double>(10 * std::log10(s.signal / s.sse)) : std::nullopt};
  }

  // Every weight layer (lib/analysis/weight_layers.h): convolutions take conv-bits, the rest fc-bits.
  static std::vector<Target> findTargets(const Graph& graph, PassLog& log) {
    std::vector<Target> out;
    WeightLayers all = enumerateWeightLayers(graph);
    for (const auto& s : all.skipped) log.skip(s.node, s.reason);
    for (const auto& l : all.layers) {
      if (graph.isGraphInput(l.weight)) {
        log.skip(l.name, "weight is also a graph input (it can be overridden)");
        continue;
      }
      // Conv, ConvTranspose and Gemm take their bias as input 2; a bias the graph computes is left alone.
      std::string bias;
      const onnx::NodeProto& n = graph.node(l.node);
      if (l.op != "MatMul" && n.input_size() > 2 && graph.isWeight(n.input(2)) && !graph.isGraphInput(n.input(2)))
        bias = n.input(2);
      out.push_back({l.weight, l.name, l.kind == LayerKind::Conv, l.aliases, bias});
    }
    return out;
  }

  // The dims of a weight: its TensorProto's, or the copy's.
  static std::vector<int64_t> weightDims(const Graph& graph, const std::string& weight, const Tensor& copy) {
    if (copy.numel() > 0) return copy.dims();
    const onnx::TensorProto* p = graph.weightProto(weight);
    return p ? std::vector<int64_t>(p->dims().begin(), p->dims().end()) : std::vector<int64_t>{};
  }

  // Clusters the nonzero values of w. Memory on a layer of n weights, nz of them nonzero: a copy of the
  // nonzero values (4 bytes each per nonzero) and 2-byte indices per weight; Hessian-weighted and optimal
  // k-means add an order and an assignment array (4 bytes each per nonzero), and the i-th nonzero's
  // position is found again by walking w, not stored.
  Expected<Shared> cluster(std::span<const float> w, int bits, const std::vector<float>& importance) const {
    Shared s;
    if (w.size() > std::numeric_limits<uint32_t>::max())
      return Error(Exit::Input, "a weight of ", w.size(), " elements is beyond sharing's 2^32 per layer");
    size_t nonzero = 0;
    bool finite = true;
    for (float v : w) {
      nonzero += v != 0.0f;
      finite = finite && std::isfinite(v);
    }
    // k-means has no answer for them (every mean, and the error, would be NaN): refused, not shared silently.
    if (!finite) return Error(Exit::Input, "holds non-finite values (inf or NaN), which k-means cannot cluster");
    s.nonzeros = int64_t(nonzero);
    const bool has_zeros = nonzero < w.size();
    const int k = has_zeros ? (1 << bits) - 1 : (1 << bits);
    const uint32_t offset = has_zeros ? 1 : 0;
    if (nonzero == 0) return s;
    if (std::vector<float> distinct = fewDistinctNonzero(w, size_t(k)); !distinct.empty()) {
      // Already within the codebook size: the values themselves are the exact clustering.
      if (has_zeros) s.codebook.push_back(0.0f);
      s.codebook.insert(s.codebook.end(), distinct.begin(), distinct.end());
      s.indices.assign(w.size(), 0);
      for (size_t i = 0; i < w.size(); ++i)
        if (w[i] != 0.0f)
          s.indices[i] =
              uint16_t(offset + uint32_t(std::lower_bound(distinct.begin(), distinct.end(), w[i]) - distinct.begin()));
      for (float x : w) s.signal += double(x) * x;
      return s;
    }
    if (method_ != "optimal-1d" && importance.empty()) {
      // Unweighted Lloyd straight on w: no copy, order or assignment arrays, each weight's cluster found
      // again from the clusters' value ranges.
      KMeans1DRanges km = lloydLinear1DNonzero(w, k, max_iter_);
      if (has_zeros) s.codebook.push_back(0.0f);
      s.codebook.insert(s.codebook.end(), km.centroids.begin(), km.centroids.end());
      s.indices.resize(w.size());
      km.assignNonzero(w, s.indices, uint16_t(offset));
      accumulateError(w, s);
      return s;
    }
    // Sized once (a layer can hold 100M weights: no growth copies).
    std::vector<float> values, weights;
    values.reserve(nonzero);
    if (!importance.empty()) weights.reserve(nonzero);
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] == 0.0f) continue;
      values.push_back(w[i]);
      if (!importance.empty()) weights.push_back(std::max(importance[i], 0.0f));
    }
    // Calls f(position, r) for the r-th nonzero of w, in order.
    auto forEachNonzero = [&](auto&& f) {
      size_t r = 0;
      for (size_t i = 0; i < w.size(); ++i)
        if (w[i] != 0.0f) f(i, r++);
    };
    if (!weights.empty()) {
      // Hessian entries of exactly zero would leave a cluster without a defined mean: floor them.
      float top = *std::max_element(weights.begin(), weights.end());
      float floor = top > 0 ? top * 1e-8f : 1.0f;
      for (auto& h : weights) h = std::max(h, floor);
    }
    KMeans1D km;
    if (method_ == "optimal-1d") {
      DNNC_ASSIGN(km, optimalKMeans1D(values, k, weights));
    } else {
      km = lloydLinear1D(values, k, max_iter_, weights);
    }
    if (has_zeros) s.codebook.push_back(0.0f);
    s.codebook.insert(s.codebook.end(), km.centroids.begin(), km.centroids.end());
    std::vector<float>().swap(values);
    s.indices.assign(w.size(), 0);
    forEachNonzero([&](size_t i, size_t r) { s.indices[i] = uint16_t(km.assignment[r] + offset); });
    accumulateError(w, s);
    return s;
  }

  static void accumulateError(std::span<const float> w, Shared& s) {
    for (size_t i = 0; i < w.size(); ++i) {
      double q = s.codebook[s.indices[i]], x = w[i];
      s.sse += (x - q) * (x - q);
      s.signal += x * x;
    }
  }

  // The sorted distinct nonzero values of w when there are at most k of them, else empty.
  static std::vector<float> fewDistinctNonzero(std::span<const float> w, size_t k) {
    std::vector<float> distinct;
    for (float v : w) {
      if (v == 0.0f) continue;
      auto it = std::lower_bound(distinct.begin(), distinct.end(), v);
      if (it != distinct.end() && *it == v) continue;
      if (distinct.size() == k) return {};
      distinct.insert(it, v);
    }
    return distinct;
  }

  // Empties the raw_data of the initializer `name` (the initializer itself is removed by rewrite).
  static void releaseStoredFloats(Graph& graph, const std::string& name) {
    for (auto& init : *graph.proto().mutable_initializer())
      if (init.name() == name) {
        std::string().swap(*init.mutable_raw_data());
        return;
      }
  }

  // `w` is the weight in the model unless `is_copy`; materialized values are written where it is.
  Status rewrite(Graph& graph, const Target& tg, std::span<float> w, bool is_copy, const std::vector<int64_t>& dims,
                 const Shared& s) const {
    if (materialize_) {
      for (size_t i = 0; i < s.indices.size(); ++i) w[i] = s.codebook[s.indices[i]];
      if (is_copy) {
        Tensor q(DType::Float, dims);
        std::copy(w.begin(), w.end(), q.data<float>());
        graph.setWeight(tg.weight, q);
      } else {
        graph.weightEditedInPlace(tg.weight);
      }
      return {};
    }
    // The indices say everything now: the weight's stored floats go before the indices are stored, so that
    // a layer never holds its floats, its indices and their stored copy at once (VGG-16's fc6: 411 MB).
    if (!is_copy) releaseStoredFloats(graph, tg.weight);
    const bool narrow = s.codebook.size() <= 256;
    Tensor idx(narrow ? DType::Uint8 : DType::Uint16, dims);
    for (size_t i = 0; i < s.indices.size(); ++i) {
      if (narrow) idx.data<uint8_t>()[i] = uint8_t(s.indices[i]);
      else idx.data<uint16_t>()[i] = uint16_t(s.indices[i]);
    }
    Tensor book = Tensor::fromFloats(s.codebook, {int64_t(s.codebook.size())});
    std::string book_name = graph.addInitializer(tg.weight + "_codebook", book);
    std::string idx_name = graph.addInitializer(tg.weight + "_indices", idx);
    std::string wide = graph.uniqueName(tg.weight + "_indices_i32");
    std::string out = graph.uniqueName(tg.weight + "_shared");

    onnx::NodeProto cast;
    cast.set_op_type("Cast");
    cast.set_name(graph.uniqueName(tg.weight + "_share_cast"));
    cast.add_input(idx_name);
    cast.add_output(wide);
    auto* to = cast.add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(onnx::TensorProto::INT32);
    onnx::NodeProto gather;
    gather.set_op_type("Gather");
    gather.set_name(graph.uniqueName(tg.weight + "_share_gather"));
    gather.add_input(book_name);
    gather.add_input(wide);
    gather.add_output(out);
    auto* axis = gather.add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(0);

    auto constant = graph.producer(tg.weight);  // a Constant node holding the weight, if any
    graph.replaceAllUses(tg.weight, out);
    graph.addNode(std::move(cast));
    graph.addNode(std::move(gather));
    if (constant) {
      graph.erase(*constant);
    } else {
      auto* inits = graph.proto().mutable_initializer();
      for (int i = 0; i < inits->size(); ++i)
        if (inits->Get(i).name() == tg.weight) { inits->DeleteSubrange(i, 1); break; }
      graph.reindex();
    }
    return {};
  }
};

}  // namespace

const ParamFields<ShareWeightsParams>& ShareWeightsParams::fields() {
  using P = ShareWeightsParams;
  static const auto f =
      ParamFields<P>()
          .field("bits", &P::bits, "0", "bits per weight index for every layer (1..16); 0: conv-bits / fc-bits")
          .field("conv-bits", &P::conv_bits, "8", "bits per index for Conv layers when bits=0 (Han: 8)")
          .field("fc-bits", &P::fc_bits, "5", "bits per index for Gemm/MatMul layers when bits=0 (Han: 5)")
          .field("layer-bits", &P::layer_bits, "",
                 "per-layer bits overriding bits/conv-bits/fc-bits: 'NAME=BITS,GLOB=BITS' (first match wins)")
          .field("method", &P::method, "linear-lloyd",
                 "clustering: Lloyd from linear init, exact 1-D optimum, or Hessian-weighted",
                 {"linear-lloyd", "optimal-1d", "hessian"})
          .field("max-iter", &P::max_iter, "300", "Lloyd iterations at most")
          .field("materialize", &P::materialize, "false", "write the shared values as plain float weights instead of Gather")
          .field("bias-bits", &P::bias_bits, "0",
                 "also share each Conv/Gemm bias at this many bits (written as plain floats; 0: biases untouched)");
  return f;
}

Expected<std::unique_ptr<Pass>> createShareWeights(const ShareWeightsParams& params) {
  return std::unique_ptr<Pass>(std::make_unique<ShareWeights>(params));
}

DNNC_PASS_ENTRY(ShareWeights)

}  // namespace dnnc
