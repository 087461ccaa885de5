// Unsqueeze: inserts dims of size 1 at `axes` (of the output). Attribute before opset 13, input from 13.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct UnsqueezeKernel {
  bool axes_input = true;
  std::vector<int64_t> attr_axes;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    std::vector<int64_t> axes = attr_axes;
    if (axes_input) {
      if (!ctx.hasInput(1)) return ctx.error("missing the axes input");
      DNNC_ASSIGN(axes, ops::intValues(ctx.input(1), ctx, "axes"));
    }
    int rank = x.rank() + static_cast<int>(axes.size());
    std::vector<char> inserted(rank, 0);
    for (int64_t a : axes) {
      DNNC_ASSIGN(int ax, ops::normalizeAxis(a, rank, ctx));
      if (inserted[ax]) return ctx.error("axis ", a, " is repeated");
      inserted[ax] = 1;
    }
    std::vector<int64_t> dims;
    int k = 0;
    for (int i = 0; i < rank; ++i) dims.push_back(inserted[i] ? 1 : x.dims[k++]);
    ctx.outputAlias(0, 0, dims);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeUnsqueeze(const NodeInfo& info) {
  UnsqueezeKernel k;
  k.axes_input = info.opset() >= 13;
  if (!k.axes_input) k.attr_axes = info.attrInts("axes");
  return makeKernel(k);
}

}  // namespace dnnc
