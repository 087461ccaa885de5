// Gather: picks entries of data along `axis` by indices (int64 or int32, negative counts from the end).
// Any element type: int64 Gather on shapes is how exported models compute Reshape targets.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct GatherKernel {
  int64_t axis = 0;
  Status run(KernelContext& ctx) {
    const Value& data = ctx.input(0);
    const Value& ind = ctx.input(1);
    DNNC_ASSIGN(int ax, ops::normalizeAxis(axis, data.rank(), ctx));
    DNNC_ASSIGN(auto idx, ops::intValues(ind, ctx, "indices"));
    const int64_t d = data.dims[ax];
    for (int64_t& i : idx) {
      if (i < -d || i >= d) return ctx.error("index ", i, " is out of range for axis size ", d);
      if (i < 0) i += d;
    }
    std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + ax);
    dims.insert(dims.end(), ind.dims.begin(), ind.dims.end());
    dims.insert(dims.end(), data.dims.begin() + ax + 1, data.dims.end());
    Value& y = ctx.output(0, data.dtype, dims);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < ax; ++i) outer *= data.dims[i];
    for (int i = ax + 1; i < data.rank(); ++i) inner *= data.dims[i];
    const size_t chunk = static_cast<size_t>(inner) * dtypeSize(data.dtype);
    const auto* src = static_cast<const std::byte*>(data.data);
    auto* dst = static_cast<std::byte*>(y.data);
    const int64_t k = static_cast<int64_t>(idx.size());
    if (chunk)
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < k; ++j) std::memcpy(dst + (o * k + j) * chunk, src + (o * d + idx[j]) * chunk, chunk);
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeGather(const NodeInfo& info) { return makeKernel(GatherKernel{info.attrInt("axis", 0)}); }

}  // namespace dnnc
