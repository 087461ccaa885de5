// Erf: y = erf(x), float32 (the exact GELU that torch exports as x * 0.5 * (1 + erf(x / sqrt 2))), by
// the vectorizable approximation of erf_approx.h (within 3.3e-7 of the exact value).
#include "lib/exec/ops/common.h"
#include "lib/exec/ops/erf_approx.h"

namespace dnnc {
namespace {
struct ErfKernel {
  Status run(KernelContext& ctx) { return ops::unaryFloat(ctx, [](float x) { return ops::erfApprox(x); }); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeErf(const NodeInfo& info) { return makeKernel(ErfKernel{}); }

}  // namespace dnnc
