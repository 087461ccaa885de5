// Sqrt: y = sqrt(x); negative inputs give NaN, as in ONNX Runtime.
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct SqrtKernel {
  Status run(KernelContext& ctx) { return ops::unaryFloat(ctx, [](float x) { return std::sqrt(x); }); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSqrt(const NodeInfo& info) { return makeKernel(SqrtKernel{}); }

}  // namespace dnnc
