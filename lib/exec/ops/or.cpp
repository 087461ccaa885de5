// Or: logical a || b on bool tensors with numpy broadcasting.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct OrOp {
  template <class T>
  static bool apply(T a, T b) { return a || b; }
};
struct OrKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<OrOp>(ctx, ops::PredicateInputs::BoolOnly); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeOr(const NodeInfo& info) { return makeKernel(OrKernel{}); }

}  // namespace dnnc
