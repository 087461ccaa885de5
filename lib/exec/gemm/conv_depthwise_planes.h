// The depthwise convolution's loop over channels and output vectors (conv_depthwise.h), shared by the
// instruction-set paths (conv_depthwise_avx2.cpp, conv_depthwise_avx512.cpp), which supply the vector
// width and the tile. Include it only inside a path's target region, like sgemm_blocked.h (and for the
// same reason: templates and internal linkage only).
//
// A kernel type Kern supplies:
//   kLanes, kInFlight   outputs per vector, vectors per tile;
//   Vector, vector(x, y, n, span)
//                       one output vector: its first window in the padded plane (x), its first output
//                       (y), n valid outputs reading `span` input samples per tap;
//   tile(U, sw, xp, Wp, w, kh, kw, v, y, bias, relu)
//                       U (<= kInFlight) vectors of one channel at horizontal stride sw (1 or 2).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "lib/exec/gemm/conv_depthwise.h"
#include "lib/exec/gemm/conv_direct.h"

namespace dnnc::gemm {
namespace {

template <class Kern>
void depthwisePlanes(const DepthwiseGeometry& g, const float* x, const float* w, const float* scale, const float* bias,
                     bool relu, int64_t c0, int64_t c1, float* y, float* scratch) {
  // The output vectors of a plane, the same for every channel.
  thread_local std::vector<typename Kern::Vector> vectors;
  vectors.clear();
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ow += Kern::kLanes) {
      const int64_t n = std::min<int64_t>(Kern::kLanes, g.OW - ow);
      // Input samples a vector reads per tap: n (stride 1) or 2n - 1 (stride 2), never past its row's end.
      const int64_t span = g.sw == 1 ? n : 2 * n - 1;
      vectors.push_back(Kern::vector(oh * g.sh * g.Wp + ow * g.sw, oh * g.OW + ow, n, span));
    }
  const int64_t count = static_cast<int64_t>(vectors.size()), taps = g.kh * g.kw;
  thread_local std::vector<float> scaled;
  scaled.resize(static_cast<size_t>(taps));
  for (int64_t c = c0; c < c1; ++c) {
    // A folded BatchNormalization's scale goes into the channel's weights.
    const float* wc = w + c * taps;
    if (scale) {
      for (int64_t t = 0; t < taps; ++t) scaled[t] = wc[t] * scale[c];
      wc = scaled.data();
    }
    copyIntoBordered(x + c * g.H * g.W, 1, g.H, g.W, g.pt, g.pl, g.Hp, g.Wp, scratch);
    float* yc = y + c * g.OH * g.OW;
    for (int64_t p = 0; p < count; p += Kern::kInFlight)
      Kern::tile(std::min<int64_t>(Kern::kInFlight, count - p), g.sw, scratch, g.Wp, wc, g.kh, g.kw, vectors.data() + p,
                 yc, bias ? bias[c] : 0.0f, relu);
  }
}

}  // namespace
}  // namespace dnnc::gemm
