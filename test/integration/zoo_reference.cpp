#include "test/integration/zoo_reference.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "test/support/test_support.h"

namespace dnnc::test::zoo {

namespace {

bool isFloatType(int elem_type) { return elem_type == onnx::TensorProto::FLOAT; }

std::set<std::string> initializerNames(const onnx::GraphProto& g) {
  std::set<std::string> names;
  for (const auto& t : g.initializer()) names.insert(t.name());
  return names;
}

// Float graph inputs stand in for the non-float ones: X becomes X.float (float32), Cast(X.float) -> X.
// Returns whether anything changed.
bool castNonFloatInputs(onnx::ModelProto& m) {
  auto* g = m.mutable_graph();
  const auto inits = initializerNames(*g);
  std::vector<onnx::NodeProto> casts;
  for (auto& in : *g->mutable_input()) {
    if (inits.count(in.name())) continue;
    const int type = in.type().tensor_type().elem_type();
    if (isFloatType(type)) continue;
    onnx::NodeProto cast;
    cast.set_op_type("Cast");
    cast.set_name(in.name() + ".cast");
    cast.add_input(in.name() + ".float");
    cast.add_output(in.name());
    auto* to = cast.add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(type);
    casts.push_back(cast);
    in.set_name(in.name() + ".float");
    in.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  if (casts.empty()) return false;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto& c : casts) *nodes.Add() = c;
  for (const auto& n : g->node()) *nodes.Add() = n;
  g->mutable_node()->Swap(&nodes);
  return true;
}

bool isMacOp(const onnx::NodeProto& n) {
  static const std::set<std::string> ops = {"Conv", "ConvTranspose", "Gemm", "MatMul", "LSTM", "GRU", "RNN"};
  return (n.domain().empty() || n.domain() == "ai.onnx") && ops.count(n.op_type()) > 0;
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t intAttribute(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
  const auto* a = attribute(n, name);
  return a ? a->i() : fallback;
}

int64_t numel(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

using Shapes = std::map<std::string, std::vector<int64_t>>;

const std::vector<int64_t>* find(const Shapes& shapes, const onnx::NodeProto& n, bool output, int index) {
  const auto& list = output ? n.output() : n.input();
  if (index >= list.size() || list.Get(index).empty()) return nullptr;
  auto it = shapes.find(list.Get(index));
  return it == shapes.end() ? nullptr : &it->second;
}

// Textbook MAC counts (one multiply-accumulate per weight use), for the whole batch the shapes carry.
int64_t textbookMacs(const onnx::NodeProto& n, const Shapes& shapes) {
  const std::string& op = n.op_type();
  const auto* x = find(shapes, n, false, 0);
  const auto* w = find(shapes, n, false, 1);
  const auto* y = find(shapes, n, true, 0);
  if (op == "Conv") {
    // Every output element sums (C_in / group) input channels over the kernel window.
    if (!x || !w || !y || x->size() < 2 || w->size() < 2) return -1;
    const int64_t group = intAttribute(n, "group", 1);
    const int64_t window = numel(std::vector<int64_t>(w->begin() + 2, w->end()));
    return numel(*y) * ((*x)[1] / group) * window;
  }
  if (op == "ConvTranspose") {
    // Every input element is scattered into (C_out / group) output channels over the kernel window.
    if (!x || !w || !y || y->size() < 2 || w->size() < 2) return -1;
    const int64_t group = intAttribute(n, "group", 1);
    const int64_t window = numel(std::vector<int64_t>(w->begin() + 2, w->end()));
    return numel(*x) * ((*y)[1] / group) * window;
  }
  if (op == "Gemm") {
    // Y [M, N] = A [M, K] x B [K, N]: K MACs per output element.
    if (!x || !y || x->size() != 2) return -1;
    const int64_t k = intAttribute(n, "transA", 0) ? (*x)[0] : (*x)[1];
    return numel(*y) * k;
  }
  if (op == "MatMul") {
    // NumPy matmul: every output element is a dot product over A's last dimension.
    if (!x || !y || x->empty()) return -1;
    return numel(*y) * x->back();
  }
  // LSTM (4 gates), GRU (3), RNN (1): at every step, for every sequence and direction, each gate multiplies
  // the input [I] and the previous hidden state [H] by its weights: gates * H * (I + H) MACs.
  if (!x || x->size() != 3) return -1;
  const int64_t hidden = intAttribute(n, "hidden_size", -1);
  if (hidden <= 0) return -1;
  const auto* dir = attribute(n, "direction");
  const int64_t directions = dir && dir->s() == "bidirectional" ? 2 : 1;
  const int64_t gates = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
  const int64_t steps_times_batch = (*x)[0] * (*x)[1];  // [T, N, I] or, with layout=1, [N, T, I]
  return steps_times_batch * directions * gates * hidden * ((*x)[2] + hidden);
}

std::string label(const onnx::NodeProto& n) { return n.name().empty() && n.output_size() ? n.output(0) : n.name(); }

}  // namespace

onnx::ModelProto readModelProto(const std::string& path) {
  onnx::ModelProto m;
  if (!m.ParseFromString(readBytes(path))) m.Clear();
  return m;
}

std::string ortReadyPath(const std::string& path, const std::string& scratch) {
  onnx::ModelProto m = readModelProto(path);
  if (!castNonFloatInputs(m)) return path;
  const std::string out = scratch + "/ort_ready.onnx";
  writeBytes(out, m.SerializeAsString());
  return out;
}

OrtRun runOrtOn(const std::string& path, const Feed& input, const std::string& scratch) {
  OrtRun r;
  auto ort = runOrt(ortReadyPath(path, scratch), {input.values}, {input.dims});
  r.ok = ort.ok;
  r.error = ort.error;
  r.outputs = std::move(ort.values);
  r.shapes = std::move(ort.shapes);
  return r;
}

MacReference referenceMacs(const std::string& path, const Feed& input, const std::string& scratch) {
  MacReference ref;
  onnx::ModelProto m = readModelProto(path);
  auto* g = m.mutable_graph();
  Shapes shapes;
  for (const auto& t : g->initializer()) shapes[t.name()] = {t.dims().begin(), t.dims().end()};
  for (const auto& n : g->node())
    if (n.op_type() == "Constant")
      if (const auto* v = attribute(n, "value"); v && v->has_t()) shapes[n.output(0)] = {v->t().dims().begin(), v->t().dims().end()};
  const auto inits = initializerNames(*g);
  for (const auto& in : g->input())
    if (!inits.count(in.name())) shapes[in.name()] = input.dims;  // the one input the zoo models have

  // Every activation a MAC formula reads, as an extra graph output (graph order, once each).
  std::set<std::string> exposed;
  for (const auto& o : g->output()) exposed.insert(o.name());
  const int own_outputs = g->output_size();
  std::vector<std::string> extra;
  for (const auto& n : g->node()) {
    if (!isMacOp(n)) continue;
    for (const std::string& v : {n.input(0), n.input_size() > 1 ? n.input(1) : std::string(), n.output_size() ? n.output(0) : std::string()})
      if (!v.empty() && !shapes.count(v) && exposed.insert(v).second) extra.push_back(v);
  }
  for (const auto& v : extra) {
    auto* o = g->add_output();
    o->set_name(v);
    o->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  castNonFloatInputs(m);
  const std::string copy = scratch + "/mac_reference.onnx";
  writeBytes(copy, m.SerializeAsString());
  auto ort = runOrt(copy, {input.values}, {input.dims});
  if (!ort.ok) {
    ref.error = ort.error;
    return ref;
  }
  if (ort.shapes.size() != size_t(own_outputs) + extra.size()) {
    ref.error = "ONNX Runtime returned " + std::to_string(ort.shapes.size()) + " outputs, expected " +
                std::to_string(own_outputs + extra.size());
    return ref;
  }
  for (int i = 0; i < g->output_size(); ++i) shapes[g->output(i).name()] = ort.shapes[i];  // extras included
  ref.outputs.assign(ort.values.begin(), ort.values.begin() + own_outputs);
  ref.shapes.assign(ort.shapes.begin(), ort.shapes.begin() + own_outputs);
  for (const auto& n : g->node())
    if (isMacOp(n)) ref.layers.push_back({label(n), n.op_type(), textbookMacs(n, shapes)});
  ref.ok = true;
  return ref;
}

double relativeMaxError(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, mag = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) return INFINITY;
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
    mag = std::max(mag, std::abs(double(b[i])));
  }
  return mag > 0 ? diff / mag : (diff > 0 ? INFINITY : 0);
}

}  // namespace dnnc::test::zoo
