// Sigmoid: y = 1 / (1 + exp(-x)), with exp in a vectorizable form (exp_approx.h).
#include "lib/exec/ops/common.h"
#include "lib/exec/ops/exp_approx.h"

namespace dnnc {
namespace {
struct SigmoidKernel {

  Status run(KernelContext& ctx) {
    return ops::unaryFloat(ctx, [&](float x) { return 1.0f / (1.0f + ops::expApprox(-x)); });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSigmoid(const NodeInfo& info) {
  SigmoidKernel k;

  return makeKernel(k);
}

}  // namespace dnnc
