// Xor: logical a != b on bool tensors with numpy broadcasting.
#include "lib/exec/ops/predicate.h"

namespace dnnc {
namespace {
struct XorOp {
  template <class T>
  static bool apply(T a, T b) { return a != b; }
};
struct XorKernel {
  Status run(KernelContext& ctx) { return ops::binaryPredicate<XorOp>(ctx, ops::PredicateInputs::BoolOnly); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeXor(const NodeInfo& info) { return makeKernel(XorKernel{}); }

}  // namespace dnnc
