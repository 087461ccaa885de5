// Div: elementwise with numpy broadcasting, on float32/float64 and the integer types.
#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {
struct DivOp {
  template <class T>
  static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return 0;  // undefined in ONNX; avoid the trap
    }
    return static_cast<T>(a / b);
  }
};
struct DivKernel {
  Status run(KernelContext& ctx) { return ops::binaryArith<DivOp>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeDiv(const NodeInfo& info) { return makeKernel(DivKernel{}); }

}  // namespace dnnc
