// Clip: y = min(max(x, min), max). Opset < 11 takes min/max as attributes, later ones as optional inputs.
// After a Conv that clamped its output itself (KernelContext::fuseClip), the value passes through.
#include <limits>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ClipKernel {
  bool attrs = false;
  float amin = -std::numeric_limits<float>::infinity(), amax = std::numeric_limits<float>::infinity();

  template <class T>
  Status clip(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if (attrs) {
      lo = static_cast<T>(std::max<double>(amin, static_cast<double>(lo)));
      hi = static_cast<T>(std::min<double>(amax, static_cast<double>(hi)));
    } else {
      for (int i = 1; i <= 2; ++i) {
        if (!ctx.hasInput(i)) continue;
        const Value& b = ctx.input(i);
        if (b.dtype != x.dtype || b.numel() != 1)
          return ctx.error(i == 1 ? "min" : "max", " must be a ", dtypeName(x.dtype), " scalar, got ",
                           describe(b.dtype, b.dims));
        (i == 1 ? lo : hi) = *b.as<T>();
      }
    }
    Value& y = ctx.outputInPlace(0, 0, x.dtype, x.dims);
    const T* in = x.as<T>();
    T* out = y.as<T>();
    ops::parallelFor(x.numel(), ctx.threads(), 1 << 15, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = std::min(std::max(in[i], lo), hi);
    });
    return {};
  }

  Status run(KernelContext& ctx) {
    if (ctx.inputClipped(0)) {
      ctx.outputAlias(0, 0, ctx.input(0).dims);
      return {};
    }
    switch (ctx.input(0).dtype) {
      case DType::Float: return clip<float>(ctx);
      case DType::Double: return clip<double>(ctx);
      case DType::Int8: return clip<int8_t>(ctx);
      case DType::Uint8: return clip<uint8_t>(ctx);
      case DType::Int32: return clip<int32_t>(ctx);
      case DType::Int64: return clip<int64_t>(ctx);
      default: return ctx.error("unsupported type ", dtypeName(ctx.input(0).dtype));
    }
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeClip(const NodeInfo& info) {
  ClipKernel k;
  if (info.opset() < 11) {
    k.attrs = true;
    k.amin = info.attrFloat("min", k.amin);
    k.amax = info.attrFloat("max", k.amax);
  }
  return makeKernel(k);
}

}  // namespace dnnc
