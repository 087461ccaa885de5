// HardSigmoid: y = max(0, min(1, alpha * x + beta)) (alpha 0.2, beta 0.5). Followed by a Mul by x (hard
// swish, as exported before opset 14): y = x * hard_sigmoid(x) here, and the Mul passes it through
// (KernelContext::fuseGate).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct HardSigmoidKernel {
  float alpha = 0.2f, beta = 0.5f;
  Status run(KernelContext& ctx) {
    if (ctx.input(0).dtype == DType::Float && ctx.fuseGate())
      return ops::unaryFloat(ctx, [&](float x) { return x * std::max(0.0f, std::min(1.0f, alpha * x + beta)); });
    return ops::unaryFloat(ctx, [&](float x) { return std::max(0.0f, std::min(1.0f, alpha * x + beta)); });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeHardSigmoid(const NodeInfo& info) {
  HardSigmoidKernel k;
  k.alpha = info.attrFloat("alpha", 0.2f);
  k.beta = info.attrFloat("beta", 0.5f);
  return makeKernel(k);
}

}  // namespace dnnc
