#include "lib/analysis/shape_resolution.h"

#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "lib/exec/evaluate_node.h"
#include "lib/exec/executor.h"
#include "lib/exec/kernel.h"
#include "lib/ir/node.h"
#include "lib/support/suggest.h"

namespace dnnc {

namespace {

// Tensors up to this many elements keep their values in the skeleton and may be folded: shape vectors,
// indices, scales, small constants. Weights are far larger and never take part.
constexpr int64_t kFoldElements = int64_t{1} << 16;
// Fixed-point rounds: each round exposes the next level of data-dependent shapes (a ShuffleNet needs one per
// unit); the cap only guards against a graph that never settles.
constexpr int kMaxRounds = 1000;

int64_t numelOf(const onnx::TensorProto& t) {
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  return n;
}

bool fullyKnown(const ValueShape* s) {
  if (!s || !s->known_rank) return false;
  return std::all_of(s->dims.begin(), s->dims.end(), [](int64_t d) { return d >= 0; });
}

std::string dimsText(const std::vector<int64_t>& dims) { return formatDims(dims); }

// The model without its weights' payloads (only dims and types), with small tensors' values kept: what
// shape inference and folding need, at a fraction of the memory.
class Skeleton {
 public:
  explicit Skeleton(const Model& model) : model_(model) {
    auto& p = proto_;
    p.set_ir_version(model.proto.ir_version());
    *p.mutable_opset_import() = model.proto.opset_import();
    *p.mutable_functions() = model.proto.functions();
    const auto& g = model.graph();
    auto* s = p.mutable_graph();
    s->set_name(g.name());
    *s->mutable_node() = g.node();
    *s->mutable_input() = g.input();
    *s->mutable_output() = g.output();
    *s->mutable_value_info() = g.value_info();
    for (const auto& t : g.initializer()) {
      auto* c = s->add_initializer();
      c->set_name(t.name());
      c->set_data_type(t.data_type());
      *c->mutable_dims() = t.dims();
      if (numelOf(t) <= kFoldElements) {
        auto value = readTensor(t, model.base_dir);
        if (value) {
          writeTensor(*value, *c);
          known_.emplace(t.name(), std::move(*value));
          continue;
        }
      }
      c->set_raw_data(std::string());  // shape inference reads dims and type only
    }
    declared_value_info_ = g.value_info();
    declared_outputs_ = g.output();
  }

  onnx::ModelProto& proto() { return proto_; }
  onnx::GraphProto& graph() { return *proto_.mutable_graph(); }
  std::map<std::string, Tensor>& known() { return known_; }

  // Shape inference from scratch on the current nodes; what a failing node leaves unknown stays unknown.
  ShapeMap infer() {
    *graph().mutable_value_info() = declared_value_info_;
    if (!runInference()) {
      // A declared output shape that contradicts inference aborts ONNX's pass: retry without them.
      *graph().mutable_value_info() = declared_value_info_;
      for (auto& o : *graph().mutable_output()) o.mutable_type()->mutable_tensor_type()->clear_shape();
      runInference();
      *graph().mutable_output() = declared_outputs_;
    }
    ShapeMap out;
    const auto& g = graph();
    for (const auto& t : g.initializer()) out.set(t.name(), valueShapeOf(t));
    for (const auto& vi : g.input()) out.set(vi.name(), valueShapeOf(vi));
    for (const auto& vi : g.value_info()) out.set(vi.name(), valueShapeOf(vi));
    for (const auto& vi : g.output())
      if (!out.find(vi.name()) || !out.find(vi.name())->known_rank) out.set(vi.name(), valueShapeOf(vi));
    return out;
  }

  void addKnown(const std::string& name, Tensor value) {
    auto* t = graph().add_initializer();
    writeTensor(value, *t);
    t->set_name(name);
    known_.insert_or_assign(name, std::move(value));
  }

 private:
  bool runInference() {
    try {
      onnx::ShapeInferenceOptions options(false, 0, true);
      onnx::shape_inference::InferShapes(proto_, onnx::OpSchemaRegistry::Instance(), options);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  const Model& model_;
  onnx::ModelProto proto_;
  std::map<std::string, Tensor> known_;
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> declared_value_info_, declared_outputs_;
};

// Shape (opset 15's start/end included) and Size of a tensor whose dims are all known.
std::optional<Tensor> shapeOf(const onnx::NodeProto& node, const ValueShape& in) {
  const int64_t rank = static_cast<int64_t>(in.dims.size());
  if (node.op_type() == "Size") {
    Tensor t(DType::Int64, {});
    int64_t n = 1;
    for (int64_t d : in.dims) n *= d;
    t.data<int64_t>()[0] = n;
    return t;
  }
  auto clampAxis = [&](int64_t a) { return std::clamp(a < 0 ? a + rank : a, int64_t{0}, rank); };
  int64_t start = clampAxis(attrInt(node, "start", 0));
  int64_t end = hasAttr(node, "end") ? clampAxis(attrInt(node, "end", rank)) : rank;
  int64_t count = std::max<int64_t>(0, end - start);
  Tensor t(DType::Int64, {count});
  for (int64_t i = 0; i < count; ++i) t.data<int64_t>()[i] = in.dims[static_cast<size_t>(start + i)];
  return t;
}

class Resolver {
 public:
  Resolver(const Model& model, ResolvedShapes& out, bool substitute_batch)
      : skeleton_(model), out_(out), substitute_batch_(substitute_batch) {}

  Status setInputs(const Model& model, const InputShapes& request) {
    std::set<std::string> initializers;
    for (const auto& t : model.graph().initializer()) initializers.insert(t.name());
    std::vector<std::string> input_names;
    for (const auto& vi : model.graph().input())
      if (!initializers.count(vi.name())) input_names.push_back(vi.name());
    for (const auto& [name, dims] : request.given) {
      std::string target = name;
      if (target.empty()) {
        if (input_names.size() != 1)
          return Error(Exit::Usage, "--input-shape without a name needs a model with one input (this one has ",
                       input_names.size(), ")");
        target = input_names.front();
      }
      if (std::find(input_names.begin(), input_names.end(), target) == input_names.end()) {
        Error e(Exit::Usage, "--input-shape names '", target, "', which is not an input of the model");
        std::string close = closestMatch(target, input_names);
        return std::move(e).withHint(close.empty() ? "inputs: " + join(input_names) : "did you mean '" + close + "'?");
      }
      given_[target] = dims;
    }
    out_.batch = request.batch > 0 ? request.batch : 1;
    bool first = true;
    for (auto& vi : *skeleton_.graph().mutable_input()) {
      if (initializers.count(vi.name())) continue;
      DNNC_ASSIGN(std::vector<int64_t> dims, inputDims(vi));
      // The model's batch: the leading dim of its first input, as resolved (a static one stays as declared).
      if (first && !dims.empty() && dims[0] > 0) out_.batch = dims[0];
      first = false;
      out_.inputs.emplace_back(vi.name(), dims);
      if (!vi.type().has_tensor_type()) continue;
      auto* shape = vi.mutable_type()->mutable_tensor_type()->mutable_shape();
      shape->clear_dim();
      for (int64_t d : dims) {
        auto* dim = shape->add_dim();
        if (d >= 0) dim->set_dim_value(d);
      }
    }
    return {};
  }

  void run() {
    ShapeMap shapes = skeleton_.infer();
    for (int round = 0; round < kMaxRounds; ++round) {
      if (!foldRound(shapes)) break;
      shapes = skeleton_.infer();
    }
    out_.shapes = std::move(shapes);
    for (auto& [name, value] : skeleton_.known())
      if (producedByFolding_.count(name)) out_.folded.emplace(name, value);
  }

 private:
  Expected<std::vector<int64_t>> inputDims(const onnx::ValueInfoProto& vi) {
    std::vector<int64_t> declared;
    bool has_shape = vi.type().has_tensor_type() && vi.type().tensor_type().has_shape();
    if (has_shape)
      for (const auto& d : vi.type().tensor_type().shape().dim()) declared.push_back(d.has_dim_value() ? d.dim_value() : -1);
    auto it = given_.find(vi.name());
    if (it != given_.end()) {
      const auto& dims = it->second;
      if (has_shape && dims.size() != declared.size())
        return Error(Exit::Usage, "--input-shape ", vi.name(), "=", dimsText(dims), ": the model declares rank ",
                     declared.size(), " ", dimsText(declared));
      for (size_t i = 0; has_shape && i < dims.size(); ++i)
        if (declared[i] >= 0 && dims[i] != declared[i])
          return Error(Exit::Usage, "--input-shape ", vi.name(), "=", dimsText(dims), " contradicts the model's static ",
                       dimsText(declared), " at dim ", i);
      return dims;
    }
    if (substitute_batch_ && !declared.empty() && declared[0] < 0) declared[0] = out_.batch;
    return declared;
  }

  static std::string join(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
  }

  bool isKnown(const std::string& name) { return name.empty() || skeleton_.known().count(name) > 0; }

  bool foldable(const onnx::NodeProto& node, const ShapeMap& shapes) {
    if (!isDefaultDomain(node) || hasSubgraph(node) || !findKernel(node.op_type())) return false;
    for (const auto& in : node.input())
      if (!isKnown(in)) return false;
    // Do not materialise large tensors (torch.zeros(x.shape) and the like): only shape-sized results.
    for (const auto& o : node.output()) {
      const ValueShape* s = shapes.find(o);
      if (!fullyKnown(s)) continue;
      int64_t n = 1;
      for (int64_t d : s->dims) n *= d;
      if (n > kFoldElements) return false;
    }
    return true;
  }

  // Evaluates what can be evaluated, in graph order; true when anything changed.
  bool foldRound(const ShapeMap& shapes) {
    auto& graph = skeleton_.graph();
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    bool changed = false;
    for (auto& node : *graph.mutable_node()) {
      if (node.op_type() == "Shape" && isDefaultDomain(node) && node.input_size() == 1 && !hasAttr(node, "start") &&
          !hasAttr(node, "end"))
        shape_of_[node.output(0)] = node.input(0);
      if (node.op_type() == "If" && isDefaultDomain(node) && inlineIf(node, kept)) {
        changed = true;
        continue;
      }
      if ((node.op_type() == "Shape" || node.op_type() == "Size") && isDefaultDomain(node) && node.input_size() == 1 &&
          fullyKnown(shapes.find(node.input(0)))) {
        if (auto value = shapeOf(node, *shapes.find(node.input(0)))) {
          record(node.output(0), std::move(*value));
          changed = true;
          continue;
        }
      }
      if (auto value = knownDimsOfShape(node, shapes)) {
        record(node.output(0), std::move(*value));
        changed = true;
        continue;
      }
      if (foldable(node, shapes)) {
        auto values = evaluateNode(node, skeleton_.known(), skeleton_.proto());
        if (values && values->size() == static_cast<size_t>(node.output_size()) && smallEnough(*values)) {
          for (int i = 0; i < node.output_size(); ++i)
            if (!node.output(i).empty()) record(node.output(i), std::move((*values)[static_cast<size_t>(i)]));
          changed = true;
          continue;
        }
      }
      *kept.Add() = std::move(node);
    }
    *graph.mutable_node() = std::move(kept);
    return changed;
  }

  // Gather(Shape(x), indices) where the dims it picks are known though others of x are not (torch's
  // x.size(1) on a tensor with a symbolic batch).
  std::optional<Tensor> knownDimsOfShape(const onnx::NodeProto& node, const ShapeMap& shapes) {
    if (node.op_type() != "Gather" || !isDefaultDomain(node) || node.input_size() != 2 || attrInt(node, "axis", 0) != 0)
      return std::nullopt;
    auto producer = shape_of_.find(node.input(0));
    auto indices = skeleton_.known().find(node.input(1));
    if (producer == shape_of_.end() || indices == skeleton_.known().end()) return std::nullopt;
    const ValueShape* in = shapes.find(producer->second);
    if (!in || !in->known_rank) return std::nullopt;
    const auto rank = static_cast<int64_t>(in->dims.size());
    std::vector<float> picks = indices->second.toFloats();
    Tensor out(DType::Int64, indices->second.dims());
    for (size_t i = 0; i < picks.size(); ++i) {
      int64_t k = static_cast<int64_t>(picks[i]);
      if (k < 0) k += rank;
      if (k < 0 || k >= rank || in->dims[static_cast<size_t>(k)] < 0) return std::nullopt;
      out.data<int64_t>()[i] = in->dims[static_cast<size_t>(k)];
    }
    return out;
  }

  static bool smallEnough(const std::vector<Tensor>& values) {
    return std::all_of(values.begin(), values.end(), [](const Tensor& t) { return t.numel() <= kFoldElements; });
  }

  void record(const std::string& name, Tensor value) {
    producedByFolding_.insert(name);
    ++out_.folded_nodes;
    skeleton_.addKnown(name, std::move(value));
  }

  // An If whose condition is known becomes its taken branch, its outputs renamed through Identity nodes.
  bool inlineIf(const onnx::NodeProto& node, google::protobuf::RepeatedPtrField<onnx::NodeProto>& kept) {
    if (node.input_size() < 1) return false;
    auto it = skeleton_.known().find(node.input(0));
    if (it == skeleton_.known().end() || it->second.numel() != 1) return false;
    std::vector<float> cond = it->second.toFloats();
    const onnx::AttributeProto* branch = findAttr(node, cond[0] != 0 ? "then_branch" : "else_branch");
    if (!branch || !branch->has_g() || branch->g().output_size() != node.output_size()) return false;
    const onnx::GraphProto& body = branch->g();
    for (const auto& t : body.initializer()) {
      auto value = readTensor(t, "");
      if (!value) return false;
      skeleton_.addKnown(t.name(), std::move(*value));
    }
    for (const auto& n : body.node()) *kept.Add() = n;
    for (int i = 0; i < node.output_size(); ++i) {
      onnx::NodeProto identity;
      identity.set_op_type("Identity");
      identity.set_name(nodeLabel(node) + "/taken_branch_output_" + std::to_string(i));
      identity.add_input(body.output(i).name());
      identity.add_output(node.output(i));
      *kept.Add() = std::move(identity);
    }
    ++out_.inlined_ifs;
    return true;
  }

  Skeleton skeleton_;
  ResolvedShapes& out_;
  bool substitute_batch_ = true;
  std::map<std::string, std::vector<int64_t>> given_;
  std::set<std::string> producedByFolding_;
  std::map<std::string, std::string> shape_of_;  // output of a Shape node -> the value it measures
};

}  // namespace

std::string InputShapes::key() const {
  std::ostringstream os;
  for (const auto& [name, dims] : given) os << name << "=" << formatDims(dims) << ";";
  if (batch > 0) os << "batch=" << batch;
  return os.str();
}

Expected<std::pair<std::string, std::vector<int64_t>>> parseInputShape(const std::string& text) {
  std::string name, dims_text = text;
  auto eq = text.rfind('=');
  if (eq != std::string::npos) {
    name = text.substr(0, eq);
    dims_text = text.substr(eq + 1);
  }
  std::vector<int64_t> dims;
  std::stringstream ss(dims_text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 1)
      return Error(Exit::Usage, "--input-shape '", text, "': '", item, "' is not a positive dimension")
          .withHint("write it as NAME=1,3,224,224");
    dims.push_back(v);
  }
  if (dims.empty())
    return Error(Exit::Usage, "--input-shape '", text, "' gives no dimensions").withHint("write it as NAME=1,3,224,224");
  return std::make_pair(name, dims);
}

std::vector<std::string> ResolvedShapes::unknownInputs() const {
  std::vector<std::string> out;
  for (const auto& [name, dims] : inputs)
    if (std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d < 0; })) out.push_back(name + " " + formatDims(dims));
  return out;
}

Expected<ResolvedShapes> resolveShapes(const Model& model, const InputShapes& inputs, const ResolveOptions& options) {
  ResolvedShapes out;
  Resolver resolver(model, out, options.substitute_batch);
  DNNC_TRY(resolver.setInputs(model, inputs));
  resolver.run();
  return out;
}

}  // namespace dnnc
