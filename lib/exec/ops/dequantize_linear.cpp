// DequantizeLinear: y = (x - zero_point) * scale, per tensor or per `axis`; x is uint8, int8 or int32.
#include "lib/exec/ops/quantize_common.h"

namespace dnnc {
namespace {
struct DequantizeKernel {
  int64_t axis = 1;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    DNNC_ASSIGN(auto q, ops::quantParams(ctx, axis, x));
    if (ctx.hasInput(2) && q.zero_type != x.dtype)
      return ctx.error("zero point is ", dtypeName(q.zero_type), ", x is ", dtypeName(x.dtype));
    Value& y = ctx.output(0, DType::Float, x.dims);
    float* yd = y.as<float>();
    auto apply = [&](auto* xd) {
      for (int64_t i = 0; i < x.numel(); ++i) yd[i] = ops::dequantize(xd[i], q, i);
    };
    switch (x.dtype) {
      case DType::Uint8: apply(x.as<uint8_t>()); break;
      case DType::Int8: apply(x.as<int8_t>()); break;
      case DType::Int32: apply(x.as<int32_t>()); break;
      default: return ctx.error("x must be uint8, int8 or int32, got ", dtypeName(x.dtype));
    }
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeDequantizeLinear(const NodeInfo& info) {
  return makeKernel(DequantizeKernel{info.attrInt("axis", 1)});
}

}  // namespace dnnc
