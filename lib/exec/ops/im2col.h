// im2col for one image and one group, over a range of output positions: row r = ((c*kd + a)*kh + b)*kw + e
// holds the input sample that kernel tap (a, b, e) of channel c sees at each output position j in
// [j0, j1) (flat over od, oh, ow); padding reads as 0. col is rows x (j1 - j0), row-major, with rows
// ld floats apart (default j1 - j0; wider when several images share one column matrix).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/exec/ops/window.h"

namespace dnnc::ops {

// 2-D windows over whole output rows [oh0, oh1): a kernel tap's valid output columns [lo, hi) are the same
// in every row, so each row of a tap is a zero head, a (strided) copy and a zero tail, with no per-run
// bookkeeping (the general loop below spends more on that than on copying for maps under ~16 wide).
inline void im2colRows2d(const float* x, int64_t channels, const Window3& w, int64_t oh0, int64_t oh1, float* col,
                         int64_t ld) {
  const int64_t H = w.in[1], W = w.in[2], OW = w.out[2], sh = w.s[1], sw = w.s[2];
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * H * W;
    for (int64_t b = 0; b < w.k[1]; ++b)
      for (int64_t e = 0; e < w.k[2]; ++e, ++row) {
        const int64_t first = e * w.dil[2] - w.pad_begin[2];  // input column of output column 0
        const int64_t lo = std::min(first >= 0 ? 0 : (-first + sw - 1) / sw, OW);
        const int64_t hi = std::clamp(first >= W ? 0 : (W - first + sw - 1) / sw, lo, OW);
        float* d = col + row * ld;
        for (int64_t oh = oh0; oh < oh1; ++oh, d += OW) {
          const int64_t ih = oh * sh - w.pad_begin[1] + b * w.dil[1];
          if (ih < 0 || ih >= H) {
            std::fill(d, d + OW, 0.0f);
            continue;
          }
          const float* src = xc + ih * W + first;
          std::fill(d, d + lo, 0.0f);
          if (sw == 1) {
            std::memcpy(d + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(float));
          } else if (sw == 2) {
            for (int64_t t = lo; t < hi; ++t) d[t] = src[2 * t];
          } else {
            for (int64_t t = lo; t < hi; ++t) d[t] = src[t * sw];
          }
          std::fill(d + hi, d + OW, 0.0f);
        }
      }
  }
}

// 2-D windows on narrow maps (rows too short for the row copies above to pay): each channel is copied
// into a zero-bordered plane, and per kernel tap a table holds the padded-plane offset each output
// position reads (built once, used for every channel), so the copy is one branch-free gather per tap and
// channel (a select on padding mispredicted at every map border).
inline void im2colGather2d(const float* x, int64_t channels, const Window3& w, int64_t j0, int64_t j1, float* col,
                           int64_t ld) {
  const int64_t H = w.in[1], W = w.in[2], OW = w.out[2], taps = w.k[1] * w.k[2], n = j1 - j0;
  const int64_t pt = w.pad_begin[1], pl = w.pad_begin[2];
  const int64_t Hp = H + pt + w.pad_end[1], Wp = W + pl + w.pad_end[2];
  thread_local std::vector<int32_t> table;
  thread_local std::vector<float> plane;
  table.resize(static_cast<size_t>(taps * n));
  plane.assign(static_cast<size_t>(Hp * Wp), 0.0f);
  for (int64_t b = 0; b < w.k[1]; ++b)
    for (int64_t e = 0; e < w.k[2]; ++e) {
      int32_t* t = table.data() + (b * w.k[2] + e) * n;
      for (int64_t j = j0; j < j1; ++j)  // a conv's windows stay inside the padded plane
        t[j - j0] = static_cast<int32_t>(((j / OW) * w.s[1] + b * w.dil[1]) * Wp + (j % OW) * w.s[2] + e * w.dil[2]);
    }
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * H * W;
    for (int64_t h = 0; h < H; ++h) std::memcpy(plane.data() + (h + pt) * Wp + pl, xc + h * W, W * sizeof(float));
    const float* xp = plane.data();
    for (int64_t k = 0; k < taps; ++k) {
      const int32_t* t = table.data() + k * n;
      float* d = col + (c * taps + k) * ld;
      for (int64_t j = 0; j < n; ++j) d[j] = xp[t[j]];
    }
  }
}

inline void im2col(const float* x, int64_t channels, const Window3& w, int64_t j0, int64_t j1, float* col,
                   int64_t ld = 0) {
  const int64_t cb = ld > 0 ? ld : j1 - j0;
  const bool flat = w.k[0] == 1 && w.out[0] == 1 && w.in[0] == 1;
  if (flat && w.out[2] < 16 && (w.in[1] + w.pad_begin[1] + w.pad_end[1]) * (w.in[2] + w.pad_begin[2] + w.pad_end[2]) < (int64_t{1} << 31))
    return im2colGather2d(x, channels, w, j0, j1, col, cb);
  if (flat && j0 % w.out[2] == 0 && j1 % w.out[2] == 0)
    return im2colRows2d(x, channels, w, j0 / w.out[2], j1 / w.out[2], col, cb);
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
