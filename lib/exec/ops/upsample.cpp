// Upsample (opsets 7-9; deprecated in 10 for Resize): nearest or (bi)linear with asymmetric
// coordinates, scales as an attribute (7) or input 1 (9). Runs through Resize's interpolation
// (resize_common.cpp).
#include <cmath>

#include "lib/exec/ops/common.h"
#include "lib/exec/ops/resize_common.h"

namespace dnnc {
namespace {
struct UpsampleKernel {
  ops::ResizeAttrs attrs;
  std::vector<float> attr_scales;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    std::vector<double> scales(attr_scales.begin(), attr_scales.end());
    if (ctx.hasInput(1)) {
      const Value& s = ctx.input(1);
      if (s.dtype != DType::Float) return ctx.error("scales must be float32, got ", dtypeName(s.dtype));
      scales.assign(s.span<float>().begin(), s.span<float>().end());
    }
    if (static_cast<int>(scales.size()) != x.rank())
      return ctx.error("scales has ", scales.size(), " values for a rank-", x.rank(), " input");
    std::vector<int64_t> out_dims(x.rank());
    for (int d = 0; d < x.rank(); ++d) {
      if (!(scales[d] > 0)) return ctx.error("scale ", scales[d], " is not positive");
      out_dims[d] = static_cast<int64_t>(std::floor(static_cast<double>(x.dims[d]) * scales[d]));
    }
    return ops::resizeInto(ctx, attrs, scales, out_dims, {});
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeUpsample(const NodeInfo& info) {
  UpsampleKernel k;
  const std::string mode = info.attrString("mode", "nearest");
  if (mode == "cubic" || !ops::parseResizeMode(mode, k.attrs.mode))
    return info.error("mode '", mode, "' is not one of nearest, linear");
  k.attrs.coordinates = ops::CoordinateMode::Asymmetric;
  k.attrs.nearest = ops::NearestMode::Simple;
  k.attr_scales = info.attrFloats("scales");
  if (k.attr_scales.empty() && info.numInputs() < 2) return info.error("needs scales (attribute or input 1)");
  return makeKernel(std::move(k));
}

}  // namespace dnnc
