// What dnnc knows about each ONNX op, from the one table lib/ir/ops.def: required inputs, channel flow,
// weight-layer MAC rule. (The executor's kernels and the training rules read the same table in their own
// areas, lib/exec/ops/registry.cpp and lib/train/ops/registry.cpp.)
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace dnnc {

// How a weight layer's MACs are counted (and which layout its weight has).
enum class LayerRule : uint8_t { None, Conv, ConvTranspose, Gemm, MatMul, Recurrent };

struct OpTraits {
  // Flow flags (ops.def's Flow column).
  static constexpr uint8_t kChannelwise = 1, kJoining = 2, kFeatureMap = 4;

  std::string_view name;
  int required_inputs = 1;  // from opset `inputs_since` on; 1 before it
  int64_t inputs_since = 0;
  uint8_t flow = 0;
  LayerRule layer = LayerRule::None;
};

// Every line of the table, sorted by name.
std::span<const OpTraits> opTable();

// The table's entry for `op`, or nullptr for an op it does not list. A binary search over a static array.
const OpTraits* findOpTraits(std::string_view op);

// Inputs a node of `op` must have at `opset` (1 for an op the table does not list).
int requiredInputs(std::string_view op, int64_t opset);

// Maps every channel of input 0 to itself; other inputs are scalars or settings (Relu, MaxPool, BatchNorm...).
bool isChannelwiseOp(std::string_view op);
// Elementwise with broadcasting: the operands' channels must line up position by position (Add, Mul, PRelu...).
bool isJoiningOp(std::string_view op);
// Between two layers, keeps the data a feature map of the first (Relu, pooling, Reshape, Concat...).
bool keepsFeatureMap(std::string_view op);
// A weight layer's MAC rule; LayerRule::None for any other op.
LayerRule layerRule(std::string_view op);
// Conv, Gemm or MatMul: a weight layer that is one product of its input with a stored matrix (no
// ConvTranspose, no recurrence).
bool isDenseLayerRule(LayerRule rule);

}  // namespace dnnc
