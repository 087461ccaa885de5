#include "lib/ir/node.h"

#include "lib/ir/op_traits.h"

namespace dnnc {

namespace {

onnx::AttributeProto* mutableAttr(onnx::NodeProto& node, std::string_view name, onnx::AttributeProto::AttributeType type) {
  onnx::AttributeProto* a = nullptr;
  for (auto& existing : *node.mutable_attribute())
    if (existing.name() == name) a = &existing;
  if (!a) {
    a = node.add_attribute();
    a->set_name(std::string(name));
  }
  a->Clear();
  a->set_name(std::string(name));
  a->set_type(type);
  return a;
}

}  // namespace

const onnx::AttributeProto* findAttr(const onnx::NodeProto& node, std::string_view name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

bool hasAttr(const onnx::NodeProto& node, std::string_view name) { return findAttr(node, name) != nullptr; }

int64_t attrInt(const onnx::NodeProto& node, std::string_view name, int64_t fallback) {
  const auto* a = findAttr(node, name);
  return a ? a->i() : fallback;
}

float attrFloat(const onnx::NodeProto& node, std::string_view name, float fallback) {
  const auto* a = findAttr(node, name);
  return a ? a->f() : fallback;
}

std::string attrString(const onnx::NodeProto& node, std::string_view name, const std::string& fallback) {
  const auto* a = findAttr(node, name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> attrInts(const onnx::NodeProto& node, std::string_view name) {
  const auto* a = findAttr(node, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}

std::vector<int64_t> attrInts(const onnx::NodeProto& node, std::string_view name, std::vector<int64_t> fallback) {
  const auto* a = findAttr(node, name);
  if (!a || a->ints_size() == 0) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

std::vector<float> attrFloats(const onnx::NodeProto& node, std::string_view name) {
  const auto* a = findAttr(node, name);
  return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>{};
}

std::vector<std::string> attrStrings(const onnx::NodeProto& node, std::string_view name) {
  const auto* a = findAttr(node, name);
  return a ? std::vector<std::string>(a->strings().begin(), a->strings().end()) : std::vector<std::string>{};
}

void setAttrInt(onnx::NodeProto& node, std::string_view name, int64_t value) {
  mutableAttr(node, name, onnx::AttributeProto::INT)->set_i(value);
}

void setAttrFloat(onnx::NodeProto& node, std::string_view name, float value) {
  mutableAttr(node, name, onnx::AttributeProto::FLOAT)->set_f(value);
}

void setAttrString(onnx::NodeProto& node, std::string_view name, const std::string& value) {
  mutableAttr(node, name, onnx::AttributeProto::STRING)->set_s(value);
}

void setAttrInts(onnx::NodeProto& node, std::string_view name, const std::vector<int64_t>& values) {
  auto* a = mutableAttr(node, name, onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void removeAttr(onnx::NodeProto& node, std::string_view name) {
  auto* attrs = node.mutable_attribute();
  for (int i = attrs->size() - 1; i >= 0; --i)
    if (attrs->Get(i).name() == name) attrs->DeleteSubrange(i, 1);
}

std::string nodeLabel(const onnx::NodeProto& node) {
  if (!node.name().empty()) return node.name();
  if (node.output_size() > 0 && !node.output(0).empty()) return node.output(0);
  return node.op_type();
}

bool hasSubgraph(const onnx::NodeProto& node) {
  for (const auto& a : node.attribute())
    if (a.has_g() || a.graphs_size() > 0) return true;
  return false;
}

bool isRecurrentOp(const std::string& op) { return layerRule(op) == LayerRule::Recurrent; }

bool isDefaultDomain(const onnx::NodeProto& node) { return node.domain().empty() || node.domain() == "ai.onnx"; }

}  // namespace dnnc
