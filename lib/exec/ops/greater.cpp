// Greater: a > b elementwise with numpy broadcasting, bool output.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct GreaterOp {
  template <class T>
  static bool apply(T a, T b) { return a > b; }
};
struct GreaterKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<GreaterOp>(ctx, ops::PredicateInputs::Any); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeGreater(const NodeInfo& info) { return makeKernel(GreaterKernel{}); }

}  // namespace dnnc
