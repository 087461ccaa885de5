// Sub: elementwise with numpy broadcasting, on float32/float64 and the integer types.
#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {
struct SubOp {
  template <class T>
  static T apply(T a, T b) {

    return static_cast<T>(a - b);
  }
};
struct SubKernel {
  Status run(KernelContext& ctx) { return ops::binaryArith<SubOp>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSub(const NodeInfo& info) { return makeKernel(SubKernel{}); }

}  // namespace dnnc
