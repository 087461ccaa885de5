// Binary elementwise ops with a bool result and numpy broadcasting: the comparisons (Equal, Less,
// Greater, LessOrEqual, GreaterOrEqual) on every numeric type, float16 and bool, and the logical ops
// (And, Or, Xor) on bool. Bool tensors hold one byte per element, 0 or 1.
#pragma once
#include "lib/exec/ops/broadcast.h"

namespace dnnc::ops {

enum class PredicateInputs { Any, BoolOnly };

// y[i] = Op::apply(a[.], b[.]) as bool; Op::apply is a template over the compared type.
template <class Op>
Status binaryPredicate(KernelContext& ctx, PredicateInputs accepts) {
  const Value& a = ctx.input(0);
  const Value& b = ctx.input(1);
  if (a.dtype != b.dtype)
    return ctx.error("inputs differ in type: ", dtypeName(a.dtype), " and ", dtypeName(b.dtype));
  if (accepts == PredicateInputs::BoolOnly && a.dtype != DType::Bool)
    return ctx.error("expects bool inputs, got ", dtypeName(a.dtype));
  std::vector<int64_t> dims;
  if (!broadcastDims(a.dims, b.dims, dims))
    return ctx.error("shapes ", dimsToString(a.dims), " and ", dimsToString(b.dims), " do not broadcast");
  BroadcastPlan plan = planBroadcast(a.dims, b.dims, dims);
  Value& y = ctx.output(0, DType::Bool, dims);
  auto* out = static_cast<uint8_t*>(y.data);
  const int threads = ctx.threads();
  if (a.dtype == DType::Bool) {
    broadcastApply(plan, static_cast<const uint8_t*>(a.data), static_cast<const uint8_t*>(b.data), out, threads,
                   [](uint8_t x, uint8_t z) { return static_cast<uint8_t>(Op::template apply<bool>(x != 0, z != 0)); });
    return {};
  }
  if (a.dtype == DType::Float16) {
    broadcastApply(plan, static_cast<const uint16_t*>(a.data), static_cast<const uint16_t*>(b.data), out, threads,
                   [](uint16_t x, uint16_t z) {
                     return static_cast<uint8_t>(Op::template apply<float>(halfToFloat(x), halfToFloat(z)));
                   });
    return {};
  }
#define DNNC_PRED(T)                                                                  \
  broadcastApply(plan, a.as<T>(), b.as<T>(), out, threads,                            \
                 [](T x, T z) { return static_cast<uint8_t>(Op::template apply<T>(x, z)); })
  DNNC_DISPATCH_NUMERIC(a.dtype, DNNC_PRED, return ctx.error("unsupported type ", dtypeName(a.dtype)))
#undef DNNC_PRED
  return {};
}

}  // namespace dnnc::ops
