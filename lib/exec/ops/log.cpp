// Log: y = ln x, float32 (NaN below zero, -inf at zero, as numpy).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct LogKernel {
  Status run(KernelContext& ctx) { return ops::unaryFloat(ctx, [](float x) { return std::log(x); }); }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeLog(const NodeInfo& info) { return makeKernel(LogKernel{}); }

}  // namespace dnnc
