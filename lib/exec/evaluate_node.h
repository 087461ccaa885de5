// Runs one node on known input values with the executor's kernels: how shape resolution evaluates shape
// subgraphs and fold-constants evaluates constant subgraphs, with the same semantics as a full run.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

// `known` holds every non-empty input of `node`; `context` gives the IR version and opsets. Returns the
// values of the node's named outputs, in order.
Expected<std::vector<Tensor>> evaluateNode(const onnx::NodeProto& node, const std::map<std::string, Tensor>& known,
                                           const onnx::ModelProto& context);

}  // namespace dnnc
