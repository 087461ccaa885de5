// Neg: y = -x, on float32/float64 and the integer types (unsigned ones wrap, as numpy's do).
#include <type_traits>

#include "lib/exec/ops/unary_numeric.h"

namespace dnnc {
namespace {
struct NegOp {
  template <class T>
  static T apply(T x) {
    if constexpr (std::is_unsigned_v<T>) return static_cast<T>(T(0) - x);
    else return static_cast<T>(-x);
  }
};
struct NegKernel {
  Status run(KernelContext& ctx) { return ops::unaryNumeric<NegOp>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeNeg(const NodeInfo& info) { return makeKernel(NegKernel{}); }

}  // namespace dnnc
