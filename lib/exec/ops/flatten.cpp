// Flatten: [d0..dn) -> [d0*..*d(axis-1), d(axis)*..*dn], without copying.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct FlattenKernel {
  int64_t axis = 1;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    int64_t a = axis < 0 ? axis + x.rank() : axis;
    if (a < 0 || a > x.rank()) return ctx.error("axis ", axis, " is out of range for rank ", x.rank());
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < x.rank(); ++i) (i < a ? outer : inner) *= x.dims[i];
    ctx.outputAlias(0, 0, {outer, inner});
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeFlatten(const NodeInfo& info) {
  return makeKernel(FlattenKernel{info.attrInt("axis", 1)});
}

}  // namespace dnnc
