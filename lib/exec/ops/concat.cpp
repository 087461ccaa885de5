// Concat: joins inputs along `axis`; all other dims must agree. Any element type.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct ConcatKernel {
  int64_t axis = 0;
  Status run(KernelContext& ctx) {
    const Value& first = ctx.input(0);
    DNNC_ASSIGN(int ax, ops::normalizeAxis(axis, first.rank(), ctx));
    std::vector<int64_t> dims = first.dims;
    dims[ax] = 0;
    for (int i = 0; i < ctx.numInputs(); ++i) {
      if (!ctx.hasInput(i)) continue;
      const Value& v = ctx.input(i);
      bool ok = v.dtype == first.dtype && v.rank() == first.rank();
      for (int d = 0; ok && d < v.rank(); ++d) ok = d == ax || v.dims[d] == first.dims[d];
      if (!ok) return ctx.error("input ", i, " is ", describe(v.dtype, v.dims), ", input 0 ", describe(first.dtype, first.dims));
      dims[ax] += v.dims[ax];
    }
    Value& y = ctx.output(0, first.dtype, dims);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < ax; ++d) outer *= dims[d];
    for (int d = ax + 1; d < first.rank(); ++d) inner *= dims[d];
    const size_t es = dtypeSize(first.dtype);
    const size_t row = static_cast<size_t>(dims[ax] * inner) * es;
    size_t col = 0;
    for (int i = 0; i < ctx.numInputs(); ++i) {
      if (!ctx.hasInput(i)) continue;
      const Value& v = ctx.input(i);
      const size_t chunk = static_cast<size_t>(v.dims[ax] * inner) * es;
      const auto* src = static_cast<const std::byte*>(v.data);
      auto* dst = static_cast<std::byte*>(y.data) + col;
      if (chunk)
        for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * row, src + o * chunk, chunk);
      col += chunk;
    }
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeConcat(const NodeInfo& info) {
  if (!info.hasAttr("axis") && info.opset() >= 4) return info.error("missing the axis attribute");
  return makeKernel(ConcatKernel{info.attrInt("axis", 1)});
}

}  // namespace dnnc
