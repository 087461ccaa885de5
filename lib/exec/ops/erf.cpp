// Erf: y = erf(x), float32 (the exact GELU that torch exports as x * 0.5 * (1 + erf(x / sqrt 2))).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ErfKernel {
  Status run(KernelContext& ctx) { return ops::unaryFloat(ctx, [](float x) { return std::erf(x); }); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeErf(const NodeInfo& info) { return makeKernel(ErfKernel{}); }

}  // namespace dnnc
