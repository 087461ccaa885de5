// Shared by the decompose-* pass tests: tiny models from ONNX text, reading weights back, and
// recomposing a decomposed kernel by plain loops (the independent reference for the reported errors).
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "lib/ir/graph.h"
#include "test/passes/pass_test_util.h"

namespace dnnc::test {

inline std::string floatList(const std::vector<float>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

inline std::string intList(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s;
}

// One Conv: x [1, in_channels, H, W] -> y, weight w [K, C/group, h, w], bias b [K]; attrs is the
// attribute text ("strides = [2, 2], pads = [1, 1, 1, 1]").
inline onnx::ModelProto convModel(const std::vector<int64_t>& wdims, const std::vector<float>& w, const std::vector<float>& b,
                                  int64_t in_channels, int64_t H, int64_t W, const std::string& attrs) {
  std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\n"
                     "g (float[1, " + std::to_string(in_channels) + ", " + std::to_string(H) + ", " + std::to_string(W) +
                     "] x) => (float[1, " + std::to_string(wdims[0]) + ", ?, ?] y)\n<float[" + intList(wdims) + "] w = {" +
                     floatList(w) + "}, float[" + std::to_string(wdims[0]) + "] b = {" + floatList(b) + "}>\n{\n y = Conv " +
                     (attrs.empty() ? std::string() : "<" + attrs + "> ") + "(x, w, b)\n}";
  return modelFromText(text);
}

inline int countOps(const onnx::ModelProto& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op;
  return n;
}

inline std::vector<const onnx::NodeProto*> nodesOf(const onnx::ModelProto& m, const std::string& op) {
  std::vector<const onnx::NodeProto*> out;
  for (const auto& node : m.graph().node())
    if (node.op_type() == op) out.push_back(&node);
  return out;
}

inline std::vector<float> weightValues(const onnx::ModelProto& m, const std::string& name, std::vector<int64_t>* dims = nullptr) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) {
      auto r = readTensor(t, ".");
      REQUIRE(r.ok());
      if (dims) *dims = r->dims();
      return r->toFloats();
    }
  FAIL("no initializer " << name);
  return {};
}

inline int64_t intAttr(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

inline std::vector<int64_t> intsAttr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}

inline double relError(const std::vector<float>& ref, const std::vector<double>& approx) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) num += (ref[i] - approx[i]) * (ref[i] - approx[i]), den += double(ref[i]) * ref[i];
  return std::sqrt(num / den);
}

}  // namespace dnnc::test
