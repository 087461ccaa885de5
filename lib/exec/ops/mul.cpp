// Mul: elementwise with numpy broadcasting, on float32/float64 and the integer types. Mul(x, f(x)) after
// a Sigmoid or HardSigmoid that already wrote the product (KernelContext::fuseGate) passes it through.
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
  Status run(KernelContext& ctx) {
    for (int i = 0; i < 2; ++i)
      if (ctx.inputGated(i)) {
        ctx.outputAlias(0, i, ctx.input(i).dims);
        return {};
      }
    return ops::binaryArith<MulOp>(ctx);
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeMul(const NodeInfo& info) { return makeKernel(MulKernel{}); }

}  // namespace dnnc
