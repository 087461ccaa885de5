// LeakyRelu: y = x for x >= 0, alpha * x otherwise (alpha 0.01).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct LeakyReluKernel {
  float alpha = 0.01f;
  Status run(KernelContext& ctx) {
    return ops::unaryFloat(ctx, [&](float x) { return x >= 0.0f ? x : alpha * x; });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeLeakyRelu(const NodeInfo& info) {
  LeakyReluKernel k;
  k.alpha = info.attrFloat("alpha", 0.01f);
  return makeKernel(k);
}

}  // namespace dnnc
