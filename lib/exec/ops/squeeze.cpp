// Squeeze: drops dims of size 1 (the listed axes, or all of them). Axes are an attribute before opset 13,
// an optional input from 13 on. No copy.
#include <algorithm>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct SqueezeKernel {
  bool axes_input = true;
  std::vector<int64_t> attr_axes;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    std::vector<int64_t> axes = attr_axes;
    if (axes_input && ctx.hasInput(1)) {
      DNNC_ASSIGN(axes, ops::intValues(ctx.input(1), ctx, "axes"));
    }
    std::vector<char> drop(x.dims.size(), 0);
    if (axes.empty()) {
      for (size_t i = 0; i < x.dims.size(); ++i) drop[i] = x.dims[i] == 1;
    }
    for (int64_t a : axes) {
      DNNC_ASSIGN(int ax, ops::normalizeAxis(a, x.rank(), ctx));
      if (x.dims[ax] != 1) return ctx.error("cannot squeeze axis ", a, " of ", dimsToString(x.dims), ": size is not 1");
      drop[ax] = 1;
    }
    std::vector<int64_t> dims;
    for (size_t i = 0; i < x.dims.size(); ++i)
      if (!drop[i]) dims.push_back(x.dims[i]);
    ctx.outputAlias(0, 0, dims);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSqueeze(const NodeInfo& info) {
  SqueezeKernel k;
  k.axes_input = info.opset() >= 13;
  if (!k.axes_input) k.attr_axes = info.attrInts("axes");
  return makeKernel(k);
}

}  // namespace dnnc
