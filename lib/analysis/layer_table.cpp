#include "lib/analysis/layer_table.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "lib/exec/evaluate_node.h"
#include "lib/exec/ops/quantize_common.h"
#include "lib/ir/graph.h"
#include "lib/ir/node.h"
#include "lib/ir/nonzero_count.h"
#include "lib/ir/op_traits.h"

namespace dnnc {

namespace {

// Product of dims[from, to); nullopt when one of them is unknown.
std::optional<int64_t> product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < dims.size(); ++i) {
    if (dims[i] < 0) return std::nullopt;
    p *= dims[i];
  }
  return p;
}

const std::vector<int64_t>* dimsOf(const ShapeMap& shapes, const onnx::NodeProto& node, bool output, int index) {
  const auto& list = output ? node.output() : node.input();
  if (index >= list.size()) return nullptr;
  const ValueShape* s = shapes.find(list.Get(index));
  return s && s->known_rank ? &s->dims : nullptr;
}

// Inputs that are constants of the computation, not learned parameters (as PyTorch counts them):
// BatchNormalization's running mean and variance, Clip's bounds, Pad's fill value, Resize's scales,
// Dropout's ratio, and
// the scalar operands of elementwise arithmetic (LayerNorm's epsilon, GELU's sqrt(2), attention's scale).
bool isNonParameterInput(const onnx::NodeProto& node, int input_index, int64_t numel) {
  const std::string& op = node.op_type();
  static const std::set<std::string> elementwise = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Where", "Equal"};
  return (op == "BatchNormalization" && input_index >= 3) || (op == "Clip" && input_index >= 1) ||
         (op == "Pad" && input_index >= 1) || (op == "Resize" && input_index >= 1) ||
         (op == "Upsample" && input_index >= 1) || (op == "Dropout" && input_index >= 1) || (numel <= 1 && elementwise.count(op) > 0);
}

}  // namespace

bool isMacLayer(const onnx::NodeProto& node) {
  return isDefaultDomain(node) && layerRule(node.op_type()) != LayerRule::None;
}

namespace {

// LSTM/GRU/RNN: every step multiplies the input by W [dirs, gates*H, I] and the hidden state by
// R [dirs, gates*H, H], for each direction: steps x batch x (W + R) MACs.
std::optional<int64_t> recurrentMacs(const onnx::NodeProto& node, const ShapeMap& shapes) {
  auto* x = dimsOf(shapes, node, false, 0);
  auto* w = dimsOf(shapes, node, false, 1);
  auto* r = dimsOf(shapes, node, false, 2);
  if (!x || !w || !r || x->size() != 3 || w->size() != 3 || r->size() != 3) return std::nullopt;
  auto steps_batch = product(*x, 0, 2), w_size = product(*w, 0, 3), r_size = product(*r, 0, 3);
  if (!steps_batch || !w_size || !r_size) return std::nullopt;
  return *steps_batch * (*w_size + *r_size);
}

}  // namespace

std::optional<int64_t> nodeMacs(const onnx::NodeProto& node, const ShapeMap& shapes) {
  if (!isMacLayer(node)) return 0;
  const LayerRule rule = layerRule(node.op_type());
  if (rule == LayerRule::Recurrent) return recurrentMacs(node, shapes);
  if (rule == LayerRule::Conv) {
    auto* w = dimsOf(shapes, node, false, 1);
    auto* y = dimsOf(shapes, node, true, 0);
    if (!w || !y || w->size() < 2 || y->size() < 2) return std::nullopt;
    // Each output element (over the batch too) costs (C/group) x kernel MACs: the weight's size over its K
    // filters.
    auto outputs = product(*y, 0, y->size()), per_output = product(*w, 1, w->size());
    if (!outputs || !per_output) return std::nullopt;
    return *outputs * *per_output;
  }
  if (rule == LayerRule::ConvTranspose) {
    auto* x = dimsOf(shapes, node, false, 0);
    auto* w = dimsOf(shapes, node, false, 1);
    if (!x || !w || x->size() < 2) return std::nullopt;
    // Each input element is scattered through (K/group) x kernel weights: positions (batch x spatial) x the
    // weight's C x (K/group) x kernel.
    auto batch = product(*x, 0, 1), spatial = product(*x, 2, x->size()), weights = product(*w, 0, w->size());
    if (!batch || !spatial || !weights) return std::nullopt;
    return *batch * *spatial * *weights;
  }
  if (rule == LayerRule::Gemm) {
    auto* a = dimsOf(shapes, node, false, 0);
    auto* b = dimsOf(shapes, node, false, 1);
    if (!a || !b || a->size() != 2 || b->size() != 2) return std::nullopt;
    bool ta = attrInt(node, "transA", 0), tb = attrInt(node, "transB", 0);
    int64_t m = (*a)[ta ? 1 : 0], k = (*a)[ta ? 0 : 1], n = (*b)[tb ? 0 : 1];
    if (m < 0 || k < 0 || n < 0) return std::nullopt;
    return m * k * n;
  }
  // MatMul: every output element is a dot product over A's last dim.
  auto* a = dimsOf(shapes, node, false, 0);
  auto* y = dimsOf(shapes, node, true, 0);
  if (!a || !y || a->empty() || a->back() < 0) return std::nullopt;
  auto outputs = product(*y, 0, y->size());
  if (!outputs) return std::nullopt;
  return *outputs * a->back();
}

Expected<LayerTable> buildLayerTable(const Model& model, const InputShapes& input_shapes) {
  DNNC_ASSIGN(ResolvedShapes resolved, resolveShapes(model, input_shapes));
  return buildLayerTable(model, resolved);
}

Expected<LayerTable> LayerTableAnalysis::run(const Model& model, AnalysisManager& am) const {
  DNNC_ASSIGN(const ResolvedShapes* shapes, am.get(model, ShapeAnalysis{inputs}));
  return buildLayerTable(model, *shapes);
}

namespace {

// A layer weight the graph computes from stored constants: DequantizeLinear(int8 W, scale, zero point)
// as quantize writes it, Gather(codebook, Cast(indices)) as share writes it, the Transpose of a Linear's
// weight an export leaves. The layer's params are the computed weight's elements (its nonzeros counted
// on the values it decodes to) and its bytes what is stored; the nodes computing it are not rows of their
// own (their scales and codebooks would otherwise count as the only parameters of a compressed model).
// What the table needs of a computed weight: its shape and counts, not its values (every layer's
// values at once would be the whole model again, expanded).
struct ComputedWeight {
  std::vector<int64_t> dims;
  int64_t numel = 0, nonzero = 0;
  std::vector<std::string> stored;  // the initializers it is computed from
  std::map<std::string, int64_t> stored_bytes;
  std::set<NodeId> nodes;           // the nodes computing it
};

constexpr int kMaxWeightChain = 8;

// Collects the chain computing `value` from stored constants; false when some input is not a constant
// (data, a graph input) or the chain is long or has subgraphs.
bool collectChain(const Graph& graph, const std::string& value, ComputedWeight& w, std::vector<NodeId>& order) {
  if (graph.isWeight(value)) {
    if (graph.isGraphInput(value)) return false;
    if (std::find(w.stored.begin(), w.stored.end(), value) == w.stored.end()) w.stored.push_back(value);
    return true;
  }
  auto producer = graph.producer(value);
  if (!producer) return false;
  if (w.nodes.count(*producer)) return true;
  const auto& node = graph.node(*producer);
  if (!isDefaultDomain(node) || hasSubgraph(node) || int(w.nodes.size()) >= kMaxWeightChain) return false;
  w.nodes.insert(*producer);
  for (const auto& in : node.input())
    if (!in.empty() && !collectChain(graph, in, w, order)) return false;
  order.push_back(*producer);  // after its inputs' producers: topological
  return true;
}

// A shared weight, Gather(codebook, [Cast](indices)) on axis 0 of a 1-D float codebook, counted from its
// stored indices without expanding them (executing the chain would hold the indices as int32, then int64,
// then the float values: 20 bytes per weight of a 100M-weight layer). False when the chain is another.
Expected<bool> countGatheredWeight(const Graph& graph, const std::string& value, ComputedWeight& w) {
  auto producer = graph.producer(value);
  if (!producer) return false;
  const auto& gather = graph.node(*producer);
  if (gather.op_type() != "Gather" || gather.input_size() != 2 || attrInt(gather, "axis", 0) != 0) return false;
  const std::string& book_name = gather.input(0);
  std::string index_name = gather.input(1);
  if (auto cast = graph.producer(index_name); cast && graph.node(*cast).op_type() == "Cast")
    index_name = graph.node(*cast).input(0);
  if (!graph.isWeight(book_name) || !graph.isWeight(index_name)) return false;
  DNNC_ASSIGN(Tensor book, graph.readWeight(book_name));
  if (book.dtype() != DType::Float || book.rank() != 1) return false;
  DNNC_ASSIGN(Tensor idx, graph.readWeight(index_name));
  const int64_t entries = book.numel();
  int64_t nonzero = 0;
  auto count = [&](auto* data) {
    for (int64_t i = 0; i < idx.numel(); ++i) {
      const int64_t k = int64_t(data[i]);
      if (k < 0 || k >= entries) return false;
      nonzero += book.data<float>()[k] != 0.0f;
    }
    return true;
  };
  bool ok = false;
  switch (idx.dtype()) {
    case DType::Uint8: ok = count(idx.data<uint8_t>()); break;
    case DType::Uint16: ok = count(idx.data<uint16_t>()); break;
    case DType::Int32: ok = count(idx.data<int32_t>()); break;
    case DType::Int64: ok = count(idx.data<int64_t>()); break;
    default: return false;
  }
  if (!ok) return false;  // an index out of range: left to the executor, which says so
  w.dims = idx.dims();
  w.numel = idx.numel();
  w.nonzero = nonzero;
  return true;
}

// A quantized weight, DequantizeLinear(x, scale[, zero point]) of stored operands, counted element by
// element with the kernel's arithmetic (ops::dequantize) instead of executing it,
// which held the int8 values widened and the float values whole (VGG-16's fc6: 411 MB beside the model).
// False when the operands are not what the kernel accepts: executing the chain then says why.
Expected<bool> countDequantizedWeight(const Graph& graph, const std::string& value, ComputedWeight& w) {
  auto producer = graph.producer(value);
  if (!producer) return false;
  const auto& dq = graph.node(*producer);
  if (dq.op_type() != "DequantizeLinear" || dq.input_size() < 2 || dq.input_size() > 3) return false;
  for (const auto& in : dq.input())
    if (!graph.isWeight(in)) return false;
  DNNC_ASSIGN(Tensor x, graph.readWeight(dq.input(0)));
  DNNC_ASSIGN(Tensor scale, graph.readWeight(dq.input(1)));
  if (scale.dtype() != DType::Float || scale.rank() > 1) return false;
  ops::QuantParams q;
  q.scale.assign(scale.data<float>(), scale.data<float>() + scale.numel());
  if (scale.rank() == 1 && scale.numel() != 1) {
    int64_t axis = attrInt(dq, "axis", 1);
    if (axis < 0) axis += x.rank();
    if (axis < 0 || axis >= x.rank() || x.dims()[size_t(axis)] != scale.numel()) return false;
    q.channels = scale.numel();
    for (int i = int(axis) + 1; i < x.rank(); ++i) q.inner *= x.dims()[size_t(i)];
  }
  q.zero.assign(size_t(scale.numel()), 0);
  if (dq.input_size() == 3) {
    DNNC_ASSIGN(Tensor z, graph.readWeight(dq.input(2)));
    if (z.numel() != scale.numel() || z.dtype() != x.dtype()) return false;
    for (int64_t c = 0; c < z.numel(); ++c) {
      switch (z.dtype()) {
        case DType::Uint8: q.zero[size_t(c)] = z.data<uint8_t>()[c]; break;
        case DType::Int8: q.zero[size_t(c)] = z.data<int8_t>()[c]; break;
        case DType::Int32: q.zero[size_t(c)] = z.data<int32_t>()[c]; break;
        default: return false;
      }
    }
  }
  int64_t nonzero = 0;
  auto count = [&](auto* xd) {
    for (int64_t i = 0; i < x.numel(); ++i) nonzero += ops::dequantize(xd[i], q, i) != 0.0f;
  };
  switch (x.dtype()) {
    case DType::Uint8: count(x.data<uint8_t>()); break;
    case DType::Int8: count(x.data<int8_t>()); break;
    case DType::Int32: count(x.data<int32_t>()); break;
    default: return false;
  }
  w.dims = x.dims();
  w.numel = x.numel();
  w.nonzero = nonzero;
  return true;
}

// A weight that layout ops make from one stored weight (ViT's Transpose of each stored MatMul weight, a
// Reshape): the stored values in another shape, so they are counted where they are stored and the shape
// comes from shape inference, instead of executing the chain (a copy of each such weight, a third of
// building ViT-B/16's table). False when the chain is another, or its shape is not known.
bool countRearrangedWeight(const Graph& graph, const std::string& value, const std::vector<NodeId>& order,
                           const ShapeMap& shapes, ComputedWeight& w) {
  static const std::set<std::string> kLayout = {"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"};
  for (NodeId id : order)
    if (!kLayout.count(graph.node(id).op_type())) return false;
  const onnx::TensorProto* source = nullptr;  // the one stored floating-point tensor; the rest shapes and axes
  for (const auto& name : w.stored) {
    const onnx::TensorProto* p = graph.weightProto(name);
    if (!p) return false;
    const DType t = dtypeFromOnnx(p->data_type());
    if (isFloating(t)) {
      if (source) return false;
      source = p;
    } else if (t != DType::Int64) {
      return false;
    }
  }
  const ValueShape* shape = shapes.find(value);
  if (!source || !shape || !shape->known_rank || shape->dtype != dtypeFromOnnx(source->data_type())) return false;
  int64_t numel = 1, stored_numel = 1;
  for (int64_t d : shape->dims) {
    if (d < 0) return false;
    numel *= d;
  }
  for (int64_t d : source->dims()) stored_numel *= d;
  if (numel != stored_numel) return false;
  const std::optional<int64_t> nonzero = countNonzeroInPlace(*source);
  if (!nonzero) return false;  // stored externally or in a typed field: executing the chain reads it
  w.dims = shape->dims;
  w.numel = numel;
  w.nonzero = *nonzero;
  return true;
}

Expected<std::optional<ComputedWeight>> computedWeight(const Graph& graph, const std::string& value,
                                                       const onnx::ModelProto& context, const ShapeMap& shapes) {
  if (value.empty() || graph.isWeight(value) || graph.capturedBySubgraphs().count(value)) return std::optional<ComputedWeight>();
  ComputedWeight w;
  std::vector<NodeId> order;
  if (!collectChain(graph, value, w, order) || w.stored.empty()) return std::optional<ComputedWeight>();
  // Its values are for this weight only when nothing else reads the chain's intermediate results.
  for (NodeId id : order)
    for (const auto& out : graph.node(id).output())
      for (const Use& u : graph.consumers(out))
        if (!w.nodes.count(u.node) && out != value) return std::optional<ComputedWeight>();
  // 32- and 64-bit integers are the chain's index and shape operands (Slice starts, Reshape shapes), as
  // everywhere in the table; 8- and 16-bit integers are stored weights (int8 values, codebook indices).
  for (const auto& name : w.stored) {
    const onnx::TensorProto* p = graph.weightProto(name);
    const DType t = p ? dtypeFromOnnx(p->data_type()) : DType::Float;
    int64_t numel = 1;
    if (p)
      for (int64_t d : p->dims()) numel *= d;
    w.stored_bytes[name] = t == DType::Int32 || t == DType::Int64 ? 0 : numel * int64_t(dtypeSize(t));
  }
  bool counted = countRearrangedWeight(graph, value, order, shapes, w);
  if (!counted) {
    DNNC_ASSIGN(counted, countGatheredWeight(graph, value, w));
  }
  if (!counted) {
    DNNC_ASSIGN(counted, countDequantizedWeight(graph, value, w));
  }
  if (counted) return std::optional<ComputedWeight>(std::move(w));
  std::map<std::string, Tensor> known;
  for (const auto& name : w.stored) {
    DNNC_ASSIGN(known[name], graph.readWeight(name));
  }
  for (size_t step = 0; step < order.size(); ++step) {
    const auto& node = graph.node(order[step]);
    auto outs = evaluateNode(node, known, context);
    if (!outs) return std::optional<ComputedWeight>();  // not evaluable here: counted as before
    for (int k = 0; k < node.output_size() && k < int(outs->size()); ++k)
      if (!node.output(k).empty()) known[node.output(k)] = std::move((*outs)[k]);
    // Drop what no later step of the chain reads (a codebook's widened indices, a dequantized copy), so a
    // 100M-weight layer holds its stored form and its values, not every stage between.
    for (const auto& in : node.input()) {
      bool later = in == value;
      for (size_t next = step + 1; next < order.size() && !later; ++next)
        for (const auto& x : graph.node(order[next]).input()) later |= x == in;
      if (!later) known.erase(in);
    }
  }
  auto it = known.find(value);
  if (it == known.end() || !isFloating(it->second.dtype())) return std::optional<ComputedWeight>();
  w.dims = it->second.dims();
  w.numel = it->second.numel();
  w.nonzero = it->second.countNonzero();
  return std::optional<ComputedWeight>(std::move(w));
}

}  // namespace

Expected<LayerTable> buildLayerTable(const Model& model, const ResolvedShapes& resolved) {
  LayerTable t;
  // Graph indexes a mutable proto but the table only reads through it (const Graph): no copy of the
  // weights, which was a whole model's worth of memory each time a table was built.
  const Graph graph(const_cast<onnx::GraphProto&>(model.graph()), model.base_dir);
  const ShapeMap& shapes = resolved.shapes;
  t.batch = resolved.batch;
  t.unknown_inputs = resolved.unknownInputs();
  t.opset = model.opsetVersion();
  t.ir_version = model.proto.ir_version();
  t.producer = model.proto.producer_name() + (model.proto.producer_version().empty() ? "" : " " + model.proto.producer_version());
  t.nodes = graph.nodeCount();

  std::set<std::string> counted;  // a shared weight counts once, for its first reader
  // The weights layers compute from stored constants, found first: their nodes come before the layer.
  std::map<NodeId, std::vector<std::pair<int, ComputedWeight>>> computed;
  std::set<NodeId> weight_nodes;
  for (NodeId id : graph.nodes()) {
    const auto& node = graph.node(id);
    if (!isMacLayer(node)) continue;
    for (int k = 1; k < node.input_size(); ++k) {
      DNNC_ASSIGN(auto w, computedWeight(graph, node.input(k), model.proto, shapes));
      if (!w || std::any_of(w->nodes.begin(), w->nodes.end(), [&](NodeId n) { return weight_nodes.count(n) > 0; })) continue;
      weight_nodes.insert(w->nodes.begin(), w->nodes.end());
      computed[id].emplace_back(k, std::move(*w));
    }
  }
  for (NodeId id : graph.nodes()) {
    const auto& node = graph.node(id);
    if (node.op_type() == "Constant" || weight_nodes.count(id)) continue;
    LayerRow row;
    row.name = nodeLabel(node);
    row.op = node.op_type();
    bool has_weight = false;
    for (auto& [k, w] : computed[id]) {
      if (!has_weight || k == 1) row.weight_shape = w.dims;
      has_weight = true;
      row.params += w.numel;
      row.nonzero_params += w.nonzero;
      for (const auto& name : w.stored)
        if (counted.insert(name).second) row.weight_bytes += w.stored_bytes[name];
    }
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& in = node.input(k);
      if (in.empty() || !graph.isWeight(in)) continue;
      const onnx::TensorProto* p = graph.weightProto(in);
      int64_t numel = 1;
      for (int64_t d : p->dims()) numel *= d;
      if (isNonParameterInput(node, k, numel)) continue;
      if (!isFloating(dtypeFromOnnx(p->data_type()))) continue;  // shape tensors, indices
      if (!has_weight || k == 1) row.weight_shape.assign(p->dims().begin(), p->dims().end());
      has_weight = true;
      if (!counted.insert(in).second) continue;
      if (std::optional<int64_t> nonzero = countNonzeroInPlace(*p)) {
        row.params += numel;
        row.nonzero_params += *nonzero;
        row.weight_bytes += numel * int64_t(sizeof(float));
        continue;
      }
      DNNC_ASSIGN(Tensor w, graph.readWeight(in));
      row.params += w.numel();
      row.nonzero_params += w.countNonzero();
      row.weight_bytes += static_cast<int64_t>(w.sizeBytes());
    }
    std::optional<int64_t> macs = nodeMacs(node, shapes);
    row.macs = macs.value_or(0);
    row.shaped = macs.has_value();
    if (!has_weight && row.macs == 0 && row.shaped) continue;
    if (!row.shaped) t.unshaped.push_back(row.name);
    t.params += row.params;
    t.nonzero_params += row.nonzero_params;
    t.macs += row.macs;
    t.weight_bytes += row.weight_bytes;
    t.layers.push_back(std::move(row));
  }
  // Inputs and outputs as the model declares them (symbolic dims by name), completed by inference where
  // the model declares no shape.
  auto io = [&](const onnx::ValueInfoProto& vi) {
    IoValue v;
    v.name = vi.name();
    ValueShape declared = valueShapeOf(vi);
    const ValueShape* s = declared.known_rank ? &declared : shapes.find(vi.name());
    if (s) {
      v.dtype = dtypeName(s->dtype == DType::Undefined && shapes.find(vi.name()) ? shapes.find(vi.name())->dtype : s->dtype);
      v.dims = s->dims;
      v.dim_params = s->dim_params;
    }
    return v;
  };
  std::set<std::string> inits;
  for (const auto& i : model.graph().initializer()) inits.insert(i.name());
  for (const auto& vi : model.graph().input())
    if (!inits.count(vi.name())) t.inputs.push_back(io(vi));
  for (const auto& vi : model.graph().output()) t.outputs.push_back(io(vi));
  return t;
}

static nlohmann::json ioJson(const std::vector<IoValue>& values) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& v : values) {
    nlohmann::json dims = nlohmann::json::array();
    for (size_t i = 0; i < v.dims.size(); ++i) {
      if (v.dims[i] >= 0) dims.push_back(v.dims[i]);
      else if (i < v.dim_params.size() && !v.dim_params[i].empty()) dims.push_back(v.dim_params[i]);
      else dims.push_back(nullptr);
    }
    arr.push_back({{"name", v.name}, {"dtype", v.dtype}, {"shape", dims}});
  }
  return arr;
}

nlohmann::json toJson(const LayerTable& t) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : t.layers)
    layers.push_back({{"name", l.name}, {"op", l.op}, {"weight_shape", l.weight_shape}, {"params", l.params},
                      {"nonzero_params", l.nonzero_params}, {"macs", l.shaped ? nlohmann::json(l.macs) : nlohmann::json()},
                      {"weight_bytes", l.weight_bytes}});
  nlohmann::json j = {{"params", t.params}, {"nonzero_params", t.nonzero_params}, {"macs", t.macs},
                      {"weight_bytes", t.weight_bytes}, {"opset", t.opset}, {"ir_version", t.ir_version},
                      {"producer", t.producer}, {"nodes", t.nodes}, {"layers", layers},
                      {"inputs", ioJson(t.inputs)}, {"outputs", ioJson(t.outputs)}};
  // Only when some MACs are unknown: `macs` then counts the shaped layers alone.
  if (!t.unshaped.empty()) {
    j["unshaped_layers"] = t.unshaped;
    j["unknown_inputs"] = t.unknown_inputs;
  }
  return j;
}

}  // namespace dnnc
