// Which ops have reverse rules.
#include "lib/train/ops/registry.h"

#include <map>

namespace dnnc::train {

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
  const std::string where = node.op_type() + " node '" + nodeLabel(node) + "'";
  auto it = isDefaultDomain(node) ? table.find(node.op_type()) : table.end();
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
