// HardSigmoid: y = max(0, min(1, alpha * x + beta)) (alpha 0.2, beta 0.5).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct HardSigmoidKernel {
  float alpha = 0.2f, beta = 0.5f;
  Status run(KernelContext& ctx) {
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
