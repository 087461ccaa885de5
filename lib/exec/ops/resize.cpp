// Resize (opsets 10-19): nearest (every nearest_mode), N-linear and cubic (cubic_coeff_a,
// exclude_outside) interpolation over any axes, with every coordinate_transformation_mode including
// tf_crop_and_resize (roi, extrapolation_value). The target comes from `scales` (output = floor(input *
// scale)) or `sizes`; opset 10 takes scales as input 1 and uses asymmetric coordinates, 11 adds roi,
// scales and sizes as inputs 1-3, 13 makes roi and scales optional, 18 adds `axes` and
// keep_aspect_ratio_policy. antialias (18) is refused. The interpolation itself is resize_common.cpp.
#include <cmath>

#include "lib/exec/ops/common.h"
#include "lib/exec/ops/resize_common.h"

namespace dnnc {
namespace {

enum class AspectPolicy { Stretch, NotLarger, NotSmaller };

// A float input's values as doubles (scales, roi), empty when absent or empty.
Expected<std::vector<double>> floatValues(const KernelContext& ctx, int i, const char* what) {
  std::vector<double> out;
  if (!ctx.hasInput(i)) return out;
  const Value& v = ctx.input(i);
  if (v.dtype == DType::Float) {
    for (float f : v.span<float>()) out.push_back(f);
  } else if (v.dtype == DType::Double) {
    for (double f : v.span<double>()) out.push_back(f);
  } else {
    return ctx.error(what, " must be float, got ", dtypeName(v.dtype));
  }
  return out;
}

struct ResizeKernel {
  ops::ResizeAttrs attrs;
  int64_t opset = 13;
  std::vector<int64_t> axes;  // opset 18: the axes scales, sizes and roi refer to
  AspectPolicy policy = AspectPolicy::Stretch;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    const int r = x.rank();
    std::vector<double> roi_in, scales_in;
    std::vector<int64_t> sizes_in;
    if (opset < 11) {
      DNNC_ASSIGN(scales_in, floatValues(ctx, 1, "scales"));
    } else {
      DNNC_ASSIGN(roi_in, floatValues(ctx, 1, "roi"));
      DNNC_ASSIGN(scales_in, floatValues(ctx, 2, "scales"));
      if (ctx.hasInput(3)) {
        DNNC_ASSIGN(sizes_in, ops::intValues(ctx.input(3), ctx, "sizes"));
      }
    }
    if (!scales_in.empty() && !sizes_in.empty()) return ctx.error("give scales or sizes, not both");
    if (scales_in.empty() && sizes_in.empty()) return ctx.error("needs scales or sizes");
    // The axes the inputs address, in their order.
    std::vector<int> ax;
    if (axes.empty()) {
      for (int d = 0; d < r; ++d) ax.push_back(d);
    } else {
      for (int64_t a : axes) {
        DNNC_ASSIGN(int d, ops::normalizeAxis(a, r, ctx));
        ax.push_back(d);
      }
    }
    const size_t na = ax.size();
    if (!scales_in.empty() && scales_in.size() != na)
      return ctx.error("scales has ", scales_in.size(), " values for ", na, " axes");
    if (!sizes_in.empty() && sizes_in.size() != na)
      return ctx.error("sizes has ", sizes_in.size(), " values for ", na, " axes");
    if (!roi_in.empty() && roi_in.size() != 2 * na)
      return ctx.error("roi has ", roi_in.size(), " values, expected ", 2 * na);

    std::vector<double> scales(r, 1.0), roi;
    std::vector<int64_t> out_dims(x.dims.begin(), x.dims.end());
    const bool crop = attrs.coordinates == ops::CoordinateMode::TfCropAndResize;
    if (!scales_in.empty()) {
      for (size_t i = 0; i < na; ++i) {
        if (!(scales_in[i] > 0)) return ctx.error("scale ", scales_in[i], " is not positive");
        scales[ax[i]] = scales_in[i];
        // floor(input * (roi_end - roi_start) * scale); the roi counts for tf_crop_and_resize only
        const double extent = crop && !roi_in.empty() ? roi_in[na + i] - roi_in[i] : 1.0;
        out_dims[ax[i]] = static_cast<int64_t>(std::floor(static_cast<double>(x.dims[ax[i]]) * extent * scales_in[i]));
      }
    } else if (policy == AspectPolicy::Stretch) {
      for (size_t i = 0; i < na; ++i) {
        if (sizes_in[i] < 0) return ctx.error("size ", sizes_in[i], " is negative");
        out_dims[ax[i]] = sizes_in[i];
        scales[ax[i]] = x.dims[ax[i]] ? static_cast<double>(sizes_in[i]) / static_cast<double>(x.dims[ax[i]]) : 1.0;
      }
    } else {  // one scale for every listed axis, the largest that fits (not_larger) or covers (not_smaller)
      double s = policy == AspectPolicy::NotLarger ? INFINITY : 0.0;
      for (size_t i = 0; i < na; ++i) {
        const double f = static_cast<double>(sizes_in[i]) / static_cast<double>(x.dims[ax[i]]);
        s = policy == AspectPolicy::NotLarger ? std::min(s, f) : std::max(s, f);
      }
      for (size_t i = 0; i < na; ++i) {
        scales[ax[i]] = s;
        out_dims[ax[i]] = static_cast<int64_t>(std::round(s * static_cast<double>(x.dims[ax[i]])));
      }
    }
    if (!roi_in.empty()) {
      roi.assign(2 * r, 0.0);
      for (int d = 0; d < r; ++d) roi[r + d] = 1.0;
      for (size_t i = 0; i < na; ++i) {
        roi[ax[i]] = roi_in[i];
        roi[r + ax[i]] = roi_in[na + i];
      }
    }
    return ops::resizeInto(ctx, attrs, scales, out_dims, roi);
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeResize(const NodeInfo& info) {
  ResizeKernel k;
  k.opset = info.opset();
  const std::string mode = info.attrString("mode", "nearest");
  if (mode == "bilinear" || !ops::parseResizeMode(mode, k.attrs.mode))
    return info.error("mode '", mode, "' is not one of nearest, linear, cubic");
  if (k.opset < 11) {  // Resize-10: asymmetric coordinates, as Upsample
    k.attrs.coordinates = ops::CoordinateMode::Asymmetric;
    k.attrs.nearest = ops::NearestMode::Simple;
  } else {
    const std::string coord = info.attrString("coordinate_transformation_mode", "half_pixel");
    if (!ops::parseCoordinateMode(coord, k.attrs.coordinates) ||
        (coord == "half_pixel_symmetric" && k.opset < 19) || (coord == "tf_half_pixel_for_nn" && k.opset >= 13))
      return info.error("coordinate_transformation_mode '", coord, "' is not supported at opset ", k.opset);
    const std::string nearest = info.attrString("nearest_mode", "round_prefer_floor");
    if (!ops::parseNearestMode(nearest, k.attrs.nearest)) return info.error("nearest_mode '", nearest, "' is not supported");
    k.attrs.cubic_a = info.attrFloat("cubic_coeff_a", -0.75f);
    k.attrs.exclude_outside = info.attrInt("exclude_outside", 0) != 0;
    k.attrs.extrapolation = info.attrFloat("extrapolation_value", 0.0f);
  }
  if (info.attrInt("antialias", 0) != 0) return info.error("antialias=1 is not supported");
  k.axes = info.attrInts("axes");
  const std::string policy = info.attrString("keep_aspect_ratio_policy", "stretch");
  if (policy == "stretch") k.policy = AspectPolicy::Stretch;
  else if (policy == "not_larger") k.policy = AspectPolicy::NotLarger;
  else if (policy == "not_smaller") k.policy = AspectPolicy::NotSmaller;
  else return info.error("keep_aspect_ratio_policy '", policy, "' is not supported");
  return makeKernel(std::move(k));
}

}  // namespace dnnc
