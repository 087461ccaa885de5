// ReduceMax: the maximum over `axes` (all when absent), keepdims by default; axes are an attribute
// through opset 17 and an optional input from 18. float32; NaN propagates.
#include <cmath>
#include <limits>

#include "lib/exec/ops/reduce_common.h"

namespace dnnc {
namespace {
struct ReduceMaxKernel {
  ops::ReduceSpec spec;
  Status run(KernelContext& ctx) {
    return ops::reduceFloat(ctx, spec, -std::numeric_limits<float>::infinity(),
                            [](float a, float x) { return std::isnan(a) || a >= x ? a : x; });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeReduceMax(const NodeInfo& info) {
  return makeKernel(ReduceMaxKernel{ops::ReduceSpec::fromNode(info, 18)});
}

}  // namespace dnnc
