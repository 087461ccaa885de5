// Mul: elementwise with numpy broadcasting, on float32/float64 and the integer types.
#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {
struct MulOp {
  template <class T>
  static T apply(T a, T b) {

    return static_cast<T>(a * b);
  }
};
struct MulKernel {
  Status run(KernelContext& ctx) { return ops::binaryArith<MulOp>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeMul(const NodeInfo& info) { return makeKernel(MulKernel{}); }

}  // namespace dnnc
