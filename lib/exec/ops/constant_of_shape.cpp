// ConstantOfShape: a tensor of the given int64 shape filled with `value` (one element; default float 0).
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ConstantOfShapeKernel {
  Tensor value;
  Status run(KernelContext& ctx) {
    DNNC_ASSIGN(auto dims, ops::intValues(ctx.input(0), ctx, "shape"));
    DNNC_TRY(checkedNumel(dims, ctx.where() + " output"));
    Value& y = ctx.output(0, value.dtype(), dims);
    const size_t es = dtypeSize(value.dtype());
    auto* dst = static_cast<std::byte*>(y.data);
    for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + i * es, value.rawData(), es);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeConstantOfShape(const NodeInfo& info) {
  ConstantOfShapeKernel k;
  if (const auto* a = info.attr("value")) {
    auto t = readTensor(a->t(), "");
    if (!t) return info.error(t.error().message());
    if (t->numel() != 1) return info.error("value must hold one element, got ", t->numel());
    k.value = std::move(*t);
  } else {
    k.value = Tensor(DType::Float, {1});
  }
  return makeKernel(std::move(k));
}

}  // namespace dnnc
