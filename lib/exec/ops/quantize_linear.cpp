// QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point), per tensor or per `axis`;
// y is uint8 (default) or int8, the zero point's type.
#include <cmath>

#include "lib/exec/ops/quantize_common.h"

namespace dnnc {
namespace {
struct QuantizeKernel {
  int64_t axis = 1;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (x.dtype != DType::Float) return ctx.error("expects float32 x, got ", dtypeName(x.dtype));
    DNNC_ASSIGN(auto q, ops::quantParams(ctx, axis, x));
    if (q.zero_type != DType::Uint8 && q.zero_type != DType::Int8)
      return ctx.error("output type ", dtypeName(q.zero_type), " is not supported (uint8, int8)");
    Value& y = ctx.output(0, q.zero_type, x.dims);
    const float* xd = x.as<float>();
    const int lo = q.zero_type == DType::Uint8 ? 0 : -128, hi = q.zero_type == DType::Uint8 ? 255 : 127;
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t c = q.at(i);
      float v = std::nearbyint(xd[i] / q.scale[c]) + static_cast<float>(q.zero[c]);
      int out = static_cast<int>(std::clamp(v, static_cast<float>(lo), static_cast<float>(hi)));
      if (q.zero_type == DType::Uint8) y.as<uint8_t>()[i] = static_cast<uint8_t>(out);
      else y.as<int8_t>()[i] = static_cast<int8_t>(out);
    }
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeQuantizeLinear(const NodeInfo& info) {
  return makeKernel(QuantizeKernel{info.attrInt("axis", 1)});
}

}  // namespace dnnc
