// Expand: broadcasts the input to a shape (int64), numpy-style in both directions: the output shape is
// the broadcast of the input's dims and the given ones, so a 1 in `shape` keeps the input's dim.
#include "lib/exec/ops/nary_broadcast.h"

namespace dnnc {
namespace {
struct ExpandKernel {
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    DNNC_ASSIGN(auto shape, ops::intValues(ctx.input(1), ctx, "shape"));
    std::vector<int64_t> dims;
    if (!ops::broadcastDims(x.dims, shape, dims))
      return ctx.error("cannot expand ", dimsToString(x.dims), " to ", dimsToString(shape));
    DNNC_TRY(checkedNumel(dims, ctx.where() + " output"));
    if (dims == x.dims) {
      ctx.outputAlias(0, 0, dims);
      return {};
    }
    Value& y = ctx.output(0, x.dtype, dims);
    ops::broadcastCopy(x, dims, y.data);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeExpand(const NodeInfo& info) { return makeKernel(ExpandKernel{}); }

}  // namespace dnnc
