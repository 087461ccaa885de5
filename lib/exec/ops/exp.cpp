// Exp: y = e^x, float32.
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ExpKernel {
  Status run(KernelContext& ctx) { return ops::unaryFloat(ctx, [](float x) { return std::exp(x); }); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeExp(const NodeInfo& info) { return makeKernel(ExpKernel{}); }

}  // namespace dnnc
