#include "lib/analysis/layer_table.h"

#include <set>

#include "lib/ir/graph.h"
#include "lib/report/table.h"

namespace dnnc {

namespace {

int64_t attrInt(const onnx::NodeProto& node, const std::string& name, int64_t def) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.i();
  return def;
}

int64_t product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < dims.size(); ++i) p *= dims[i] < 0 ? 1 : dims[i];
  return p;
}

const std::vector<int64_t>* dimsOf(const ShapeMap& shapes, const onnx::NodeProto& node, bool output, int index) {
  const auto& list = output ? node.output() : node.input();
  if (index >= list.size()) return nullptr;
  const ValueShape* s = shapes.find(list.Get(index));
  return s && s->known_rank ? &s->dims : nullptr;
}

// Inputs that are constants of the computation, not learned parameters (as PyTorch counts them):
// BatchNormalization's running mean and variance, Clip's bounds, Pad's fill value, Resize's scales.
bool isNonParameterInput(const onnx::NodeProto& node, int input_index) {
  const std::string& op = node.op_type();
  return (op == "BatchNormalization" && input_index >= 3) || (op == "Clip" && input_index >= 1) ||
         (op == "Pad" && input_index >= 1) || (op == "Resize" && input_index >= 1) ||
         (op == "Upsample" && input_index >= 1);
}

}  // namespace

int64_t nodeMacs(const onnx::NodeProto& node, const ShapeMap& shapes) {
  const std::string& op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx") return 0;
  if (op == "Conv") {
    auto* w = dimsOf(shapes, node, false, 1);
    auto* y = dimsOf(shapes, node, true, 0);
    if (!w || !y || w->size() < 2 || y->size() < 2) return 0;
    // Each output element costs (C/group) x kernel MACs: the weight's size over its K filters.
    return product(*y, 1, y->size()) * product(*w, 1, w->size());
  }
  if (op == "ConvTranspose") {
    auto* x = dimsOf(shapes, node, false, 0);
    auto* w = dimsOf(shapes, node, false, 1);
    if (!x || !w || x->size() < 2) return 0;
    // Each input element is scattered through (K/group) x kernel weights.
    return product(*x, 2, x->size()) * product(*w, 0, w->size());
  }
  if (op == "Gemm") {
    auto* a = dimsOf(shapes, node, false, 0);
    auto* b = dimsOf(shapes, node, false, 1);
    if (!a || !b || a->size() != 2 || b->size() != 2) return 0;
    bool ta = attrInt(node, "transA", 0), tb = attrInt(node, "transB", 0);
    int64_t m = (*a)[ta ? 1 : 0], k = (*a)[ta ? 0 : 1], n = (*b)[tb ? 0 : 1];
    return (m < 0 ? 1 : m) * (k < 0 ? 1 : k) * (n < 0 ? 1 : n);
  }
  if (op == "MatMul") {
    auto* a = dimsOf(shapes, node, false, 0);
    auto* b = dimsOf(shapes, node, false, 1);
    auto* y = dimsOf(shapes, node, true, 0);
    if (!a || !b || a->empty() || b->empty()) return 0;
    int64_t k = a->back() < 0 ? 1 : a->back();
    if (y && !y->empty()) return product(*y, 0, y->size()) * k;
    int64_t n = b->size() >= 2 ? (*b)[b->size() - 1] : 1;
    return product(*a, 0, a->size() - 1) * k * (n < 0 ? 1 : n);
  }
  return 0;
}

Expected<LayerTable> buildLayerTable(const Model& model) {
  LayerTable t;
  Model copy_for_graph = model;  // Graph indexes a mutable proto; info must not touch the caller's model
  Graph graph(copy_for_graph.graph(), model.base_dir);
  ShapeMap shapes = inferShapes(model);
  t.opset = model.opsetVersion();
  t.ir_version = model.proto.ir_version();
  t.producer = model.proto.producer_name() + (model.proto.producer_version().empty() ? "" : " " + model.proto.producer_version());
  t.nodes = graph.nodeCount();

  std::set<std::string> counted;  // a shared weight counts once, for its first reader
  for (NodeId id : graph.nodes()) {
    const auto& node = graph.node(id);
    if (node.op_type() == "Constant") continue;
    LayerRow row;
    row.name = node.name().empty() ? (node.output_size() ? node.output(0) : node.op_type()) : node.name();
    row.op = node.op_type();
    bool has_weight = false;
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& in = node.input(k);
      if (in.empty() || !graph.isWeight(in) || isNonParameterInput(node, k)) continue;
      const onnx::TensorProto* p = graph.weightProto(in);
      if (!isFloating(dtypeFromOnnx(p->data_type()))) continue;  // shape tensors, indices
      if (!has_weight || k == 1) row.weight_shape.assign(p->dims().begin(), p->dims().end());
      has_weight = true;
      if (!counted.insert(in).second) continue;
      DNNC_ASSIGN(Tensor w, graph.readWeight(in));
      row.params += w.numel();
      row.nonzero_params += w.countNonzero();
      row.weight_bytes += static_cast<int64_t>(w.sizeBytes());
    }
    row.macs = nodeMacs(node, shapes);
    if (!has_weight && row.macs == 0) continue;
    t.params += row.params;
    t.nonzero_params += row.nonzero_params;
    t.macs += row.macs;
    t.weight_bytes += row.weight_bytes;
    t.layers.push_back(std::move(row));
  }
  auto io = [&](const onnx::ValueInfoProto& vi) {
    IoValue v;
    v.name = vi.name();
    if (const ValueShape* s = shapes.find(vi.name())) {
      v.dtype = dtypeName(s->dtype);
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
                      {"nonzero_params", l.nonzero_params}, {"macs", l.macs}, {"weight_bytes", l.weight_bytes}});
  return {{"params", t.params}, {"nonzero_params", t.nonzero_params}, {"macs", t.macs},
          {"weight_bytes", t.weight_bytes}, {"opset", t.opset}, {"ir_version", t.ir_version},
          {"producer", t.producer}, {"nodes", t.nodes}, {"layers", layers},
          {"inputs", ioJson(t.inputs)}, {"outputs", ioJson(t.outputs)}};
}

std::string formatLayerTable(const LayerTable& t) {
  TextTable table({"layer", "op", "weight shape", "params", "nonzero", "MACs", "weight bytes"});
  table.alignRight({3, 4, 5, 6});
  for (const auto& l : t.layers)
    table.addRow({l.name, l.op, l.weight_shape.empty() ? "-" : formatDims(l.weight_shape), withThousands(l.params),
                  withThousands(l.nonzero_params), withThousands(l.macs), humanBytes(l.weight_bytes)});
  table.addSeparator();
  table.addRow({"total", "", "", withThousands(t.params), withThousands(t.nonzero_params), withThousands(t.macs),
                humanBytes(t.weight_bytes)});
  std::string out = table.render();
  auto describe = [](const IoValue& v) {
    std::string dims = "[";
    for (size_t i = 0; i < v.dims.size(); ++i) {
      if (i) dims += ",";
      if (v.dims[i] >= 0) dims += std::to_string(v.dims[i]);
      else dims += (i < v.dim_params.size() && !v.dim_params[i].empty()) ? v.dim_params[i] : "?";
    }
    return strCat("  ", v.name, ": ", v.dtype, " ", dims, "]\n");
  };
  out += strCat("\nsparsity: ", t.params ? strCat(formatFixed(100.0 * (1.0 - double(t.nonzero_params) / double(t.params)), 2), " %") : "-",
                "   MACs: ", humanCount(t.macs), "   params: ", humanCount(t.params), "\n");
  out += strCat("opset ", t.opset, ", IR version ", t.ir_version, ", ", t.nodes, " nodes",
                t.producer.empty() ? "" : ", produced by " + t.producer, "\n");
  out += "inputs:\n";
  for (const auto& v : t.inputs) out += describe(v);
  out += "outputs:\n";
  for (const auto& v : t.outputs) out += describe(v);
  return out;
}

}  // namespace dnnc
