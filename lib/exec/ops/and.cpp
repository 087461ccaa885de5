// And: logical a && b on bool tensors with numpy broadcasting.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct AndOp {
  template <class T>
  static bool apply(T a, T b) { return a && b; }
};
struct AndKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<AndOp>(ctx, ops::PredicateInputs::BoolOnly); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeAnd(const NodeInfo& info) { return makeKernel(AndKernel{}); }

}  // namespace dnnc
