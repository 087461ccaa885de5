// Sigmoid: y = 1 / (1 + exp(-x)).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct SigmoidKernel {

  Status run(KernelContext& ctx) {
    return ops::unaryFloat(ctx, [&](float x) { return 1.0f / (1.0f + std::exp(-x)); });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSigmoid(const NodeInfo& info) {
  SigmoidKernel k;

  return makeKernel(k);
}

}  // namespace dnnc
