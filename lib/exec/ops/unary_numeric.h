// Elementwise y = f(x) over every numeric type (float32/float64 and the integers), for ops such as Neg
// and Abs that ONNX defines on signed integers too.
#pragma once
#include "lib/exec/ops/common.h"

namespace dnnc::ops {

// Op::apply<T>(x) per element; in place when the executor allows.
template <class Op>
Status unaryNumeric(KernelContext& ctx) {
  const Value& x = ctx.input(0);
  Value& y = ctx.outputInPlace(0, 0, x.dtype, x.dims);
  const int64_t n = x.numel();
#define DNNC_UNARY(T)                                                          \
  {                                                                            \
    const T* in = x.as<T>();                                                   \
    T* out = y.as<T>();                                                        \
    for (int64_t i = 0; i < n; ++i) out[i] = Op::template apply<T>(in[i]);     \
  }
  DNNC_DISPATCH_NUMERIC(x.dtype, DNNC_UNARY, return ctx.error("unsupported type ", dtypeName(x.dtype)))
#undef DNNC_UNARY
  return {};
}

}  // namespace dnnc::ops
