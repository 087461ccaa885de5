// Reciprocal: y = 1 / x, float32.
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ReciprocalKernel {
  Status run(KernelContext& ctx) { return ops::unaryFloat(ctx, [](float x) { return 1.0f / x; }); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeReciprocal(const NodeInfo& info) { return makeKernel(ReciprocalKernel{}); }

}  // namespace dnnc
