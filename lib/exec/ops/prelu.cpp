// PRelu: y = x for x >= 0, slope * x otherwise; slope broadcasts to x (unidirectionally).
#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {
struct PReluKernel {
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    const Value& slope = ctx.input(1);
    if (x.dtype != DType::Float || slope.dtype != DType::Float)
      return ctx.error("expects float32 inputs, got ", dtypeName(x.dtype), " and ", dtypeName(slope.dtype));
    std::vector<int64_t> dims;
    if (!ops::broadcastDims(x.dims, slope.dims, dims) || dims != x.dims)
      return ctx.error("slope ", dimsToString(slope.dims), " does not broadcast to ", dimsToString(x.dims));
    ops::BroadcastPlan plan = ops::planBroadcast(x.dims, slope.dims, dims);
    Value& y = ctx.outputInPlace(0, 0, DType::Float, dims);
    ops::broadcastApply(plan, x.as<float>(), slope.as<float>(), y.as<float>(), ctx.threads(),
                        [](float v, float s) { return v >= 0.0f ? v : s * v; });
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makePRelu(const NodeInfo& info) { return makeKernel(PReluKernel{}); }

}  // namespace dnnc
