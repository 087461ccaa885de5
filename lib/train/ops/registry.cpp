// Which ops have reverse rules, and the attribute helpers they share.
#include "lib/train/ops/registry.h"

#include <map>

namespace dnnc::train {

const onnx::AttributeProto* findAttr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t attrInt(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
  const auto* a = findAttr(n, name);
  return a ? a->i() : fallback;
}
float attrFloat(const onnx::NodeProto& n, const std::string& name, float fallback) {
  const auto* a = findAttr(n, name);
  return a ? a->f() : fallback;
}
std::vector<int64_t> attrInts(const onnx::NodeProto& n, const std::string& name) {
  const auto* a = findAttr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}
std::string attrString(const onnx::NodeProto& n, const std::string& name, const std::string& fallback) {
  const auto* a = findAttr(n, name);
  return a ? a->s() : fallback;
}

std::string dimsText(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

using Factory = Expected<std::unique_ptr<Op>> (*)(const onnx::NodeProto&, int64_t);

Expected<std::unique_ptr<Op>> makeOp(const onnx::NodeProto& node, int64_t opset) {
  static const std::map<std::string, Factory> table = {
      {"Relu", makeUnary}, {"LeakyRelu", makeUnary}, {"Clip", makeUnary}, {"Sigmoid", makeUnary},
      {"Tanh", makeUnary}, {"Dropout", makeUnary}, {"Identity", makeUnary},
      {"Add", makeBinary}, {"Sub", makeBinary}, {"Mul", makeBinary},
      {"Gemm", makeGemm}, {"MatMul", makeMatMul}, {"Conv", makeConv},
      {"MaxPool", makePool}, {"AveragePool", makePool}, {"GlobalAveragePool", makePool},
      {"BatchNormalization", makeBatchNorm},
      {"Flatten", makeShapeOp}, {"Reshape", makeShapeOp}, {"Concat", makeShapeOp}, {"Gather", makeShapeOp},
      {"Unsqueeze", makeShapeOp},
      {"Softmax", makeSoftmax}, {"LogSoftmax", makeSoftmax},
      {"Cast", makeIntegerOp}, {"Shape", makeIntegerOp},
  };
  const std::string where = node.op_type() + " node '" + (node.name().empty() ? node.output(0) : node.name()) + "'";
  auto it = node.domain().empty() || node.domain() == "ai.onnx" ? table.find(node.op_type()) : table.end();
  if (it == table.end())
    return Error(Exit::Input, "no gradient for op '", node.op_type(), "' (", where, ")")
        .withHint("training supports Conv, Gemm, MatMul, Add, Sub, Mul, Relu, LeakyRelu, Clip, Sigmoid, Tanh, MaxPool, "
                  "AveragePool, GlobalAveragePool, BatchNormalization, Flatten, Reshape, Concat, Unsqueeze, Dropout, "
                  "Gather, Softmax, LogSoftmax, Identity, Cast, Shape");
  DNNC_ASSIGN(auto op, it->second(node, opset));
  op->where = where;
  return op;
}

}  // namespace dnnc::train
