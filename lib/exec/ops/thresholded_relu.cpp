// ThresholdedRelu: y = x for x > alpha, 0 otherwise (alpha 1).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ThresholdedReluKernel {
  float alpha = 1.0f;
  Status run(KernelContext& ctx) {
    return ops::unaryFloat(ctx, [&](float x) { return x > alpha ? x : 0.0f; });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeThresholdedRelu(const NodeInfo& info) {
  ThresholdedReluKernel k;
  k.alpha = info.attrFloat("alpha", 1.0f);
  return makeKernel(k);
}

}  // namespace dnnc
