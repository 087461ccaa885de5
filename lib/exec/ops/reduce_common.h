// The reductions ReduceSum and ReduceMax share: which axes to reduce (an attribute, or from the opset
// where the op takes them as an input, input 1 with noop_with_empty_axes), the output dims, and one pass
// over the input that folds each element into its output slot. float32; sums accumulate in double.
#pragma once
#include "lib/exec/ops/common.h"

namespace dnnc::ops {

struct ReduceSpec {
  std::vector<int64_t> attr_axes;
  bool axes_input = false, keepdims = true, noop_empty = false;

  static ReduceSpec fromNode(const NodeInfo& info, int64_t axes_input_since) {
    ReduceSpec s;
    s.attr_axes = info.attrInts("axes");
    s.axes_input = info.opset() >= axes_input_since;
    s.keepdims = info.attrInt("keepdims", 1) != 0;
    s.noop_empty = info.attrInt("noop_with_empty_axes", 0) != 0;
    return s;
  }
};

// y[slot(i)] = fold(y[slot(i)], x[i]) starting from init.
template <class Acc, class Fold>
Status reduceFloat(KernelContext& ctx, const ReduceSpec& spec, Acc init, Fold fold) {
  const Value& x = ctx.input(0);
  if (x.dtype != DType::Float) return ctx.error("expects float32 input, got ", dtypeName(x.dtype));
  std::vector<int64_t> axes = spec.attr_axes;
  if (spec.axes_input && ctx.hasInput(1)) {
    DNNC_ASSIGN(axes, intValues(ctx.input(1), ctx, "axes"));
  }
  const int r = x.rank();
  if (axes.empty() && spec.noop_empty) {
    ctx.outputAlias(0, 0, x.dims);
    return {};
  }
  std::vector<char> reduce(r, axes.empty());
  for (int64_t a : axes) {
    DNNC_ASSIGN(int ax, normalizeAxis(a, r, ctx));
    reduce[ax] = 1;
  }
  std::vector<int64_t> out_full(r), dims;
  for (int i = 0; i < r; ++i) {
    out_full[i] = reduce[i] ? 1 : x.dims[i];
    if (!reduce[i] || spec.keepdims) dims.push_back(out_full[i]);
  }
  Value& y = ctx.output(0, DType::Float, dims);
  std::vector<Acc> acc(static_cast<size_t>(y.numel()), init);
  const auto out_strides = contiguousStrides(out_full);
  std::vector<int64_t> idx(r, 0);
  const float* xd = x.as<float>();
  int64_t off = 0;
  for (int64_t i = 0, n = x.numel(); i < n; ++i) {
    acc[off] = fold(acc[off], xd[i]);
    for (int d = r - 1; d >= 0; --d) {
      if (!reduce[d]) off += out_strides[d];
      if (++idx[d] < x.dims[d]) break;
      if (!reduce[d]) off -= out_strides[d] * x.dims[d];
      idx[d] = 0;
    }
  }
  float* yd = y.as<float>();
  for (size_t i = 0; i < acc.size(); ++i) yd[i] = static_cast<float>(acc[i]);
  return {};
}

}  // namespace dnnc::ops
