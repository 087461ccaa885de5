// Slice: starts/ends/axes/steps as inputs (opset 10+) or attributes (before 10, no steps). Negative
// indices count from the end, out-of-range ones clamp, negative steps walk backwards.
#include <limits>

#include "lib/exec/ops/strided_copy.h"

namespace dnnc {
namespace {
struct SliceKernel {
  bool from_attrs = false;
  std::vector<int64_t> a_starts, a_ends, a_axes;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    std::vector<int64_t> starts = a_starts, ends = a_ends, axes = a_axes, steps;
    if (!from_attrs) {
      if (!ctx.hasInput(1) || !ctx.hasInput(2)) return ctx.error("needs the starts and ends inputs");
      DNNC_ASSIGN(starts, ops::intValues(ctx.input(1), ctx, "starts"));
      DNNC_ASSIGN(ends, ops::intValues(ctx.input(2), ctx, "ends"));
      if (ctx.hasInput(3)) {
        DNNC_ASSIGN(axes, ops::intValues(ctx.input(3), ctx, "axes"));
      }
      if (ctx.hasInput(4)) {
        DNNC_ASSIGN(steps, ops::intValues(ctx.input(4), ctx, "steps"));
      }
    }
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      return ctx.error("starts, ends, axes and steps differ in length");
    std::vector<int64_t> dims = x.dims, begin(x.rank(), 0), step(x.rank(), 1);
    std::vector<char> seen(x.rank(), 0);
    for (size_t i = 0; i < starts.size(); ++i) {
      DNNC_ASSIGN(int ax, ops::normalizeAxis(axes[i], x.rank(), ctx));
      if (seen[ax]++) return ctx.error("axis ", axes[i], " is repeated");
      int64_t d = x.dims[ax], s = starts[i], e = ends[i], st = steps[i];
      if (st == 0) return ctx.error("step 0 on axis ", axes[i]);
      if (s < 0) s += d;
      if (e < 0 && e > std::numeric_limits<int64_t>::min() / 2) e += d;
      if (st > 0) {
        s = std::clamp<int64_t>(s, 0, d);
        e = std::clamp<int64_t>(e, 0, d);
        dims[ax] = e > s ? (e - s + st - 1) / st : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, d - 1);
        e = std::clamp<int64_t>(e, -1, d - 1);
        dims[ax] = s > e ? (s - e + (-st) - 1) / (-st) : 0;
      }
      begin[ax] = s;
      step[ax] = st;
    }
    auto in_strides = ops::contiguousStrides(x.dims);
    std::vector<int64_t> strides(x.rank());
    int64_t offset = 0;
    bool empty = false;
    for (int i = 0; i < x.rank(); ++i) {
      strides[i] = in_strides[i] * step[i];
      empty |= dims[i] == 0;
      offset += begin[i] * in_strides[i];
    }
    Value& y = ctx.output(0, x.dtype, dims);
    if (empty) return {};
    size_t es = dtypeSize(x.dtype);
    ops::stridedCopy(static_cast<const std::byte*>(x.data) + offset * static_cast<int64_t>(es), dims, strides, es,
                     static_cast<std::byte*>(y.data), ctx.threads());
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSlice(const NodeInfo& info) {
  SliceKernel k;
  if (info.opset() < 10) {
    k.from_attrs = true;
    k.a_starts = info.attrInts("starts");
    k.a_ends = info.attrInts("ends");
    k.a_axes = info.attrInts("axes");
  }
  return makeKernel(k);
}

}  // namespace dnnc
