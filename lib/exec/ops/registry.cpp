// The op table, from ops.def: one list, no static registration objects (a static library would drop
// op files nothing references).
#include <algorithm>
#include <cstring>

#include "lib/exec/kernel.h"
#include "lib/ir/graph.h"

namespace dnnc {

#define DNNC_OP(name) Expected<std::unique_ptr<Kernel>> make##name(const NodeInfo& info);
#include "lib/exec/ops/ops.def"
#undef DNNC_OP

namespace {
struct Entry {
  const char* name;
  KernelFactory factory;
};
constexpr Entry kOps[] = {
#define DNNC_OP(name) {#name, &make##name},
#include "lib/exec/ops/ops.def"
#undef DNNC_OP
};
}  // namespace

KernelFactory findKernel(const std::string& op_type) {
  for (const Entry& e : kOps)
    if (op_type == e.name) return e.factory;
  return nullptr;
}

int requiredInputs(const std::string& op, int64_t opset) {
  static const std::pair<const char*, int> kTwo[] = {
      {"Conv", 2}, {"ConvTranspose", 2}, {"Gemm", 2}, {"MatMul", 2}, {"Add", 2}, {"Sub", 2}, {"Mul", 2},
      {"Div", 2}, {"PRelu", 2}, {"BatchNormalization", 5}, {"Gather", 2}, {"QuantizeLinear", 2},
      {"DequantizeLinear", 2}, {"Constant", 0}, {"Equal", 2}, {"Less", 2}, {"Greater", 2}, {"LessOrEqual", 2},
      {"GreaterOrEqual", 2}, {"And", 2}, {"Or", 2}, {"Xor", 2}, {"Mod", 2}, {"Expand", 2}, {"Where", 3},
      {"Range", 3}, {"ScatterND", 3}, {"LSTM", 3}, {"GRU", 3}, {"RNN", 3}};
  for (const auto& [name, n] : kTwo)
    if (op == name) return n;
  if (op == "Reshape") return opset >= 5 ? 2 : 1;
  if (op == "Pad") return opset >= 11 ? 2 : 1;
  if (op == "Slice") return opset >= 10 ? 3 : 1;
  if (op == "Unsqueeze") return opset >= 13 ? 2 : 1;
  return 1;
}

std::vector<std::string> supportedOps() {
  std::vector<std::string> names;
  for (const Entry& e : kOps) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> subgraphCaptures(const onnx::NodeProto& node) {
  std::set<std::string> names;
  for (const auto& attr : node.attribute()) {
    if (attr.has_g()) collectCapturedNames(attr.g(), names);
    for (const auto& g : attr.graphs()) collectCapturedNames(g, names);
  }
  return {names.begin(), names.end()};
}

}  // namespace dnnc
