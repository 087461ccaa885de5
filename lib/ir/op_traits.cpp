// The op table's traits, expanded once into a sorted constexpr array (ops.def) and searched by name.
#include "lib/ir/op_traits.h"

#include <algorithm>
#include <iterator>

namespace dnnc {

namespace op_columns {

// The Flow column's names.
constexpr uint8_t None = 0, Channelwise = OpTraits::kChannelwise, Joining = OpTraits::kJoining,
                  FeatureMap = OpTraits::kFeatureMap;

#define DNNC_IR_Inputs(...) DNNC_IR_INPUTS_(__VA_ARGS__, 0, )
#define DNNC_IR_INPUTS_(n, since, ...) n, since
#define DNNC_IR_Flow(flags) uint8_t(flags)
#define DNNC_IR_Layer(rule) LayerRule::rule
#define DNNC_OP(name, kernel, inputs, train, flow, layer) \
  OpTraits{#name, DNNC_IR_##inputs, DNNC_IR_##flow, DNNC_IR_##layer},
constexpr OpTraits kOps[] = {
#include "lib/ir/ops.def"
};
#undef DNNC_OP
#undef DNNC_IR_Layer
#undef DNNC_IR_Flow
#undef DNNC_IR_INPUTS_
#undef DNNC_IR_Inputs

constexpr bool sortedByName() {
  for (size_t i = 1; i < std::size(kOps); ++i)
    if (!(kOps[i - 1].name < kOps[i].name)) return false;
  return true;
}
static_assert(sortedByName(), "lib/ir/ops.def must be sorted by op name, without repeats");

}  // namespace op_columns

std::span<const OpTraits> opTable() { return op_columns::kOps; }

const OpTraits* findOpTraits(std::string_view op) {
  using op_columns::kOps;
  auto it = std::lower_bound(std::begin(kOps), std::end(kOps), op,
                             [](const OpTraits& t, std::string_view name) { return t.name < name; });
  return it != std::end(kOps) && it->name == op ? &*it : nullptr;
}

int requiredInputs(std::string_view op, int64_t opset) {
  const OpTraits* t = findOpTraits(op);
  return t && opset >= t->inputs_since ? t->required_inputs : 1;
}

namespace {
bool hasFlow(std::string_view op, uint8_t flag) {
  const OpTraits* t = findOpTraits(op);
  return t && (t->flow & flag) != 0;
}
}  // namespace

bool isChannelwiseOp(std::string_view op) { return hasFlow(op, OpTraits::kChannelwise); }
bool isJoiningOp(std::string_view op) { return hasFlow(op, OpTraits::kJoining); }
bool keepsFeatureMap(std::string_view op) { return hasFlow(op, OpTraits::kFeatureMap); }

LayerRule layerRule(std::string_view op) {
  const OpTraits* t = findOpTraits(op);
  return t ? t->layer : LayerRule::None;
}

bool isDenseLayerRule(LayerRule rule) {
  return rule == LayerRule::Conv || rule == LayerRule::Gemm || rule == LayerRule::MatMul;
}

}  // namespace dnnc
