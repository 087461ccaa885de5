// ReduceSum: the sum over `axes` (all when absent), keepdims by default; axes are an attribute before
// opset 13 and an optional input from 13 (with noop_with_empty_axes). float32, accumulated in double.
#include "lib/exec/ops/reduce_common.h"

namespace dnnc {
namespace {
struct ReduceSumKernel {
  ops::ReduceSpec spec;
  Status run(KernelContext& ctx) {
    return ops::reduceFloat(ctx, spec, 0.0, [](double a, float x) { return a + x; });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeReduceSum(const NodeInfo& info) {
  return makeKernel(ReduceSumKernel{ops::ReduceSpec::fromNode(info, 13)});
}

}  // namespace dnnc
