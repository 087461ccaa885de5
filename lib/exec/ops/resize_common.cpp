#include "lib/exec/ops/resize_common.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lib/exec/ops/common.h"

namespace dnnc::ops {

bool parseResizeMode(const std::string& s, ResizeMode& out) {
  if (s == "nearest") out = ResizeMode::Nearest;
  else if (s == "linear" || s == "bilinear") out = ResizeMode::Linear;
  else if (s == "cubic") out = ResizeMode::Cubic;
  else return false;
  return true;
}

bool parseCoordinateMode(const std::string& s, CoordinateMode& out) {
  if (s == "half_pixel") out = CoordinateMode::HalfPixel;
  else if (s == "half_pixel_symmetric") out = CoordinateMode::HalfPixelSymmetric;
  else if (s == "pytorch_half_pixel") out = CoordinateMode::PytorchHalfPixel;
  else if (s == "align_corners") out = CoordinateMode::AlignCorners;
  else if (s == "asymmetric") out = CoordinateMode::Asymmetric;
  else if (s == "tf_half_pixel_for_nn") out = CoordinateMode::TfHalfPixelForNn;
  else if (s == "tf_crop_and_resize") out = CoordinateMode::TfCropAndResize;
  else return false;
  return true;
}

bool parseNearestMode(const std::string& s, NearestMode& out) {
  if (s == "round_prefer_floor") out = NearestMode::RoundPreferFloor;
  else if (s == "round_prefer_ceil") out = NearestMode::RoundPreferCeil;
  else if (s == "floor") out = NearestMode::Floor;
  else if (s == "ceil") out = NearestMode::Ceil;
  else return false;
  return true;
}

namespace {

// Per output index of one axis: `n` taps (input index, weight), or `outside` (tf_crop_and_resize's
// extrapolation value).
struct AxisTaps {
  int n = 1;
  std::vector<int64_t> index;
  std::vector<float> weight;
  std::vector<char> outside;
  bool identity = true;
};

// The input coordinate of output index x, as the ONNX spec defines each coordinate_transformation_mode.
double originalCoordinate(double x, double scale, int64_t in, int64_t out, double roi_start, double roi_end,
                          CoordinateMode m) {
  switch (m) {
    case CoordinateMode::HalfPixel: return (x + 0.5) / scale - 0.5;
    case CoordinateMode::HalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out) / (scale * static_cast<double>(in));
      const double offset = static_cast<double>(in) / 2 * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case CoordinateMode::PytorchHalfPixel: return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CoordinateMode::AlignCorners:
      // The resized length is scale * in, not the floored output size: the ONNX reference (and its test
      // data) differ from ONNX Runtime here when the scales do not give whole sizes.
      return out == 1 ? 0.0 : x * static_cast<double>(in - 1) / (scale * static_cast<double>(in) - 1);
    case CoordinateMode::Asymmetric: return x / scale;
    case CoordinateMode::TfHalfPixelForNn: return (x + 0.5) / scale;
    case CoordinateMode::TfCropAndResize:
      return out > 1 ? roi_start * static_cast<double>(in - 1) +
                           x * (roi_end - roi_start) * static_cast<double>(in - 1) / static_cast<double>(out - 1)
                     : 0.5 * (roi_start + roi_end) * static_cast<double>(in - 1);
  }
  return x;
}

int64_t nearestIndex(double x, double scale, NearestMode m) {
  const double fl = std::floor(x);
  if (m == NearestMode::Simple) return scale < 1 ? static_cast<int64_t>(std::ceil(x)) : static_cast<int64_t>(fl);
  if (x == fl) return static_cast<int64_t>(fl);
  const double ratio = x - fl;
  bool up = false;
  switch (m) {
    case NearestMode::RoundPreferFloor: up = ratio > 0.5; break;
    case NearestMode::RoundPreferCeil: up = ratio >= 0.5; break;
    case NearestMode::Floor: up = false; break;
    case NearestMode::Ceil: up = true; break;
    case NearestMode::Simple: break;
  }
  return static_cast<int64_t>(fl) + (up ? 1 : 0);
}

// Keys' cubic convolution weights of the four neighbours floor(x)-1 .. floor(x)+2 at s = x - floor(x).
void cubicWeights(double s, double a, double w[4]) {
  auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };  // 1 <= |t| < 2
  auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };     // |t| < 1
  w[0] = far(s + 1);
  w[1] = near(s);
  w[2] = near(1 - s);
  w[3] = far(2 - s);
}

AxisTaps axisTaps(const ResizeAttrs& at, int64_t in, int64_t out, double scale, double roi_start, double roi_end) {
  AxisTaps t;
  t.n = at.mode == ResizeMode::Nearest ? 1 : at.mode == ResizeMode::Linear ? 2 : 4;
  t.index.resize(out * t.n);
  t.weight.resize(out * t.n);
  t.outside.assign(out, 0);
  t.identity = in == out;
  auto clampIndex = [in](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  for (int64_t j = 0; j < out; ++j) {
    const double x = originalCoordinate(static_cast<double>(j), scale, in, out, roi_start, roi_end, at.coordinates);
    int64_t* idx = &t.index[j * t.n];
    float* w = &t.weight[j * t.n];
    if (at.coordinates == CoordinateMode::TfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
      t.outside[j] = 1;
      t.identity = false;
      for (int k = 0; k < t.n; ++k) idx[k] = 0, w[k] = 0;
      continue;
    }
    const double fl = std::floor(x);
    const auto base = static_cast<int64_t>(fl);
    if (at.mode == ResizeMode::Nearest) {
      idx[0] = clampIndex(nearestIndex(x, scale, at.nearest));
      w[0] = 1;
    } else if (at.mode == ResizeMode::Linear) {
      const double s = x - fl;
      idx[0] = clampIndex(base);
      idx[1] = clampIndex(base + 1);
      w[0] = static_cast<float>(1 - s);
      w[1] = static_cast<float>(s);
    } else {
      double cw[4];
      cubicWeights(x - fl, at.cubic_a, cw);
      if (at.exclude_outside) {
        double sum = 0;
        for (int k = 0; k < 4; ++k) {
          const int64_t i = base - 1 + k;
          if (i < 0 || i >= in) cw[k] = 0;
          sum += cw[k];
        }
        for (double& c : cw) c = sum != 0 ? c / sum : 0;
      }
      for (int k = 0; k < 4; ++k) {
        idx[k] = clampIndex(base - 1 + k);
        w[k] = static_cast<float>(cw[k]);
      }
    }
    for (int k = 0; k < t.n; ++k)
      if (w[k] != 0 && (idx[k] != j || w[k] != 1)) t.identity = false;
  }
  return t;
}

// dst[o, j, :] = sum of weight * src[o, index, :] over axis j's taps; rows of `inner` floats.
void interpolateAxis(const float* src, float* dst, int64_t outer, int64_t in, int64_t out, int64_t inner,
                     const AxisTaps& t, float extrapolation, int threads) {
  parallelFor(outer * out, threads, std::max<int64_t>(1, 4096 / std::max<int64_t>(inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / out, j = r % out;
      float* y = dst + r * inner;
      if (t.outside[j]) {
        std::fill(y, y + inner, extrapolation);
        continue;
      }
      const float* x = src + o * in * inner;
      const int64_t* idx = &t.index[j * t.n];
      const float* w = &t.weight[j * t.n];
      const float* x0 = x + idx[0] * inner;
      const float w0 = w[0];
      for (int64_t k = 0; k < inner; ++k) y[k] = w0 * x0[k];
      for (int tap = 1; tap < t.n; ++tap) {
        const float* xt = x + idx[tap] * inner;
        const float wt = w[tap];
        for (int64_t k = 0; k < inner; ++k) y[k] += wt * xt[k];
      }
    }
  });
}

// Nearest on any element type: rows copied whole.
void copyAxis(const std::byte* src, std::byte* dst, int64_t outer, int64_t in, int64_t out, int64_t inner_bytes,
              const AxisTaps& t) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < out; ++j)
      std::memcpy(dst + (o * out + j) * inner_bytes, src + (o * in + t.index[j]) * inner_bytes, inner_bytes);
}

}  // namespace

Status resizeInto(KernelContext& ctx, const ResizeAttrs& attrs, std::span<const double> scales,
                  std::span<const int64_t> out_dims, std::span<const double> roi) {
  const Value& x = ctx.input(0);
  const int r = x.rank();
  DNNC_CHECK(static_cast<int>(scales.size()) == r && static_cast<int>(out_dims.size()) == r);
  const bool floats = x.dtype == DType::Float;
  if (!floats && attrs.mode != ResizeMode::Nearest)
    return ctx.error("linear and cubic modes need float32 input, got ", dtypeName(x.dtype));
  if (!floats && attrs.coordinates == CoordinateMode::TfCropAndResize)
    return ctx.error("tf_crop_and_resize needs float32 input, got ", dtypeName(x.dtype));
  if (attrs.coordinates == CoordinateMode::TfCropAndResize && static_cast<int>(roi.size()) != 2 * r)
    return ctx.error("tf_crop_and_resize needs an roi of ", 2 * r, " values, got ", roi.size());
  for (int d = 0; d < r; ++d)
    if (x.dims[d] == 0 && out_dims[d] > 0) return ctx.error("cannot resize an empty axis ", d, " to ", out_dims[d]);
  DNNC_TRY(checkedNumel(out_dims, ctx.where() + " output"));

  std::vector<AxisTaps> taps(r);
  std::vector<int> passes;  // axes to resize, last first
  for (int d = r - 1; d >= 0; --d) {
    if (out_dims[d] == 0 || x.dims[d] == 0) continue;
    const double start = roi.empty() ? 0.0 : roi[d], end = roi.empty() ? 1.0 : roi[r + d];
    taps[d] = axisTaps(attrs, x.dims[d], out_dims[d], scales[d], start, end);
    if (!taps[d].identity) passes.push_back(d);
  }
  Value& y = ctx.output(0, x.dtype, out_dims);
  if (y.numel() == 0) return {};
  if (passes.empty()) {
    std::memcpy(y.data, x.data, x.sizeBytes());
    return {};
  }
  const size_t es = dtypeSize(x.dtype);
  std::vector<int64_t> cur(x.dims.begin(), x.dims.end());
  std::vector<std::byte> bufs[2];
  const std::byte* src = static_cast<const std::byte*>(x.data);
  for (size_t p = 0; p < passes.size(); ++p) {
    const int d = passes[p];
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < d; ++i) outer *= cur[i];
    for (int i = d + 1; i < r; ++i) inner *= cur[i];
    const int64_t in = cur[d], out = out_dims[d];
    std::byte* dst;
    if (p + 1 == passes.size()) {
      dst = static_cast<std::byte*>(y.data);
    } else {
      bufs[p % 2].resize(static_cast<size_t>(outer * out * inner) * es);
      dst = bufs[p % 2].data();
    }
    if (floats)
      interpolateAxis(reinterpret_cast<const float*>(src), reinterpret_cast<float*>(dst), outer, in, out, inner,
                      taps[d], attrs.extrapolation, ctx.threads());
    else
      copyAxis(src, dst, outer, in, out, inner * static_cast<int64_t>(es), taps[d]);
    cur[d] = out;
    src = dst;
  }
  return {};
}

}  // namespace dnnc::ops
