// Tanh: y = tanh(x).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct TanhKernel {

  Status run(KernelContext& ctx) {
    return ops::unaryFloat(ctx, [&](float x) { return std::tanh(x); });
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeTanh(const NodeInfo& info) {
  TanhKernel k;

  return makeKernel(k);
}

}  // namespace dnnc
