// Abs: y = |x|, on float32/float64 and the integer types (unsigned ones unchanged).
#include <type_traits>

#include "lib/exec/ops/unary_numeric.h"

namespace dnnc {
namespace {
struct AbsOp {
  template <class T>
  static T apply(T x) {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return x < T(0) ? static_cast<T>(-x) : x;
  }
};
struct AbsKernel {
  Status run(KernelContext& ctx) { return ops::unaryNumeric<AbsOp>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeAbs(const NodeInfo& info) { return makeKernel(AbsKernel{}); }

}  // namespace dnnc
