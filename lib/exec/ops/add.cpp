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
struct AddKernel {
  Status run(KernelContext& ctx) { return ops::binaryArith<AddOp>(ctx); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeAdd(const NodeInfo& info) { return makeKernel(AddKernel{}); }

}  // namespace dnnc
