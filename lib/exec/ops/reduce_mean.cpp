// ReduceMean: the mean over `axes` (all when absent), keepdims by default. Axes are an attribute through
// opset 17 and an optional input from 18 (with noop_with_empty_axes).
#include <algorithm>

#include "lib/exec/ops/common.h"
#include "lib/exec/ops/contiguous_sum.h"

namespace dnnc {
namespace {
struct ReduceMeanKernel {
  std::vector<int64_t> attr_axes;
  bool axes_input = false, keepdims = true, noop_empty = false;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (x.dtype != DType::Float) return ctx.error("expects float32 input, got ", dtypeName(x.dtype));
    std::vector<int64_t> axes = attr_axes;
    if (axes_input && ctx.hasInput(1)) {
      DNNC_ASSIGN(axes, ops::intValues(ctx.input(1), ctx, "axes"));
    }
    const int r = x.rank();
    std::vector<char> reduce(r, axes.empty() && !noop_empty);
    for (int64_t a : axes) {
      DNNC_ASSIGN(int ax, ops::normalizeAxis(a, r, ctx));
      reduce[ax] = 1;
    }
    std::vector<int64_t> out_full(r), dims;
    int64_t count = 1;
    for (int i = 0; i < r; ++i) {
      out_full[i] = reduce[i] ? 1 : x.dims[i];
      if (reduce[i]) count *= x.dims[i];
      if (!reduce[i] || keepdims) dims.push_back(out_full[i]);
    }
    Value& y = ctx.output(0, DType::Float, dims);
    const int64_t out_n = y.numel();
    // Trailing axes (a spatial mean: MnasNet's pooling, squeeze-and-excitation): contiguous runs.
    int first_reduced = r;
    while (first_reduced > 0 && reduce[first_reduced - 1]) --first_reduced;
    if (count > 0 && std::find(reduce.begin(), reduce.begin() + first_reduced, 1) == reduce.begin() + first_reduced) {
      const float* xs = x.as<float>();
      float* ys = y.as<float>();
      ops::parallelFor(out_n, ctx.threads(), std::max<int64_t>(1, (1 << 17) / count), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) ys[o] = ops::contiguousSum(xs + o * count, count) / static_cast<float>(count);
      });
      return {};
    }
    std::vector<double> acc(out_n, 0.0);
    auto out_strides = ops::contiguousStrides(out_full);
    std::vector<int64_t> idx(r, 0);
    const float* xd = x.as<float>();
    const int64_t n = x.numel();
    int64_t off = 0;
    for (int64_t i = 0; i < n; ++i) {
      acc[off] += xd[i];
      for (int d = r - 1; d >= 0; --d) {
        if (!reduce[d]) off += out_strides[d];
        if (++idx[d] < x.dims[d]) break;
        if (!reduce[d]) off -= out_strides[d] * x.dims[d];
        idx[d] = 0;
      }
    }
    float* yd = y.as<float>();
    for (int64_t i = 0; i < out_n; ++i) yd[i] = count ? static_cast<float>(acc[i] / static_cast<double>(count)) : 0.0f;
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeReduceMean(const NodeInfo& info) {
  ReduceMeanKernel k;
  k.attr_axes = info.attrInts("axes");
  k.axes_input = info.opset() >= 18;
  k.keepdims = info.attrInt("keepdims", 1) != 0;
  k.noop_empty = info.attrInt("noop_with_empty_axes", 0) != 0;
  return makeKernel(k);
}

}  // namespace dnnc
