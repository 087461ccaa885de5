#include "lib/ir/graph.h"

#include "lib/ir/external_data.h"
#include "lib/ir/node.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <deque>

namespace dnnc {

namespace {

// Names a node's subgraphs read from the enclosing scope.
std::set<std::string> nodeCaptures(const onnx::NodeProto& node) {
  std::set<std::string> out;
  for (const auto& attr : node.attribute()) {
    if (attr.has_g()) collectCapturedNames(attr.g(), out);
    for (const auto& sub : attr.graphs()) collectCapturedNames(sub, out);
  }
  return out;
}

}  // namespace

void collectCapturedNames(const onnx::GraphProto& g, std::set<std::string>& out) {
  std::set<std::string> defined;
  for (const auto& v : g.input()) defined.insert(v.name());
  for (const auto& t : g.initializer()) defined.insert(t.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output()) defined.insert(o);
  auto use = [&](const std::string& name) {
    if (!name.empty() && !defined.count(name)) out.insert(name);
  };
  for (const auto& n : g.node()) {
    for (const auto& i : n.input()) use(i);
    for (const auto& name : nodeCaptures(n)) use(name);
  }
  for (const auto& o : g.output()) use(o.name());
}

Graph::Graph(onnx::GraphProto& g, std::string base_dir) : g_(&g), base_dir_(std::move(base_dir)) { reindex(); }

void Graph::reindex() {
  producer_.clear();
  consumers_.clear();
  initializer_.clear();
  constant_.clear();
  graph_outputs_.clear();
  graph_inputs_.clear();
  captured_.clear();
  names_.clear();
  for (int i = 0; i < g_->initializer_size(); ++i) {
    initializer_[g_->initializer(i).name()] = i;
    names_.insert(g_->initializer(i).name());
  }
  for (const auto& v : g_->input()) graph_inputs_.insert(v.name()), names_.insert(v.name());
  for (const auto& v : g_->output()) graph_outputs_.insert(v.name()), names_.insert(v.name());
  for (NodeId id = 0; id < g_->node_size(); ++id) {
    const auto& n = g_->node(id);
    names_.insert(n.name());
    if (erased_.count(id)) continue;
    for (const auto& o : n.output()) {
      if (o.empty()) continue;
      producer_[o] = id;
      names_.insert(o);
    }
    for (int k = 0; k < n.input_size(); ++k)
      if (!n.input(k).empty()) consumers_[n.input(k)].push_back({id, k});
    if (n.op_type() == "Constant" && isDefaultDomain(n) && n.output_size() == 1) {
      for (const auto& attr : n.attribute())
        if (attr.name() == "value" && attr.has_t()) constant_[n.output(0)] = id;
    }
    for (const auto& c : nodeCaptures(n)) captured_.insert(c);
  }
}

std::vector<NodeId> Graph::nodes() const {
  std::vector<NodeId> out;
  out.reserve(static_cast<size_t>(g_->node_size()));
  for (NodeId id = 0; id < g_->node_size(); ++id)
    if (!erased_.count(id)) out.push_back(id);
  return out;
}

std::optional<NodeId> Graph::producer(const std::string& value) const {
  auto it = producer_.find(value);
  if (it == producer_.end()) return std::nullopt;
  return it->second;
}

std::vector<Use> Graph::consumers(const std::string& value) const {
  auto it = consumers_.find(value);
  if (it == consumers_.end()) return {};
  std::vector<Use> out;
  for (const auto& u : it->second)
    if (!erased_.count(u.node)) out.push_back(u);
  return out;
}

bool Graph::isGraphOutput(const std::string& value) const { return graph_outputs_.count(value) > 0; }
bool Graph::isGraphInput(const std::string& value) const { return graph_inputs_.count(value) > 0; }

bool Graph::isWeight(const std::string& value) const {
  auto c = constant_.find(value);
  return initializer_.count(value) > 0 || (c != constant_.end() && !erased_.count(c->second));
}

const onnx::TensorProto* Graph::weightProto(const std::string& value) const {
  if (auto it = initializer_.find(value); it != initializer_.end()) return &g_->initializer(it->second);
  if (auto it = constant_.find(value); it != constant_.end() && !erased_.count(it->second))
    for (const auto& attr : g_->node(it->second).attribute())
      if (attr.name() == "value" && attr.has_t()) return &attr.t();
  return nullptr;
}

Expected<Tensor> Graph::readWeight(const std::string& value) const {
  const onnx::TensorProto* p = weightProto(value);
  if (!p) return Error(Exit::Internal, "'", value, "' is not a weight");
  return readTensor(*p, base_dir_);
}

onnx::TensorProto* Graph::mutableWeightProto(const std::string& value) {
  onnx::TensorProto* p = nullptr;
  if (auto it = initializer_.find(value); it != initializer_.end()) {
    p = g_->mutable_initializer(it->second);
  } else if (auto c = constant_.find(value); c != constant_.end()) {
    for (auto& attr : *g_->mutable_node(c->second)->mutable_attribute())
      if (attr.name() == "value" && attr.has_t()) p = attr.mutable_t();
  }
  DNNC_CHECK(p != nullptr, "'", value, "' is not a weight");
  return p;
}

void Graph::syncDeclaredInputShape(const std::string& value, const std::vector<int64_t>& dims) {
  // The declared graph input (old IR versions list initializers as inputs) must follow the new shape.
  for (auto& in : *g_->mutable_input()) {
    if (in.name() != value || !in.type().has_tensor_type()) continue;
    auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }
}

void Graph::setWeight(const std::string& value, const Tensor& t) {
  writeTensor(t, *mutableWeightProto(value));
  syncDeclaredInputShape(value, t.dims());
}

std::span<float> Graph::floatWeightInPlace(const std::string& value) {
  static_assert(std::endian::native == std::endian::little, "raw_data is little-endian");
  onnx::TensorProto* p = mutableWeightProto(value);
  if (p->data_type() != onnx::TensorProto::FLOAT) return {};
  // External data is read in to be edited: the model then holds the weight once, as raw_data (a save
  // writes it out again without a copy), instead of a copy beside the reference (lib/ir/tensor_relocation.h).
  if (isExternal(*p)) {
    auto t = readTensor(*p, base_dir_);
    if (!t) return {};  // readWeight reports the error
    writeTensor(*t, *p);
    p->clear_external_data();
    p->clear_data_location();
  }
  // Exactly the fields writeTensor would leave: raw float32 data and nothing else holding values.
  if (!p->has_raw_data() || p->has_data_location() ||
      p->external_data_size() > 0 || p->float_data_size() > 0)
    return {};
  std::string& raw = *p->mutable_raw_data();
  if (raw.size() % sizeof(float) != 0 || reinterpret_cast<uintptr_t>(raw.data()) % alignof(float) != 0) return {};
  return {reinterpret_cast<float*>(raw.data()), raw.size() / sizeof(float)};
}

void Graph::weightEditedInPlace(const std::string& value) {
  const onnx::TensorProto* p = mutableWeightProto(value);
  syncDeclaredInputShape(value, std::vector<int64_t>(p->dims().begin(), p->dims().end()));
}

std::string Graph::addInitializer(const std::string& base, const Tensor& t) {
  std::string name = uniqueName(base);
  auto* p = g_->add_initializer();
  p->set_name(name);
  writeTensor(t, *p);
  initializer_[name] = g_->initializer_size() - 1;
  return name;
}

int Graph::weightUseCount(const std::string& value) const {
  int n = static_cast<int>(consumers(value).size());
  if (captured_.count(value)) ++n;
  if (graph_outputs_.count(value)) ++n;
  return n;
}

NodeId Graph::addNode(onnx::NodeProto node) {
  NodeId id = g_->node_size();
  if (node.name().empty()) node.set_name(uniqueName(node.op_type()));
  names_.insert(node.name());
  *g_->add_node() = std::move(node);
  const auto& n = g_->node(id);
  for (const auto& o : n.output())
    if (!o.empty()) producer_[o] = id, names_.insert(o);
  for (int k = 0; k < n.input_size(); ++k)
    if (!n.input(k).empty()) consumers_[n.input(k)].push_back({id, k});
  return id;
}

void Graph::erase(NodeId id) {
  erased_.insert(id);
  for (const auto& o : g_->node(id).output()) {
    auto it = producer_.find(o);
    if (it != producer_.end() && it->second == id) producer_.erase(it);
  }
  constant_.erase(g_->node(id).output_size() ? g_->node(id).output(0) : std::string());
}

void Graph::replaceAllUses(const std::string& from, const std::string& to) {
  auto it = consumers_.find(from);
  if (it != consumers_.end()) {
    for (const auto& u : it->second) {
      if (erased_.count(u.node)) continue;
      g_->mutable_node(u.node)->set_input(u.input_index, to);
      consumers_[to].push_back(u);
    }
    consumers_.erase(from);
  }
  for (auto& o : *g_->mutable_output())
    if (o.name() == from) o.set_name(to);
  if (graph_outputs_.erase(from)) graph_outputs_.insert(to);
}

std::string Graph::uniqueName(const std::string& base) {
  std::string name = base;
  while (names_.count(name)) name = strCat(base, "_", ++next_name_);
  names_.insert(name);
  return name;
}

Status Graph::compact() {
  // Kahn's algorithm, stable on the current order: a node waits only for values produced in this graph.
  std::vector<NodeId> live = nodes();
  std::map<NodeId, int> pending;
  std::map<std::string, std::vector<NodeId>> waiting;
  for (NodeId id : live) {
    std::set<std::string> deps;
    for (const auto& i : g_->node(id).input())
      if (!i.empty() && producer_.count(i)) deps.insert(i);
    for (const auto& c : nodeCaptures(g_->node(id)))
      if (producer_.count(c)) deps.insert(c);
    pending[id] = static_cast<int>(deps.size());
    for (const auto& d : deps) waiting[d].push_back(id);
  }
  std::set<NodeId> ready;
  for (NodeId id : live)
    if (pending[id] == 0) ready.insert(id);
  std::vector<NodeId> order;
  while (!ready.empty()) {
    NodeId id = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(id);
    for (const auto& o : g_->node(id).output()) {
      auto it = waiting.find(o);
      if (it == waiting.end()) continue;
      for (NodeId w : it->second)
        if (--pending[w] == 0) ready.insert(w);
    }
  }
  if (order.size() != live.size()) return Error(Exit::Internal, "graph '", g_->name(), "' has a cycle after a rewrite");
  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  for (NodeId id : order) *sorted.Add() = std::move(*g_->mutable_node(id));
  g_->mutable_node()->Swap(&sorted);
  erased_.clear();
  reindex();
  return {};
}

}  // namespace dnnc
