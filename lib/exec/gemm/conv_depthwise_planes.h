// The depthwise convolution's loop over channels and output vectors (conv_depthwise.h), shared by the
// instruction-set paths (conv_depthwise_avx2.cpp, conv_depthwise_avx512.cpp), which supply the vector
// width and the tile. Include it only inside a path's target region, like sgemm_blocked.h (and for the
// same reason: templates and internal linkage only).
//
// A kernel type Kern supplies:
//   kLanes, kInFlight   outputs per vector, vectors per tile;
//   Vector, vector(x, y, n)
//                       one output vector: its first window in the padded plane (x), its first output
//                       (y), n valid outputs, each tap reading n consecutive samples;
//   tile(U, xp, taps, w, ntaps, v, y, bias, relu)
//                       U (<= kInFlight) vectors of one channel: per tap t, the FMA of the broadcast w[t]
//                       and the n samples at xp + v.x + taps[t];
//   deinterleave(src, n, even, odd)
//                       src[0], src[2], ... to even[0, 1, ...] and src[1], src[3], ... to odd[...] (n
//                       samples; deinterleaveScalar's loops, or vector permutes).
//
// At horizontal stride 2 the padded plane is stored as two planes, its even columns then its odd ones
// (deinterleaved as it is copied, no extra pass): a tap's samples for 16
// consecutive outputs are then 16 consecutive floats of one of them, where the interleaved plane needed
// two loads and a lane shuffle per tap (EfficientNet's stride-2 layers had run at half ORT's speed).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "lib/exec/gemm/conv_depthwise.h"
#include "lib/exec/gemm/conv_direct.h"

namespace dnnc::gemm {
namespace {

// src[0], src[2], ... to even and src[1], src[3], ... to odd (n samples), one at a time.
inline void deinterleaveScalar(const float* src, int64_t n, float* even, float* odd) {
  for (int64_t k = 0; 2 * k < n; ++k) even[k] = src[2 * k];
  for (int64_t k = 0; 2 * k + 1 < n; ++k) odd[k] = src[2 * k + 1];
}

// Row ih of a plane into the deinterleaved padded planes (stride 2): padded column q = pl + iw goes to
// plane q % 2 at q / 2.
template <class Kern>
void copyRowDeinterleaved(const float* src, int64_t W, int64_t pl, float* even, float* odd) {
  float* first = pl % 2 == 0 ? even : odd;   // where input column 0 lands
  float* second = pl % 2 == 0 ? odd : even;  // and column 1
  Kern::deinterleave(src, W, first + pl / 2, second + (pl + 1) / 2);
}

template <class Kern>
void depthwisePlanes(const DepthwiseGeometry& g, const float* x, const float* w, const float* scale, const float* bias,
                     bool relu, int64_t c0, int64_t c1, float* y, float* scratch) {
  const bool split = g.sw == 2;
  const int64_t row = split ? (g.Wp + 1) / 2 : g.Wp;  // floats per row of the (each) padded plane
  const int64_t odd = g.Hp * row;                     // the odd plane, after the even one (stride 2)
  // (Output column ow's first sample is padded column ow at stride 1, and even column 2 ow, element ow of
  // the even plane, at stride 2: either way element ow of its row.)
  // The output vectors of a plane, and each tap's offset from a vector's first window: the same for
  // every channel.
  thread_local std::vector<typename Kern::Vector> vectors;
  vectors.clear();
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ow += Kern::kLanes)
      vectors.push_back(Kern::vector(oh * g.sh * row + ow, oh * g.OW + ow, std::min<int64_t>(Kern::kLanes, g.OW - ow)));
  const int64_t count = static_cast<int64_t>(vectors.size()), taps = g.kh * g.kw;
  thread_local std::vector<int64_t> offsets;
  offsets.resize(static_cast<size_t>(taps));
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j) offsets[i * g.kw + j] = i * row + (split ? j / 2 + (j % 2) * odd : j);
  thread_local std::vector<float> scaled;
  scaled.resize(static_cast<size_t>(taps));
  for (int64_t c = c0; c < c1; ++c) {
    // A folded BatchNormalization's scale goes into the channel's weights.
    const float* wc = w + c * taps;
    if (scale) {
      for (int64_t t = 0; t < taps; ++t) scaled[t] = wc[t] * scale[c];
      wc = scaled.data();
    }
    const float* xc = x + c * g.H * g.W;
    if (split)
      for (int64_t ih = 0; ih < g.H; ++ih)
        copyRowDeinterleaved<Kern>(xc + ih * g.W, g.W, g.pl, scratch + (ih + g.pt) * row,
                                   scratch + odd + (ih + g.pt) * row);
    else
      copyIntoBordered(xc, 1, g.H, g.W, g.pt, g.pl, g.Hp, g.Wp, scratch);
    float* yc = y + c * g.OH * g.OW;
    for (int64_t p = 0; p < count; p += Kern::kInFlight)
      Kern::tile(std::min<int64_t>(Kern::kInFlight, count - p), scratch, offsets.data(), wc, taps, vectors.data() + p,
                 yc, bias ? bias[c] : 0.0f, relu);
  }
}

}  // namespace
}  // namespace dnnc::gemm
