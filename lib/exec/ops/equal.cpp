// Equal: a == b elementwise with numpy broadcasting, bool output; numeric, float16 and bool inputs.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct EqualOp {
  template <class T>
  static bool apply(T a, T b) { return a == b; }
};
struct EqualKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<EqualOp>(ctx, ops::PredicateInputs::Any); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeEqual(const NodeInfo& info) { return makeKernel(EqualKernel{}); }

}  // namespace dnnc
