// Max and Min: the elementwise extremum of one or more inputs of one type, broadcast numpy-style;
// numeric types and float16. NaN wins (as numpy's maximum/minimum and ONNX Runtime).
#pragma once
#include <cmath>
#include <type_traits>

#include "lib/exec/ops/nary_broadcast.h"

namespace dnnc::ops {

// max(a, b) or min(a, b); NaN in either gives NaN.
template <bool kMax, class T>
T extremum(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  if constexpr (kMax) return a < b ? b : a;
  else return b < a ? b : a;
}

template <bool kMax>
Status variadicExtremum(KernelContext& ctx) {
  const int n = ctx.numInputs();
  if (n < 1 || !ctx.hasInput(0)) return ctx.error("needs at least one input");
  const DType t = ctx.input(0).dtype;
  std::vector<std::vector<int64_t>> shapes;
  for (int k = 0; k < n; ++k) {
    if (!ctx.hasInput(k)) return ctx.error("input ", k, " is empty");
    if (ctx.input(k).dtype != t)
      return ctx.error("inputs differ in type: ", dtypeName(t), " and ", dtypeName(ctx.input(k).dtype));
    shapes.push_back(ctx.input(k).dims);
  }
  std::vector<int64_t> dims;
  if (!broadcastAll(shapes, dims)) return ctx.error("the input shapes do not broadcast");
  Value& y = ctx.output(0, t, dims);
  broadcastCopy(ctx.input(0), dims, y.data);
  for (int k = 1; k < n; ++k) {
    const Value& x = ctx.input(k);
    // Folded in place: y is read at the index it is written.
    BroadcastPlan plan = planBroadcast(dims, x.dims, dims);
    if (t == DType::Float16) {
      auto* out = static_cast<uint16_t*>(y.data);
      broadcastApply(plan, out, static_cast<const uint16_t*>(x.data), out, ctx.threads(), [](uint16_t a, uint16_t b) {
        const float fa = halfToFloat(a), fb = halfToFloat(b);  // compared as floats, kept as the original bits
        if (std::isnan(fa)) return a;
        if (std::isnan(fb)) return b;
        return (kMax ? fa < fb : fb < fa) ? b : a;
      });
      continue;
    }
#define DNNC_EXT(T) \
  broadcastApply(plan, y.as<T>(), x.as<T>(), y.as<T>(), ctx.threads(), [](T a, T b) { return extremum<kMax, T>(a, b); })
    DNNC_DISPATCH_NUMERIC(t, DNNC_EXT, return ctx.error("unsupported type ", dtypeName(t)))
#undef DNNC_EXT
  }
  return {};
}

}  // namespace dnnc::ops
