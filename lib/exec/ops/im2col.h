// im2col for one image and one group, over a range of output positions: row r = ((c*kd + a)*kh + b)*kw + e
// holds the input sample that kernel tap (a, b, e) of channel c sees at each output position j in
// [j0, j1) (flat over od, oh, ow); padding reads as 0. col is rows x (j1 - j0), row-major.
#pragma once
#include <algorithm>
#include <cstring>

#include "lib/exec/ops/window.h"

namespace dnnc::ops {

inline void im2col(const float* x, int64_t channels, const Window3& w, int64_t j0, int64_t j1, float* col) {
  const int64_t cb = j1 - j0;
  const int64_t OW = w.out[2], OH = w.out[1];
  const int64_t D = w.in[0], H = w.in[1], W = w.in[2];
  const int64_t sw = w.s[2];
  // Per kernel column e: the output columns [lo, hi) whose input column ow*sw + e*dw - pad is inside.
  int64_t lo_e[64], hi_e[64];
  std::vector<int64_t> lo_v, hi_v;
  int64_t* lo = lo_e;
  int64_t* hi = hi_e;
  if (w.k[2] > 64) {
    lo_v.resize(w.k[2]);
    hi_v.resize(w.k[2]);
    lo = lo_v.data();
    hi = hi_v.data();
  }
  for (int64_t e = 0; e < w.k[2]; ++e) {
    const int64_t first = e * w.dil[2] - w.pad_begin[2];  // input column of output column 0
    lo[e] = first >= 0 ? 0 : (-first + sw - 1) / sw;
    hi[e] = first >= W ? 0 : (W - first + sw - 1) / sw;
    lo[e] = std::min(lo[e], OW);
    hi[e] = std::clamp(hi[e], lo[e], OW);
  }
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * D * H * W;
    for (int64_t a = 0; a < w.k[0]; ++a)
      for (int64_t b = 0; b < w.k[1]; ++b)
        for (int64_t e = 0; e < w.k[2]; ++e, ++row) {
          float* dst = col + row * cb;
          int64_t ow = j0 % OW, oh = (j0 / OW) % OH, od = j0 / (OW * OH);
          int64_t j = j0;
          const int64_t first = e * w.dil[2] - w.pad_begin[2];
          while (j < j1) {
            const int64_t run = std::min(OW - ow, j1 - j);
            const int64_t id = od * w.s[0] - w.pad_begin[0] + a * w.dil[0];
            const int64_t ih = oh * w.s[1] - w.pad_begin[1] + b * w.dil[1];
            if (id < 0 || id >= D || ih < 0 || ih >= H) {
              for (int64_t t = 0; t < run; ++t) dst[t] = 0.0f;
            } else {
              // Output columns ow + t, t in [0, run): valid for t in [tl, th).
              const int64_t tl = std::clamp(lo[e] - ow, int64_t{0}, run);
              const int64_t th = std::clamp(hi[e] - ow, tl, run);
              const float* src = xc + (id * H + ih) * W + first + ow * sw;
              for (int64_t t = 0; t < tl; ++t) dst[t] = 0.0f;
              if (sw == 1) {
                for (int64_t t = tl; t < th; ++t) dst[t] = src[t];
              } else {
                for (int64_t t = tl; t < th; ++t) dst[t] = src[t * sw];
              }
              for (int64_t t = th; t < run; ++t) dst[t] = 0.0f;
            }
            dst += run;
            j += run;
            ow = 0;
            if (++oh == OH) {
              oh = 0;
              ++od;
            }
          }
        }
  }
}

}  // namespace dnnc::ops
