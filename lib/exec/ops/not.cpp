// Not: logical negation of a bool tensor.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct NotKernel {
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (x.dtype != DType::Bool) return ctx.error("expects a bool input, got ", dtypeName(x.dtype));
    Value& y = ctx.outputInPlace(0, 0, DType::Bool, x.dims);
    const auto* in = static_cast<const uint8_t*>(x.data);
    auto* out = static_cast<uint8_t*>(y.data);
    for (int64_t i = 0, n = x.numel(); i < n; ++i) out[i] = in[i] == 0;
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeNot(const NodeInfo& info) { return makeKernel(NotKernel{}); }

}  // namespace dnnc
