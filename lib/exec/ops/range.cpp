// Range: [start, start + delta, ...) up to limit (exclusive), n = max(ceil((limit - start) / delta), 0);
// the three scalars share a type (float32/float64, int16/int32/int64), which the output has.
#include <algorithm>
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct RangeKernel {
  Status run(KernelContext& ctx) {
    const Value& s = ctx.input(0);
    const Value& l = ctx.input(1);
    const Value& d = ctx.input(2);
    if (s.dtype != l.dtype || s.dtype != d.dtype)
      return ctx.error("start, limit and delta differ in type: ", dtypeName(s.dtype), ", ", dtypeName(l.dtype),
                       ", ", dtypeName(d.dtype));
    if (s.numel() != 1 || l.numel() != 1 || d.numel() != 1) return ctx.error("start, limit and delta must be scalars");
    auto fill = [&]<class T>() -> Status {
      const T start = *s.as<T>(), limit = *l.as<T>(), delta = *d.as<T>();
      if (delta == T(0)) return ctx.error("delta is 0");
      const double count = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
      const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(count));
      DNNC_TRY(checkedNumel(std::vector<int64_t>{n}, ctx.where() + " output"));
      Value& y = ctx.output(0, s.dtype, {n});
      T* out = y.as<T>();
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      return {};
    };
    switch (s.dtype) {
      case DType::Float: return fill.template operator()<float>();
      case DType::Double: return fill.template operator()<double>();
      case DType::Int16: return fill.template operator()<int16_t>();
      case DType::Int32: return fill.template operator()<int32_t>();
      case DType::Int64: return fill.template operator()<int64_t>();
      default: return ctx.error("unsupported type ", dtypeName(s.dtype));
    }
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeRange(const NodeInfo& info) { return makeKernel(RangeKernel{}); }

}  // namespace dnnc
