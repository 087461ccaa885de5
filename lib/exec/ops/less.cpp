// Less: a < b elementwise with numpy broadcasting, bool output.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct LessOp {
  template <class T>
  static bool apply(T a, T b) { return a < b; }
};
struct LessKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<LessOp>(ctx, ops::PredicateInputs::Any); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeLess(const NodeInfo& info) { return makeKernel(LessKernel{}); }

}  // namespace dnnc
