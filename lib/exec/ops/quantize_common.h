// Per-tensor or per-axis scale and zero point for QuantizeLinear and DequantizeLinear.
#pragma once
#include "lib/exec/ops/common.h"

namespace dnnc::ops {

// Index of the scale for flat element i: (i / inner) % channels, or 0 for per-tensor.
struct QuantParams {
  int64_t channels = 1, inner = 1;
  std::vector<float> scale;
  std::vector<int32_t> zero;  // as integers
  DType zero_type = DType::Uint8;
  int64_t at(int64_t i) const { return channels == 1 ? 0 : (i / inner) % channels; }
};

// DequantizeLinear's element i, (x - zero point) * scale: the kernel's arithmetic, which the layer table
// also uses to count a quantized weight's nonzeros without executing it.
template <class T>
float dequantize(T x, const QuantParams& q, int64_t i) {
  const int64_t c = q.at(i);
  return static_cast<float>(static_cast<int64_t>(x) - q.zero[size_t(c)]) * q.scale[size_t(c)];
}

inline Expected<QuantParams> quantParams(KernelContext& ctx, int64_t axis, const Value& x) {
  QuantParams q;
  const Value& s = ctx.input(1);
  if (s.dtype != DType::Float) return ctx.error("scale must be float32, got ", dtypeName(s.dtype));
  if (s.rank() > 1) return ctx.error("scale must be a scalar or 1-D, got ", dimsToString(s.dims));
  q.scale.assign(s.as<float>(), s.as<float>() + s.numel());
  if (s.rank() == 1 && s.numel() != 1) {
    DNNC_ASSIGN(int ax, normalizeAxis(axis, x.rank(), ctx));
    if (x.dims[ax] != s.numel()) return ctx.error("scale has ", s.numel(), " entries for axis size ", x.dims[ax]);
    q.channels = s.numel();
    for (int i = ax + 1; i < x.rank(); ++i) q.inner *= x.dims[i];
  }
  q.zero.assign(q.scale.size(), 0);
  if (ctx.hasInput(2)) {
    const Value& z = ctx.input(2);
    if (z.numel() != s.numel()) return ctx.error("zero point has ", z.numel(), " entries, scale ", s.numel());
    q.zero_type = z.dtype;
    for (int64_t i = 0; i < z.numel(); ++i) {
      switch (z.dtype) {
        case DType::Uint8: q.zero[i] = z.as<uint8_t>()[i]; break;
        case DType::Int8: q.zero[i] = z.as<int8_t>()[i]; break;
        case DType::Int32: q.zero[i] = z.as<int32_t>()[i]; break;
        default: return ctx.error("zero point must be uint8, int8 or int32, got ", dtypeName(z.dtype));
      }
    }
  }
  return q;
}

}  // namespace dnnc::ops
