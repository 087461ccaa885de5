// extractLayers(): Conv / Gemm / MatMul nodes of an ONNX model as LayerShapes; activation sparsity from
// flags, `dnnc stats --json` or measurements; mapping-file names resolved against the model.
#include "lib/energy/onnx_layers.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "lib/analysis/layer_names.h"
#include "lib/exec/evaluate_node.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/ir/op_traits.h"
#include "lib/ir/shapes.h"

namespace dnnc::energy {

namespace {

int countLayerNodes(const onnx::GraphProto& g) {
  int n = 0;
  for (const auto& node : g.node()) {
    if (const LayerRule rule = layerRule(node.op_type()); isDenseLayerRule(rule) || rule == LayerRule::ConvTranspose) ++n;
    for (const auto& a : node.attribute()) {
      if (a.has_g()) n += countLayerNodes(a.g());
      for (const auto& sub : a.graphs()) n += countLayerNodes(sub);
    }
  }
  return n;
}

class Extractor {
 public:
  Extractor(const Model& model, const ResolvedShapes& resolved, const OnnxLayerOptions& options)
      // Graph indexes a mutable proto; extraction only reads it (no mutating method is called), which saves
      // copying every weight of the caller's model.
      : graph_(const_cast<onnx::GraphProto&>(model.graph()), model.base_dir.empty() ? "." : model.base_dir),
        model_(model),
        ucnn_group_(options.ucnn_reuse_group),
        shapes_(resolved.shapes),
        model_batch_(resolved.batch),
        batch_(options.batch > 0 ? options.batch : int(std::min<int64_t>(resolved.batch, INT_MAX))),
        unknown_inputs_(resolved.unknownInputs()) {}

  Expected<OnnxLayers> run();

 private:
  // Whether `value` is a stored constant or computed from stored constants alone (no data, no subgraph,
  // a short chain): a shared model's Gather(codebook, Cast(indices)), DequantizeLinear, a Transpose.
  bool isConstantValue(const std::string& value, int depth = 0) const {
    if (value.empty()) return false;
    if (graph_.isWeight(value)) return !graph_.isGraphInput(value);
    auto producer = graph_.producer(value);
    if (!producer || depth >= kMaxWeightChain) return false;
    const auto& node = graph_.node(*producer);
    if (!isDefaultDomain(node)) return false;
    if (node.op_type() == "Constant") return true;
    for (const auto& a : node.attribute())
      if (a.has_g() || a.graphs_size() > 0) return false;
    for (const auto& in : node.input())
      if (!in.empty() && !isConstantValue(in, depth + 1)) return false;
    return true;
  }
  // The Gather or DequantizeLinear on a constant weight's chain, or null (OnnxLayerInfo::weights_expanded_by).
  const onnx::NodeProto* expandingNode(const std::string& value, int depth = 0) const {
    auto producer = graph_.producer(value);
    if (graph_.isWeight(value) || !producer || depth >= kMaxWeightChain) return nullptr;
    const auto& node = graph_.node(*producer);
    if (node.op_type() == "Gather" || node.op_type() == "DequantizeLinear") return &node;
    for (const auto& in : node.input())
      if (!in.empty())
        if (const onnx::NodeProto* e = expandingNode(in, depth + 1)) return e;
    return nullptr;
  }
  // Bits per value of an integer tensor type (quantized data), or 0.
  static int integerBits(int32_t data_type) {
    switch (data_type) {
      case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8: return 8;
      case onnx::TensorProto::INT16: case onnx::TensorProto::UINT16: return 16;
      default: return 0;
    }
  }
  // Bits per value of the integer data a DequantizeLinear reads: the stored tensor's type, else the type
  // of the QuantizeLinear that made it (its zero point's, uint8 without one).
  int dequantizedBits(const onnx::NodeProto& dq) const {
    const std::string& x = dq.input(0);
    if (const onnx::TensorProto* p = graph_.weightProto(x)) return integerBits(p->data_type());
    auto producer = graph_.producer(x);
    if (!producer) return 0;
    const auto& q = graph_.node(*producer);
    if (q.op_type() != "QuantizeLinear") return 0;
    if (q.input_size() > 2 && !q.input(2).empty())
      if (const onnx::TensorProto* zp = graph_.weightProto(q.input(2))) return integerBits(zp->data_type());
    return 8;
  }
  // The width at which a weight is stored, when narrower than its float values (LayerShape::weight_bits):
  // codebook indices of a Gather(codebook, indices), the integers of a DequantizeLinear, or, for plain
  // weights with few distinct values (a materialized share), the index width a codebook would need. A
  // layer counts as shared only with at most 256 values, each used four times on average, so that a
  // small unshared layer never does.
  int storedWeightBits(const std::string& weight, const Tensor& values) const {
    if (const onnx::NodeProto* e = expandingNode(weight)) {
      if (e->op_type() == "DequantizeLinear") return dequantizedBits(*e);
      auto dims = dimsOf(e->input(0));
      if (!dims) return 0;
      int64_t entries = 1;
      for (int64_t d : *dims) entries *= d;
      return indexBits(entries);
    }
    const std::vector<float> v = values.toFloats();
    const std::size_t limit = std::min<std::size_t>(256, v.size() / 4);
    std::vector<float> seen;  // sorted; an unshared layer leaves after limit + 1 values
    for (float x : v) {
      auto it = std::lower_bound(seen.begin(), seen.end(), x);
      if (it != seen.end() && *it == x) continue;
      if (seen.size() == limit) return 0;
      seen.insert(it, x);
    }
    return seen.empty() ? 0 : indexBits(int64_t(seen.size()));
  }
  static int indexBits(int64_t entries) {
    int bits = 1;
    while ((int64_t(1) << bits) < entries) ++bits;
    return bits;
  }
  // The width of a layer's input when a DequantizeLinear of integers makes it (a QDQ model's activations).
  int storedInputBits(const std::string& input) const {
    auto producer = graph_.producer(input);
    if (!producer) return 0;
    const auto& node = graph_.node(*producer);
    return node.op_type() == "DequantizeLinear" ? dequantizedBits(node) : 0;
  }
  // The value of a constant weight (isConstantValue), computing it when the graph does.
  Expected<Tensor> constantValue(const std::string& value) const {
    if (graph_.isWeight(value)) return graph_.readWeight(value);
    auto producer = graph_.producer(value);
    if (!producer) return Error(Exit::Input, "cannot evaluate the weight '", value, "': no producer");
    const auto& node = graph_.node(*producer);
    std::map<std::string, Tensor> known;
    for (const auto& in : node.input()) {
      if (in.empty()) continue;
      DNNC_ASSIGN(known[in], constantValue(in));
    }
    DNNC_ASSIGN(std::vector<Tensor> outs, evaluateNode(node, known, model_.proto));
    for (int k = 0; k < node.output_size() && k < int(outs.size()); ++k)
      if (node.output(k) == value) return std::move(outs[size_t(k)]);
    return Error(Exit::Input, "cannot evaluate the weight '", value, "'");
  }
  static constexpr int kMaxWeightChain = 8;
  // Dims of a value: a weight's declared dims, else the resolved shape; nullopt when unknown.
  std::optional<std::vector<int64_t>> dimsOf(const std::string& value) const {
    if (value.empty()) return std::nullopt;
    if (const onnx::TensorProto* p = graph_.weightProto(value))
      return std::vector<int64_t>(p->dims().begin(), p->dims().end());
    const ValueShape* s = shapes_.find(value);
    if (!s || !s->known_rank) return std::nullopt;
    return s->dims;
  }
  // Why a shape is unknown, for the skipped list: the inputs whose dims are unknown when there are any.
  std::string unknownShape(const std::string& what) const {
    if (unknown_inputs_.empty()) return strCat(what, " is unknown (shape resolution could not tell it)");
    std::string inputs;
    for (const auto& i : unknown_inputs_) inputs += (inputs.empty() ? "" : ", ") + i;
    return strCat(what, " depends on unknown input dims (", inputs, "); give --input-shape");
  }
  // Rows of a product split into samples: (N, positions per sample) for `rows` rows of the model's batch.
  std::pair<int, int> samplesAndPositions(int64_t rows) const {
    if (model_batch_ > 0 && rows % model_batch_ == 0) return {batch_, int(rows / model_batch_)};
    return {batch_, int(rows)};
  }
  // Each returns "" and fills `l`, or the reason the node cannot be modelled.
  std::string conv(const onnx::NodeProto& n, LayerShape& l) const;
  std::string fc(const onnx::NodeProto& n, LayerShape& l) const;
  std::string activationProduct(const onnx::NodeProto& n, LayerShape& l) const;
  std::string recurrent(const onnx::NodeProto& n, std::vector<LayerShape>& parts) const;
  Status addLayer(OnnxLayers& out, const onnx::NodeProto& n, LayerShape l, const std::string& weight,
                  const std::string& part, bool reads_network_input);
  bool isRelu(const onnx::NodeProto& n) const;
  Expected<UcnnCounts> ucnnCounts(const onnx::NodeProto& n, const LayerShape& l, const Tensor& w) const;
  void linkLayers(OnnxLayers& out, const std::map<NodeId, int>& layer_of) const;

  Graph graph_;
  const Model& model_;
  int ucnn_group_;
  const ShapeMap& shapes_;
  int64_t model_batch_;
  int batch_;
  std::vector<std::string> unknown_inputs_;
  std::vector<std::string> node_names_;  // per layer, for the short-name collision check
};

std::string Extractor::conv(const onnx::NodeProto& n, LayerShape& l) const {
  if (n.input_size() < 2) return "Conv without a weight input";
  auto w = dimsOf(n.input(1));
  if (!w) return "the weight's shape is unknown";
  const size_t rank = w->size();
  if (rank == 5) return "3-D convolution: the row-stationary model covers 1-D and 2-D convolutions only";
  if (rank != 3 && rank != 4) return strCat("weight of rank ", rank, " (expected 3 or 4)");
  for (int64_t d : *w)
    if (d <= 0 || d > INT_MAX) return strCat("the weight's shape ", formatDims(*w), " is not static");
  auto x = dimsOf(n.input(0));
  if (!x || x->size() != rank) return unknownShape("the input's shape");
  const size_t k = rank - 2;  // spatial axes
  for (size_t i = 2; i < rank; ++i)
    if ((*x)[i] <= 0 || (*x)[i] > INT_MAX) return unknownShape(strCat("the input's spatial size ", formatDims(*x)));
  const int64_t group = attrInt(n, "group", 1);
  if (group < 1) return strCat("group=", group);
  if ((*x)[1] > 0 && (*x)[1] != (*w)[1] * group)
    return strCat("the input has ", (*x)[1], " channels, the weight expects ", (*w)[1] * group);
  if ((*w)[0] % group != 0) return strCat((*w)[0], " filters do not split into ", group, " groups");
  std::vector<int64_t> strides = attrInts(n, "strides"), dilations = attrInts(n, "dilations"),
                       pads = attrInts(n, "pads");
  if (strides.empty()) strides.assign(k, 1);
  if (dilations.empty()) dilations.assign(k, 1);
  if (pads.empty()) pads.assign(2 * k, 0);
  if (strides.size() != k || dilations.size() != k || pads.size() != 2 * k)
    return "strides, dilations or pads do not match the kernel's rank";
  for (size_t i = 0; i < k; ++i)
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + k] < 0)
      return "a stride or dilation below 1, or a negative pad";
  const std::string auto_pad = findAttr(n, "auto_pad") ? findAttr(n, "auto_pad")->s() : "NOTSET";
  for (size_t i = 0; i < k; ++i) {
    const int64_t in = (*x)[2 + i], eff = ((*w)[2 + i] - 1) * dilations[i] + 1;
    if (auto_pad == "VALID") {
      pads[i] = pads[i + k] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (in + strides[i] - 1) / strides[i];
      const int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + eff - in);
      const int64_t small = total / 2, large = total - small;
      pads[i] = auto_pad == "SAME_UPPER" ? small : large;
      pads[i + k] = auto_pad == "SAME_UPPER" ? large : small;
    } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
      return strCat("unknown auto_pad '", auto_pad, "'");
    }
    if (in + pads[i] + pads[i + k] < eff) return "the kernel is larger than the padded input";
  }
  l.kind = LayerShape::Kind::Conv;
  l.N = batch_;
  l.M = int((*w)[0]);
  l.G = int(group);
  l.C = int((*w)[1]);
  if (rank == 4) {
    l.H = int((*x)[2]);
    l.W = int((*x)[3]);
    l.R = int((*w)[2]);
    l.S = int((*w)[3]);
    l.stride_h = int(strides[0]);
    l.stride_w = int(strides[1]);
    l.dilation_h = int(dilations[0]);
    l.dilation_w = int(dilations[1]);
    l.pad_top = int(pads[0]);
    l.pad_left = int(pads[1]);
    l.pad_bottom = int(pads[2]);
    l.pad_right = int(pads[3]);
  } else {  // 1-D: a 1 x L map, a 1 x S filter
    l.H = 1;
    l.W = int((*x)[2]);
    l.R = 1;
    l.S = int((*w)[2]);
    l.stride_w = int(strides[0]);
    l.dilation_w = int(dilations[0]);
    l.pad_left = int(pads[0]);
    l.pad_right = int(pads[1]);
  }
  l.E = (l.Hp() - l.Reff()) / l.stride_h + 1;
  l.F = (l.Wp() - l.Seff()) / l.stride_w + 1;
  if (auto y = dimsOf(n.output(0)); y && y->size() == rank) {
    const int64_t e = rank == 4 ? (*y)[2] : 1, f = (*y)[rank - 1];
    if ((e > 0 && e != l.E) || (f > 0 && f != l.F))
      return strCat("the inferred output ", formatDims(*y), " disagrees with the convolution arithmetic (E=", l.E,
                    ", F=", l.F, ")");
  }
  return "";
}

std::string Extractor::fc(const onnx::NodeProto& n, LayerShape& l) const {
  const bool gemm = n.op_type() == "Gemm";
  if (n.input_size() < 2) return "fewer than two inputs";
  if (!isConstantValue(n.input(1))) {
    if (isConstantValue(n.input(0))) return "the constant operand comes first (W x X): not modelled";
    return activationProduct(n, l);
  }
  auto b = dimsOf(n.input(1));
  if (!b) {  // a computed weight whose shape inference could not tell: evaluate it
    auto t = constantValue(n.input(1));
    if (!t) return strCat("the weight cannot be evaluated: ", t.error().message());
    b = t->dims();
  }
  if (!b || b->size() != 2) return strCat("weight of rank ", b ? b->size() : 0, ": only 2-D weights are modelled");
  const bool trans_b = gemm && attrInt(n, "transB", 0) != 0;
  const int64_t in = trans_b ? (*b)[1] : (*b)[0], out = trans_b ? (*b)[0] : (*b)[1];
  if (in <= 0 || out <= 0 || in > INT_MAX || out > INT_MAX) return "the weight's shape is not static";
  auto a = dimsOf(n.input(0));
  if (!a || a->empty()) return unknownShape("the input's shape");
  // Rows: every dim of A but the reduced one (Gemm's M; MatMul's batch and token dims), each row one
  // product with the same weights.
  int64_t rows = 1;
  if (gemm) {
    if (a->size() != 2) return strCat("Gemm input of rank ", a->size());
    rows = (*a)[attrInt(n, "transA", 0) != 0 ? 1 : 0];
  } else {
    if (a->back() > 0 && a->back() != in) return strCat("the input's last dim ", a->back(), " is not the weight's ", in);
    for (size_t i = 0; i + 1 < a->size(); ++i) rows = (*a)[i] < 0 ? -1 : rows * (*a)[i];
  }
  if (rows <= 0) return unknownShape(strCat("the input's shape ", formatDims(*a)));
  if (rows > INT_MAX) return "more rows than the model handles";
  auto [samples, positions] = samplesAndPositions(rows);
  l = fcLayer(l.name, samples, int(in), int(out), positions);
  return "";
}

// MatMul of two computed operands (attention's Q K^T and A V): a grouped 1x1 convolution whose filters
// are the second operand, one group per matrix of the batch dims, over the first operand's rows.
std::string Extractor::activationProduct(const onnx::NodeProto& n, LayerShape& l) const {
  if (n.op_type() != "MatMul") return "both operands are computed: only MatMul of two activations is modelled";
  auto a = dimsOf(n.input(0)), b = dimsOf(n.input(1));
  if (!a || !b || a->size() < 2 || b->size() < 2) return unknownShape("an operand's shape");
  for (int64_t d : *a)
    if (d <= 0) return unknownShape(strCat("the first operand's shape ", formatDims(*a)));
  for (int64_t d : *b)
    if (d <= 0) return unknownShape(strCat("the second operand's shape ", formatDims(*b)));
  const int64_t k = b->at(b->size() - 2), cols = b->back(), rows_per_matrix = a->at(a->size() - 2);
  if (a->back() != k) return strCat("operands ", formatDims(*a), " x ", formatDims(*b), " do not multiply");
  int64_t matrices = 1;
  for (size_t i = 0; i + 2 < a->size(); ++i) matrices *= (*a)[i];
  int64_t b_matrices = 1;
  for (size_t i = 0; i + 2 < b->size(); ++i) b_matrices *= (*b)[i];
  if (b_matrices != matrices) return strCat("broadcast batch dims ", formatDims(*a), " x ", formatDims(*b), " are not modelled");
  const int64_t groups = model_batch_ > 0 && matrices % model_batch_ == 0 ? matrices / model_batch_ : matrices;
  if (groups * cols > INT_MAX || k > INT_MAX || rows_per_matrix > INT_MAX) return "more rows than the model handles";
  l = fcLayer(l.name, batch_, int(k), int(groups * cols), int(rows_per_matrix));
  l.G = int(groups);
  return "";
}

// LSTM, GRU, RNN: per direction, the input projection W [gates*H, I] and the recurrence R [gates*H, H], each
// applied at every time step: two fully-connected layers over the steps.
std::string Extractor::recurrent(const onnx::NodeProto& n, std::vector<LayerShape>& parts) const {
  if (n.input_size() < 3 || !graph_.isWeight(n.input(1)) || !graph_.isWeight(n.input(2)))
    return "its W and R weights are computed, not stored";
  auto x = dimsOf(n.input(0)), w = dimsOf(n.input(1)), r = dimsOf(n.input(2));
  if (!x || x->size() != 3) return unknownShape("the input's shape");
  if (!w || !r || w->size() != 3 || r->size() != 3) return "W or R is not [directions, gates x hidden, features]";
  const bool batch_major = attrInt(n, "layout", 0) != 0;
  const int64_t steps = (*x)[batch_major ? 1 : 0], rows_batch = (*x)[batch_major ? 0 : 1];
  if (steps <= 0 || rows_batch <= 0) return unknownShape(strCat("the input's shape ", formatDims(*x)));
  const int64_t dirs = (*w)[0], gates_hidden = (*w)[1], features = (*w)[2], hidden = (*r)[2];
  if (dirs <= 0 || gates_hidden <= 0 || features <= 0 || hidden <= 0) return "W or R has a symbolic dim";
  auto [samples, positions] = samplesAndPositions(rows_batch * steps);
  parts.push_back(fcLayer("", samples, int(features), int(dirs * gates_hidden), positions));
  parts.push_back(fcLayer("", samples, int(hidden), int(dirs * gates_hidden), positions));
  return "";
}

bool Extractor::isRelu(const onnx::NodeProto& n) const {
  if (n.op_type() == "Relu") return true;
  if (n.op_type() != "Clip") return false;
  if (const auto* a = findAttr(n, "min")) return a->f() >= 0;  // opset < 11
  if (n.input_size() < 2 || n.input(1).empty() || !graph_.isWeight(n.input(1))) return false;
  auto t = graph_.readWeight(n.input(1));
  if (!t || t->numel() != 1) return false;
  return t->toFloats()[0] >= 0;
}

void Extractor::linkLayers(OnnxLayers& out, const std::map<NodeId, int>& layer_of) const {
  for (auto& info : out.info) {
    std::deque<std::string> queue{info.output};
    std::set<std::string> seen{info.output};
    while (!queue.empty()) {
      std::string v = queue.front();
      queue.pop_front();
      for (const Use& u : graph_.consumers(v)) {
        const auto& node = graph_.node(u.node);
        if (auto it = layer_of.find(u.node); it != layer_of.end()) {
          if (u.input_index == 0) info.next.push_back(it->second);
          continue;
        }
        if (!isDefaultDomain(node) || !keepsFeatureMap(node.op_type())) continue;
        if (u.input_index != 0 && node.op_type() != "Concat") continue;
        if (isRelu(node)) info.relu_after = true;
        for (const auto& o : node.output())
          if (!o.empty() && seen.insert(o).second) queue.push_back(o);
      }
    }
    std::sort(info.next.begin(), info.next.end());
    info.next.erase(std::unique(info.next.begin(), info.next.end()), info.next.end());
  }
}

Expected<OnnxLayers> Extractor::run() {
  OnnxLayers out;
  std::map<NodeId, int> layer_of;
  std::set<std::string> raw;  // values computed from the network input alone, through no layer
  for (const auto& v : graph_.proto().input())
    if (!graph_.isWeight(v.name())) raw.insert(v.name());
  for (NodeId id : graph_.nodes()) {
    const auto& n = graph_.node(id);
    const std::string& op = n.op_type();
    bool is_layer = false;
    if (isDefaultDomain(n)) {
      std::string reason;
      LayerShape l;
      l.name = nodeLabel(n);
      std::vector<LayerShape> parts;  // a recurrent node's input and recurrence products
      const LayerRule rule = layerRule(op);
      if (rule == LayerRule::Conv) {
        reason = conv(n, l);
        is_layer = true;
      } else if (rule == LayerRule::Gemm || rule == LayerRule::MatMul) {
        reason = fc(n, l);
        is_layer = true;
      } else if (rule == LayerRule::Recurrent) {
        reason = recurrent(n, parts);
        is_layer = true;
      } else if (rule == LayerRule::ConvTranspose) {
        reason = "transposed convolution: the row-stationary model covers Conv only";
      } else if (op == "ConvInteger" || op == "QLinearConv" || op == "MatMulInteger" || op == "QLinearMatMul") {
        reason = "quantised op: not modelled (evaluate the float model, or a QDQ one)";
      } else {
        int inner = 0;
        for (const auto& a : n.attribute()) {
          if (a.has_g()) inner += countLayerNodes(a.g());
          for (const auto& sub : a.graphs()) inner += countLayerNodes(sub);
        }
        if (inner > 0)
          reason = strCat("its subgraphs hold ", inner, " Conv/Gemm/MatMul nodes; layers inside ", op,
                          " bodies are not modelled");
      }
      if (is_layer && reason.empty()) {
        layer_of[id] = int(out.layers.size());
        if (parts.empty()) {
          DNNC_TRY(addLayer(out, n, std::move(l), n.input(1), "", raw.count(n.input(0)) > 0));
        } else {
          // The steps' input products read the layer's input; the recurrence reads its own state.
          DNNC_TRY(addLayer(out, n, std::move(parts[0]), n.input(1), "W", raw.count(n.input(0)) > 0));
          DNNC_TRY(addLayer(out, n, std::move(parts[1]), n.input(2), "R", false));
        }
        continue;
      }
      if (!reason.empty()) out.skipped.push_back({shortLayerName(nodeLabel(n), op), op, reason});
    }
    // Propagate "raw input" through nodes that are not layers.
    if (op == "Constant") continue;
    bool any = false, all = true;
    for (const auto& in : n.input()) {
      if (in.empty() || graph_.isWeight(in)) continue;
      any = true;
      all = all && raw.count(in) > 0;
    }
    if (any && all && !is_layer && layerRule(op) != LayerRule::ConvTranspose)
      for (const auto& o : n.output()) raw.insert(o);
  }
  // Short names must be unique; colliding ones fall back to the node names.
  std::map<std::string, int> uses;
  for (const auto& l : out.layers) ++uses[l.name];
  for (size_t i = 0; i < out.layers.size(); ++i)
    if (uses[out.layers[i].name] > 1) out.layers[i].name = node_names_[i];
  linkLayers(out, layer_of);
  out.batch = batch_;
  return out;
}

// UCNN counts of a layer from its weight: filter-major rows (Conv M x C x R x S, a recurrent node's
// [dirs, gates*H, in], Gemm with transB [out, in]); Gemm and MatMul otherwise store [in, out].
Expected<UcnnCounts> Extractor::ucnnCounts(const onnx::NodeProto& n, const LayerShape& l, const Tensor& w) const {
  std::vector<float> values = w.toFloats();
  const int64_t filters = l.M, taps = int64_t(l.C) * l.R * l.S;
  if (int64_t(values.size()) != filters * taps)
    return Error(Exit::Input, "UCNN counts: the weight of '", nodeLabel(n), "' has ", values.size(),
                 " values, the layer ", filters * taps);
  const bool in_by_out = (n.op_type() == "Gemm" && attrInt(n, "transB", 0) == 0) || n.op_type() == "MatMul";
  if (in_by_out) {
    std::vector<float> t(values.size());
    for (int64_t i = 0; i < taps; ++i)
      for (int64_t o = 0; o < filters; ++o) t[size_t(o * taps + i)] = values[size_t(i * filters + o)];
    values.swap(t);
  }
  return countUcnn(values, filters, taps, double(l.N) * l.E * l.F, ucnn_group_, l.G);
}

// One modelled layer of node n; `part` names the product of a node that has several ("W", "R").
Status Extractor::addLayer(OnnxLayers& out, const onnx::NodeProto& n, LayerShape l, const std::string& weight,
                           const std::string& part, bool reads_network_input) {
  OnnxLayerInfo info;
  info.node = nodeLabel(n) + (part.empty() ? "" : "/" + part);
  info.op = n.op_type();
  info.input = n.input(0);
  info.output = n.output_size() ? n.output(0) : "";
  info.weights_constant = isConstantValue(weight);
  if (info.weights_constant) {
    DNNC_ASSIGN(Tensor t, constantValue(weight));
    if (const onnx::NodeProto* e = expandingNode(weight)) info.weights_expanded_by = e->op_type();
    l.weight_bits = storedWeightBits(weight, t);
    info.weights = t.numel();
    info.nonzero_weights = t.countNonzero();
    l.weight_zero_fraction = info.weights ? 1.0 - double(info.nonzero_weights) / double(info.weights) : 0.0;
    if (ucnn_group_ > 0) {
      DNNC_ASSIGN(info.ucnn, ucnnCounts(n, l, t));
    }
  } else {
    info.weights = int64_t(l.M) * l.C * l.R * l.S;
    info.nonzero_weights = info.weights;
  }
  l.first_layer = reads_network_input;
  l.ifmap_bits = storedInputBits(n.input(0));
  node_names_.push_back(info.node);
  l.name = shortLayerName(nodeLabel(n), n.op_type()) + (part.empty() ? "" : "/" + part);
  info.aliases = layerAliases(n, info.weights_constant ? weight : "");
  if (!part.empty())
    for (auto& a : info.aliases)
      if (a != weight) a += "/" + part;
  out.layers.push_back(std::move(l));
  out.info.push_back(std::move(info));
  return {};
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

int OnnxLayers::find(const std::string& name) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == name) return int(i);
  for (size_t i = 0; i < info.size(); ++i)
    if (info[i].node == name) return int(i);
  for (size_t i = 0; i < info.size(); ++i)
    if (std::find(info[i].aliases.begin(), info[i].aliases.end(), name) != info[i].aliases.end()) return int(i);
  return -1;
}

Expected<OnnxLayers> extractLayers(const Model& model, const OnnxLayerOptions& options) {
  if (options.batch < 0) return Error(Exit::Usage, "batch must be positive, got ", options.batch);
  InputShapes request = options.input_shapes;
  if (options.batch > 0) request.batch = options.batch;
  DNNC_ASSIGN(ResolvedShapes resolved, resolveShapes(model, request));
  return extractLayers(model, resolved, options);
}

Expected<OnnxLayers> extractLayers(const Model& model, const ResolvedShapes& shapes, const OnnxLayerOptions& options) {
  if (options.batch < 0) return Error(Exit::Usage, "batch must be positive, got ", options.batch);
  Extractor x(model, shapes, options);
  return x.run();
}

Expected<ActSparsityFlag> parseActSparsityFlag(const std::string& text) {
  ActSparsityFlag flag;
  std::set<std::string> seen;
  for (const std::string& raw_item : split(text, ',')) {
    std::string item = trim(raw_item);
    if (item.empty()) continue;
    size_t eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return Error(Exit::Usage, "--act-sparsity: expected LAYER=FRACTION, got '", item, "'")
          .withHint("e.g. --act-sparsity conv2=0.387,conv3=72.5%,*=0.5, or a `dnnc stats --json` file");
    std::string name = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    bool percent = !value.empty() && value.back() == '%';
    if (percent) value.pop_back();
    char* end = nullptr;
    double v = value.empty() ? -1 : std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(v >= 0)) v = -1;
    if (percent) v /= 100;
    if (!(v >= 0 && v <= 1))
      return Error(Exit::Usage, "--act-sparsity: cannot use '", item, "': expected a zero fraction in [0, 1] or a ",
                   "percentage, got '", item.substr(eq + 1), "'");
    if (!seen.insert(name).second) return Error(Exit::Usage, "--act-sparsity: layer '", name, "' given twice");
    if (name == "*")
      flag.rest = v;
    else
      flag.layers.emplace_back(name, v);
  }
  return flag;
}

Expected<ZeroRunHistogram> histogramFromRunCounts(int64_t elements, int64_t zeros, std::span<const int64_t> counts) {
  ZeroRunHistogram h;
  if (elements < 0 || zeros < 0 || zeros > elements)
    return Error(Exit::Input, "zeros (", zeros, ") and count (", elements, ") are inconsistent");
  h.elements = uint64_t(elements);
  h.nonzeros = uint64_t(elements - zeros);
  if (counts.empty()) {
    if (zeros > 0) return Error(Exit::Input, "zero runs missing for ", zeros, " zeros");
    return h;
  }
  const size_t K = counts.size();
  int64_t exact = 0;
  for (size_t k = 0; k + 1 < K; ++k) {
    if (counts[k] < 0) return Error(Exit::Input, "negative zero-run count");
    exact += int64_t(k + 1) * counts[k];
  }
  const int64_t last = counts[K - 1], rest = zeros - exact;
  if (last < 0 || rest < 0 || (last == 0 && rest != 0) || rest < int64_t(K) * last)
    return Error(Exit::Input, "zero runs cover ", exact, " zeros in runs below ", K, " and ", last,
                 " longer runs, which cannot add up to ", zeros, " zeros");
  int64_t base = last ? rest / last : 0, extra = last ? rest % last : 0;
  h.runs.assign(size_t(last ? base + (extra ? 2 : 1) : K), 0);
  for (size_t k = 0; k + 1 < K; ++k) h.runs[k + 1] += uint64_t(counts[k]);
  if (last) {
    h.runs[size_t(base)] += uint64_t(last - extra);
    if (extra) h.runs[size_t(base + 1)] += uint64_t(extra);
  }
  return h;
}

Expected<std::vector<MeasuredInput>> parseActivationStatsJson(const std::string& text, const std::string& source) {
  auto fail = [&](const std::string& where, const std::string& why) {
    return Error(Exit::Input, "invalid activation statistics ", source, where.empty() ? "" : ": ", where, ": ", why);
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail("", "not JSON").withHint("give the output of `dnnc stats MODEL --data X --json`");
  if (!j.is_object() || !j.contains("activations") || !j["activations"].is_array())
    return fail("", "no 'activations' list").withHint("give the output of `dnnc stats MODEL --data X --json`");
  std::vector<MeasuredInput> out;
  const auto& acts = j["activations"];
  for (size_t i = 0; i < acts.size(); ++i) {
    const auto& a = acts[i];
    std::string where = strCat("activations[", i, "]");
    try {
      MeasuredInput m;
      m.node = a.at("node").get<std::string>();
      m.input = a.value("input", 0);
      where += strCat(" ('", m.node, "')");
      const int64_t count = a.at("count").get<int64_t>(), zeros = a.at("zeros").get<int64_t>();
      if (count <= 0 || zeros < 0 || zeros > count)
        return fail(where, strCat("zeros ", zeros, " and count ", count, " are inconsistent"));
      if (a.contains("zero_runs") && a["zero_runs"].contains("counts")) {
        std::vector<int64_t> counts = a["zero_runs"]["counts"].get<std::vector<int64_t>>();
        auto h = histogramFromRunCounts(count, zeros, counts);
        if (!h) return fail(where, h.error().message());
        m.sparsity.zero_fraction = h->zeroFraction();
        m.sparsity.zero_runs = std::move(*h);
      } else {
        m.sparsity.zero_fraction = double(zeros) / double(count);
      }
      out.push_back(std::move(m));
    } catch (const nlohmann::json::exception& e) {
      return fail(where, strCat("expected node, count, zeros (and zero_runs.counts): ", e.what()));
    }
  }
  return out;
}

std::vector<std::optional<FmapSparsity>> resolveActSparsity(const OnnxLayers& layers,
                                                            const std::vector<MeasuredInput>& measured,
                                                            const ActSparsityFlag& flag,
                                                            std::vector<std::string>* unmatched) {
  std::vector<std::optional<FmapSparsity>> out(layers.layers.size());
  for (const auto& m : measured) {
    if (m.input != 0) continue;
    for (size_t i = 0; i < layers.info.size(); ++i)
      if (layers.info[i].node == m.node) out[i] = m.sparsity;
  }
  for (const auto& [name, v] : flag.layers) {
    int i = layers.find(name);
    if (i < 0) {
      if (unmatched) unmatched->push_back(name);
      continue;
    }
    FmapSparsity s;
    s.zero_fraction = v;
    out[size_t(i)] = s;
  }
  if (flag.rest)
    for (size_t i = 0; i < out.size(); ++i)
      if (!out[i] && !layers.layers[i].first_layer) out[i] = FmapSparsity{*flag.rest, std::nullopt};
  return out;
}

void setActivationSparsity(OnnxLayers& layers, const std::vector<std::optional<FmapSparsity>>& ifmaps) {
  for (size_t i = 0; i < layers.layers.size(); ++i) {
    LayerShape& l = layers.layers[i];
    l.ifmap = i < ifmaps.size() && ifmaps[i] ? *ifmaps[i] : FmapSparsity{};
    l.ofmap = FmapSparsity{};
    bool found = false;
    for (int j : layers.info[i].next) {
      if (size_t(j) < ifmaps.size() && ifmaps[size_t(j)]) {
        l.ofmap = *ifmaps[size_t(j)];
        found = true;
        break;
      }
    }
    if (!found && layers.info[i].relu_after && !l.first_layer && i < ifmaps.size() && ifmaps[i]) l.ofmap = *ifmaps[i];
  }
}

MappingTable resolveMappingTable(const OnnxLayers& layers, const MappingTable& table,
                                 std::vector<std::string>* unmatched) {
  MappingTable out;
  out.source = table.source;
  for (const auto& e : table.entries) {
    int i = e.name.empty() ? (e.index >= 0 && size_t(e.index) < layers.layers.size() ? e.index : -1)
                           : layers.find(e.name);
    if (i < 0) {
      if (unmatched) unmatched->push_back(e.name.empty() ? strCat("index ", e.index) : e.name);
      continue;
    }
    MappingEntry r = e;
    r.name = layers.layers[size_t(i)].name;
    r.index = -1;
    if (out.find(r.name, -1)) continue;  // a layer given twice (by name and by index): the first wins
    out.entries.push_back(std::move(r));
  }
  return out;
}

}  // namespace dnnc::energy
