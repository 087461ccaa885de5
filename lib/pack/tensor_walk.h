// Every TensorProto of a model in one deterministic order (pack and unpack must agree on it):
// for each graph, its initializers, then its sparse initializers' values and indices, then its
// nodes' tensor attributes (Constant values and the like) and, depth first, the graphs in their
// attributes; the main graph first, then each function's nodes, then training_info's graphs.
#pragma once
#include <onnx/onnx_pb.h>

#include <vector>

namespace dnnc::pack {

std::vector<onnx::TensorProto*> allTensors(onnx::ModelProto& model);

}  // namespace dnnc::pack
