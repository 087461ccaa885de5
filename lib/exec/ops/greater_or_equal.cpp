// GreaterOrEqual (opset 12): a >= b elementwise with numpy broadcasting, bool output.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct GreaterOrEqualOp {
  template <class T>
  static bool apply(T a, T b) { return a >= b; }
};
struct GreaterOrEqualKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<GreaterOrEqualOp>(ctx, ops::PredicateInputs::Any); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeGreaterOrEqual(const NodeInfo& info) { return makeKernel(GreaterOrEqualKernel{}); }

}  // namespace dnnc
