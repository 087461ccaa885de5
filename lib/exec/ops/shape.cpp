// Shape: the input's dims as int64, optionally dims[start:end] (opset 15).
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ShapeKernel {
  int64_t start = 0, end = INT64_MAX;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    int64_t r = x.rank();
    int64_t s = start < 0 ? start + r : start, e = end < 0 ? end + r : end;
    s = std::clamp<int64_t>(s, 0, r);
    e = std::clamp<int64_t>(e, 0, r);
    int64_t n = std::max<int64_t>(0, e - s);
    Value& y = ctx.output(0, DType::Int64, {n});
    for (int64_t i = 0; i < n; ++i) y.as<int64_t>()[i] = x.dims[s + i];
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeShape(const NodeInfo& info) {
  return makeKernel(ShapeKernel{info.attrInt("start", 0), info.attrInt("end", INT64_MAX)});
}

}  // namespace dnnc
