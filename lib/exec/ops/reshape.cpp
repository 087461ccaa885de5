// Reshape: new dims from the `shape` input (attribute before opset 5): 0 copies the input dim (unless
// allowzero), -1 is inferred. No copy.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ReshapeKernel {
  bool allowzero = false;
  std::vector<int64_t> attr_shape;
  bool from_attr = false;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    std::vector<int64_t> shape = attr_shape;
    if (!from_attr) {
      if (!ctx.hasInput(1)) return ctx.error("missing the shape input");
      DNNC_ASSIGN(shape, ops::intValues(ctx.input(1), ctx, "shape"));
    }
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !allowzero) {
        if (i >= x.dims.size()) return ctx.error("shape ", dimsToString(shape), " copies dim ", i, " of a rank-", x.rank(), " input");
        shape[i] = x.dims[i];
      }
      if (shape[i] == -1) {
        if (infer >= 0) return ctx.error("shape ", dimsToString(shape), " has more than one -1");
        infer = static_cast<int>(i);
        continue;
      }
      if (shape[i] < 0) return ctx.error("shape ", dimsToString(shape), " has a negative dim");
      known *= shape[i];
    }
    int64_t n = x.numel();
    if (infer >= 0) {
      if (known == 0 || n % known != 0)
        return ctx.error("cannot reshape ", dimsToString(x.dims), " to ", dimsToString(shape));
      shape[infer] = n / known;
    } else if (known != n) {
      return ctx.error("cannot reshape ", dimsToString(x.dims), " (", n, " elements) to ", dimsToString(shape));
    }
    ctx.outputAlias(0, 0, shape);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeReshape(const NodeInfo& info) {
  ReshapeKernel k;
  k.allowzero = info.attrInt("allowzero", 0) != 0;
  if (info.opset() < 5) {
    k.from_attr = true;
    k.attr_shape = info.attrInts("shape");
  }
  return makeKernel(k);
}

}  // namespace dnnc
