// LessOrEqual (opset 12): a <= b elementwise with numpy broadcasting, bool output.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct LessOrEqualOp {
  template <class T>
  static bool apply(T a, T b) { return a <= b; }
};
struct LessOrEqualKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<LessOrEqualOp>(ctx, ops::PredicateInputs::Any); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeLessOrEqual(const NodeInfo& info) { return makeKernel(LessOrEqualKernel{}); }

}  // namespace dnnc
