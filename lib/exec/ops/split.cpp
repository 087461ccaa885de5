// Split: cuts the input along `axis` into the outputs: sizes from the `split` input (opset 13+) or
// attribute (before 13); otherwise equal parts (opset 18's num_outputs: the last part may be smaller).
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct SplitKernel {
  int64_t axis = 0;
  bool split_input = true;
  std::vector<int64_t> attr_split;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    DNNC_ASSIGN(int ax, ops::normalizeAxis(axis, x.rank(), ctx));
    std::vector<int64_t> split = attr_split;
    if (split_input && ctx.hasInput(1)) {
      DNNC_ASSIGN(split, ops::intValues(ctx.input(1), ctx, "split"));
    }
    const int n = ctx.numOutputs();
    const int64_t d = x.dims[ax];
    if (split.empty()) {
      int64_t part = (d + n - 1) / n;
      for (int i = 0; i < n; ++i) split.push_back(std::max<int64_t>(0, std::min(part, d - part * i)));
    }
    int64_t sum = 0;
    for (int64_t s : split) sum += s;
    if (static_cast<int>(split.size()) != n || sum != d)
      return ctx.error("split ", dimsToString(split), " does not cut dim ", d, " into ", n, " outputs");
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < ax; ++i) outer *= x.dims[i];
    for (int i = ax + 1; i < x.rank(); ++i) inner *= x.dims[i];
    const size_t es = dtypeSize(x.dtype);
    const size_t row = static_cast<size_t>(d * inner) * es;
    size_t col = 0;
    for (int i = 0; i < n; ++i) {
      const size_t chunk = static_cast<size_t>(split[i] * inner) * es;
      if (ctx.wantsOutput(i)) {
        std::vector<int64_t> dims = x.dims;
        dims[ax] = split[i];
        Value& y = ctx.output(i, x.dtype, dims);
        const auto* src = static_cast<const std::byte*>(x.data) + col;
        if (chunk)
          for (int64_t o = 0; o < outer; ++o) std::memcpy(static_cast<std::byte*>(y.data) + o * chunk, src + o * row, chunk);
      }
      col += chunk;
    }
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeSplit(const NodeInfo& info) {
  SplitKernel k;
  k.axis = info.attrInt("axis", 0);
  k.split_input = info.opset() >= 13;
  if (!k.split_input) k.attr_split = info.attrInts("split");
  return makeKernel(k);
}

}  // namespace dnnc
