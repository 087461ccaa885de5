// Pow: z = x ^ y elementwise with numpy broadcasting; z has x's type. Since opset 12 the exponent may have
// another numeric type than the base (LayerNorm exports use a float or int exponent), so the two are
// dispatched separately; integer powers go through double, as numpy's do.
#include <cmath>
#include <type_traits>

#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {
template <class T, class E>
T power(T base, E exponent) {
  if (exponent == E(2)) return static_cast<T>(base * base);  // the LayerNorm case: exact, cheaper than pow
  if constexpr (std::is_floating_point_v<T>) return std::pow(base, static_cast<T>(exponent));
  else return static_cast<T>(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
}

struct PowKernel {
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    const Value& e = ctx.input(1);
    std::vector<int64_t> dims;
    if (!ops::broadcastDims(x.dims, e.dims, dims))
      return ctx.error("shapes ", dimsToString(x.dims), " and ", dimsToString(e.dims), " do not broadcast");
    ops::BroadcastPlan plan = ops::planBroadcast(x.dims, e.dims, dims);
    Value& z = x.dims == dims ? ctx.outputInPlace(0, 0, x.dtype, dims) : ctx.output(0, x.dtype, dims);
    auto apply = [&]<class T>() -> Status {
#define DNNC_POW(E)                                                                                  \
  ops::broadcastApply(plan, x.as<T>(), e.as<E>(), z.as<T>(), ctx.threads(),                          \
                      [](T b, E p) { return power<T, E>(b, p); })
      DNNC_DISPATCH_NUMERIC(e.dtype, DNNC_POW, return ctx.error("unsupported exponent type ", dtypeName(e.dtype)))
#undef DNNC_POW
      return Status{};
    };
    Status status;
#define DNNC_BASE(T) status = apply.template operator()<T>()
    DNNC_DISPATCH_NUMERIC(x.dtype, DNNC_BASE, return ctx.error("unsupported base type ", dtypeName(x.dtype)))
#undef DNNC_BASE
    return status;
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makePow(const NodeInfo& info) { return makeKernel(PowKernel{}); }

}  // namespace dnnc
