// The op factories of the training tape, one family per file in lib/train/ops/; the op table
// (lib/ir/ops.def) names each op's factory in its Train column (Train(Unary) is makeUnary).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/train/op.h"

namespace dnnc::train {

Expected<std::unique_ptr<Op>> makeUnary(const onnx::NodeProto& n, int64_t opset);    // elementwise.cpp
Expected<std::unique_ptr<Op>> makeBinary(const onnx::NodeProto& n, int64_t opset);   // elementwise.cpp
Expected<std::unique_ptr<Op>> makeGemm(const onnx::NodeProto& n, int64_t opset);     // dense.cpp
Expected<std::unique_ptr<Op>> makeMatMul(const onnx::NodeProto& n, int64_t opset);   // dense.cpp
Expected<std::unique_ptr<Op>> makeConv(const onnx::NodeProto& n, int64_t opset);     // conv.cpp
Expected<std::unique_ptr<Op>> makePool(const onnx::NodeProto& n, int64_t opset);     // pool.cpp
Expected<std::unique_ptr<Op>> makeBatchNorm(const onnx::NodeProto& n, int64_t opset);  // batch_norm.cpp
Expected<std::unique_ptr<Op>> makeShapeOp(const onnx::NodeProto& n, int64_t opset);  // shape.cpp
Expected<std::unique_ptr<Op>> makeSoftmax(const onnx::NodeProto& n, int64_t opset);  // softmax.cpp
Expected<std::unique_ptr<Op>> makeIntegerOp(const onnx::NodeProto& n, int64_t opset);  // integer.cpp

// The activation of a Relu or Clip node whose bounds are known while the tape is built (attributes
// before opset 11; constant inputs, looked up by name, from 11), for its producer to fuse
// (Op::fuseClamp); nullopt for other nodes or bounds computed at run time.
std::optional<Clamp> clampOf(const onnx::NodeProto& n, int64_t opset,
                             const std::function<const Slot*(const std::string&)>& constant);  // elementwise.cpp

std::string dimsText(const std::vector<int64_t>& d);

}  // namespace dnnc::train
