// Mod: elementwise remainder with numpy broadcasting. fmod=0 (default): the sign of the divisor, as
// Python's % and numpy.mod (integers; floats too, which ONNX leaves to fmod=1); fmod=1: the sign of the
// dividend, as C's fmod and integer %. Integer division by zero gives 0 (numpy's result) instead of a
// trap. float16 is computed in float32 and rounded back.
#include <cmath>
#include <type_traits>

#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {

template <class T>
T modRemainder(T a, T b, bool fmod) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(a, b);
    if (!fmod && r != T(0) && ((r < 0) != (b < 0))) r += b;
    return r;
  } else {
    if (b == T(0)) return T(0);
    if constexpr (std::is_signed_v<T>) {
      if (b == T(-1)) return T(0);  // INT_MIN % -1 overflows in C++; the remainder is 0
      T r = static_cast<T>(a % b);
      if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      return static_cast<T>(a % b);
    }
  }
}

struct ModKernel {
  bool fmod = false;
  Status run(KernelContext& ctx) {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if (a.dtype != b.dtype)
      return ctx.error("inputs differ in type: ", dtypeName(a.dtype), " and ", dtypeName(b.dtype));
    std::vector<int64_t> dims;
    if (!ops::broadcastDims(a.dims, b.dims, dims))
      return ctx.error("shapes ", dimsToString(a.dims), " and ", dimsToString(b.dims), " do not broadcast");
    ops::BroadcastPlan plan = ops::planBroadcast(a.dims, b.dims, dims);
    Value& y = ctx.output(0, a.dtype, dims);
    const bool f = fmod;
    if (a.dtype == DType::Float16) {
      ops::broadcastApply(plan, static_cast<const uint16_t*>(a.data), static_cast<const uint16_t*>(b.data),
                          static_cast<uint16_t*>(y.data), ctx.threads(), [f](uint16_t x, uint16_t z) {
                            return floatToHalf(modRemainder<float>(halfToFloat(x), halfToFloat(z), f));
                          });
      return {};
    }
#define DNNC_MOD(T) \
  ops::broadcastApply(plan, a.as<T>(), b.as<T>(), y.as<T>(), ctx.threads(), [f](T x, T z) { return modRemainder<T>(x, z, f); })
    DNNC_DISPATCH_NUMERIC(a.dtype, DNNC_MOD, return ctx.error("unsupported type ", dtypeName(a.dtype)))
#undef DNNC_MOD
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeMod(const NodeInfo& info) {
  int64_t fmod = info.attrInt("fmod", 0);
  if (fmod != 0 && fmod != 1) return info.error("fmod must be 0 or 1, got ", fmod);
  return makeKernel(ModKernel{fmod == 1});
}

}  // namespace dnnc
