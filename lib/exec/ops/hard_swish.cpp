// HardSwish: y = x * max(0, min(1, x / 6 + 1/2)).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct HardSwishKernel {

  Status run(KernelContext& ctx) {
    return ops::unaryFloat(ctx, [&](float x) { return x * std::max(0.0f, std::min(1.0f, x * (1.0f / 6.0f) + 0.5f)); });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeHardSwish(const NodeInfo& info) {
  HardSwishKernel k;

  return makeKernel(k);
}

}  // namespace dnnc
