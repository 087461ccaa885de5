// The depthwise convolution's reverse pass (see conv_depthwise.h).
#include "lib/train/ops/conv_depthwise.h"

#include <algorithm>

#include "lib/support/check.h"

namespace dnnc::train {
namespace {

// Per tap, both products in one pass over a whole plane in "wide" rows: returns sum dy[q] x[q] and adds
// wv dy[q] into gx[q]. dy holds OH rows of Ws values (zero past OW), and x and gx are one phase of the
// bordered planes (below), Ws wide, so output q = oh * Ws + ow reads x[q]: one
// long loop per tap instead of one per output row and tap, which on 14x14 and 7x7 maps was mostly loop
// overhead, and unit-stride loads and stores at stride 2 too.
float planeTap(const float* __restrict dy, const float* __restrict x, float* __restrict gx, float wv, int64_t n) {
  float d = 0.0f;
#pragma omp simd reduction(+ : d)
  for (int64_t q = 0; q < n; ++q) {
    d += dy[q] * x[q];
    gx[q] += wv * dy[q];
  }
  return d;
}

// dst[k] = src[k S] for k < n, and the reverse (added unless fresh): the phase split of a bordered row.
// A constant stride lets GCC load whole vectors and shuffle (S = 2: MobileNetV2's downsampling layers).
template <int64_t S>
void gatherEvery(float* __restrict dst, const float* __restrict src, int64_t n) {
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) dst[k] = src[k * S];
}
template <int64_t S>
void scatterEvery(float* __restrict dst, const float* __restrict src, int64_t n, bool fresh) {
  if (fresh) {
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) dst[k * S] = src[k];
  } else {
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) dst[k * S] += src[k];
  }
}
void gatherEvery(float* dst, const float* src, int64_t n, int64_t S) {
  if (S == 1) return gatherEvery<1>(dst, src, n);
  if (S == 2) return gatherEvery<2>(dst, src, n);
  for (int64_t k = 0; k < n; ++k) dst[k] = src[k * S];
}
void scatterEvery(float* dst, const float* src, int64_t n, int64_t S, bool fresh) {
  if (S == 1) return scatterEvery<1>(dst, src, n, fresh);
  if (S == 2) return scatterEvery<2>(dst, src, n, fresh);
  for (int64_t k = 0; k < n; ++k) dst[k * S] = fresh ? src[k] : dst[k * S] + src[k];
}

// Equal strides S: whole planes in wide rows (planeTap), the bordered planes split into S x S phases.
// Bordered position (R, Q) (the image at (pt, pl)) is element (R / S, Q / S) of phase (R % S, Q % S), a
// plane of `rows` x Ws. Output (oh, ow) at tap (i, j) reads bordered (oh S + i, ow S + j): element
// (oh + i / S, ow + j / S) of phase (i % S, j % S), so a tap is the phase plane shifted by one offset.
void backwardPlanes(const DepthwiseShape& s, const float* x, const float* w, const float* gy, float* gw, float* gx,
                  bool gx_fresh, bool squared, int64_t c0, int64_t c1, DepthwiseScratch& scratch) {
  const int64_t S = s.sh;
  const int64_t Wp = std::max(s.pl + s.W, (s.OW - 1) * S + s.kw);
  const int64_t Ws = (Wp + S - 1) / S;
  // Phase rows the wide loop reaches: OH * Ws outputs from the last tap's offset, and the image's.
  const int64_t rows = std::max(s.OH + (s.kh - 1) / S + 1, (s.pt + s.H + S - 1) / S);
  const int64_t phase = rows * Ws;
  const int64_t taps = s.kh * s.kw, plane = s.H * s.W, oplane = s.OH * s.OW, n_wide = s.OH * Ws;
  scratch.x.assign(static_cast<size_t>(S * S * phase), 0.0f);  // borders stay zero: only the image is copied in
  scratch.gx.assign(static_cast<size_t>(S * S * phase), 0.0f);
  scratch.dy.assign(static_cast<size_t>(n_wide), 0.0f);  // past OW stays zero
  float* xb = scratch.x.data();
  float* gb = scratch.gx.data();
  float* dyw = scratch.dy.data();
  // Image row h, columns with bordered column % S == b: phase (R % S, b), from image column w0 in steps of S.
  auto at = [&](float* base, int64_t h, int64_t b, int64_t& w0) {
    const int64_t R = h + s.pt;
    w0 = ((b - s.pl) % S + S) % S;  // first image column whose bordered column has phase b
    return base + ((R % S) * S + b) * phase + (R / S) * Ws + (w0 + s.pl) / S;
  };
  std::vector<double> acc(static_cast<size_t>(taps));
  for (int64_t c = c0; c < c1; ++c) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t n = 0; n < s.N; ++n) {
      const float* xp = x + (n * s.C + c) * plane;
      const float* g = gy + (n * s.C + c) * oplane;
      if (gw)
        for (int64_t h = 0; h < s.H; ++h)
          for (int64_t b = 0; b < S; ++b) {
            int64_t w0;
            float* dst = at(xb, h, b, w0);
            const int64_t cnt = w0 < s.W ? (s.W - w0 + S - 1) / S : 0;
            gatherEvery(dst, xp + h * s.W + w0, cnt, S);
            if (squared)
              for (int64_t k = 0; k < cnt; ++k) dst[k] *= dst[k];
          }
      for (int64_t oh = 0; oh < s.OH; ++oh) std::copy(g + oh * s.OW, g + (oh + 1) * s.OW, dyw + oh * Ws);
      if (gx) std::fill(gb, gb + S * S * phase, 0.0f);
      for (int64_t i = 0; i < s.kh; ++i)
        for (int64_t j = 0; j < s.kw; ++j) {
          const int64_t k = i * s.kw + j, off = ((i % S) * S + j % S) * phase + (i / S) * Ws + j / S;
          const float wv = squared ? w[c * taps + k] * w[c * taps + k] : w[c * taps + k];
          acc[k] += planeTap(dyw, xb + off, gb + off, wv, n_wide);
        }
      if (!gx) continue;
      float* q = gx + (n * s.C + c) * plane;
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t b = 0; b < S; ++b) {
          int64_t w0;
          const float* src = at(gb, h, b, w0);
          const int64_t cnt = w0 < s.W ? (s.W - w0 + S - 1) / S : 0;
          scatterEvery(q + h * s.W + w0, src, cnt, S, gx_fresh);
        }
    }
    if (gw)
      for (int64_t k = 0; k < taps; ++k) gw[c * taps + k] += static_cast<float>(acc[k]);
  }
}

}  // namespace

void depthwiseBackward(const DepthwiseShape& s, const float* x, const float* w, const float* gy, float* gw, float* gx,
                       bool gx_fresh, bool squared, int64_t c0, int64_t c1, DepthwiseScratch& scratch) {
  DNNC_CHECK(s.sh == s.sw, "depthwiseBackward: unequal strides ", s.sh, " and ", s.sw);
  backwardPlanes(s, x, w, gy, gw, gx, gx_fresh, squared, c0, c1, scratch);
}

}  // namespace dnnc::train
