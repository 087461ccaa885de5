// Add: elementwise with numpy broadcasting, on float32/float64 and the integer types.
#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {
struct AddOp {
  template <class T>
  static T apply(T a, T b) {

    return static_cast<T>(a + b);
  }
};
// Add followed by Relu (a residual join): rectified in the same pass (KernelContext::fuseRelu).
struct AddReluOp {
  template <class T>
  static T apply(T a, T b) {
    const T v = static_cast<T>(a + b);
    return v > T(0) ? v : T(0);
  }
};
struct AddKernel {
  Status run(KernelContext& ctx) {
    if (ctx.input(0).dtype == DType::Float && ctx.input(1).dtype == DType::Float && ctx.fuseRelu())
      return ops::binaryArith<AddReluOp>(ctx);
    return ops::binaryArith<AddOp>(ctx);
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeAdd(const NodeInfo& info) { return makeKernel(AddKernel{}); }

}  // namespace dnnc
