// Relu: y = max(x, 0).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ReluKernel {

  Status run(KernelContext& ctx) {
    // The producer (Conv, Gemm) already applied max(x, 0) in its write-back.
    if (ctx.inputRectified(0)) {
      ctx.outputAlias(0, 0, ctx.input(0).dims);
      return {};
    }
    return ops::unaryFloat(ctx, [&](float x) { return x > 0.0f ? x : 0.0f; });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeRelu(const NodeInfo& info) {
  ReluKernel k;

  return makeKernel(k);
}

}  // namespace dnnc
