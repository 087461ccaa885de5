// Sigmoid: y = 1 / (1 + exp(-x)), with exp in a vectorizable form (exp_approx.h). Followed by a Mul by x
// (SiLU, as exported): y = x * sigmoid(x) here, and the Mul passes it through (KernelContext::fuseGate).
#include "lib/exec/ops/common.h"
#include "lib/exec/ops/exp_approx.h"

namespace dnnc {
namespace {
struct SigmoidKernel {

  Status run(KernelContext& ctx) {
    if (ctx.input(0).dtype == DType::Float && ctx.fuseGate())
      return ops::unaryFloat(ctx, [&](float x) { return x / (1.0f + ops::expApprox(-x)); });
    return ops::unaryFloat(ctx, [&](float x) { return 1.0f / (1.0f + ops::expApprox(-x)); });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSigmoid(const NodeInfo& info) {
  SigmoidKernel k;

  return makeKernel(k);
}

}  // namespace dnnc
