// The depthwise convolution's AVX-512 kernel (conv_depthwise.h). Compiled for AVX-512 in a target region
// (see sgemm_avx2.cpp for why); conv_depthwise.cpp runs it only on CPUs with AVX-512 F/BW/DQ/VL.
#include "lib/exec/gemm/conv_depthwise_backend.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "lib/exec/gemm/conv_direct.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#endif

namespace dnnc::gemm {
namespace {

constexpr int64_t kLanes = 16;
constexpr int kInFlight = 4;  // output vectors per tile: FMA latency 4 x 2 ports wants 8, 4 x 9 taps suffice

// One output vector of a plane: up to 16 consecutive outputs of a row.
struct Vector {
  int64_t x;   // where its first window starts in the padded plane
  int64_t y;   // its first output in the output plane
  __mmask16 store, lo, hi;  // valid outputs; input lanes of the first and second load (stride 2)
};

inline __mmask16 firstLanes(int64_t n) {
  return n >= kLanes ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

// U (<= kInFlight) output vectors of one channel over its kh x kw taps. SW: horizontal stride (1 or 2).
template <int U, int SW>
void tile(const float* xp, int64_t Wp, const float* w, int64_t kh, int64_t kw, const Vector* v, float* y, __m512 bias,
          bool relu) {
  __m512 acc[kInFlight];
  for (int u = 0; u < U; ++u) acc[u] = bias;
  // The lanes of the stride-2 shuffle: the even samples of 32 consecutive ones.
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j) {
      const __m512 wv = _mm512_set1_ps(w[i * kw + j]);
      const int64_t off = i * Wp + j;
      for (int u = 0; u < U; ++u) {
        const float* src = xp + v[u].x + off;
        __m512 in;
        if constexpr (SW == 1) {
          in = _mm512_maskz_loadu_ps(v[u].lo, src);
        } else {
          in = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(v[u].lo, src), even,
                                      _mm512_maskz_loadu_ps(v[u].hi, src + kLanes));
        }
        acc[u] = _mm512_fmadd_ps(wv, in, acc[u]);
      }
    }
  const __m512 zero = _mm512_setzero_ps();
  for (int u = 0; u < U; ++u) _mm512_mask_storeu_ps(y + v[u].y, v[u].store, relu ? _mm512_max_ps(acc[u], zero) : acc[u]);
}

template <int SW>
using TileFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, const Vector*, float*, __m512, bool);
template <int SW>
constexpr TileFn<SW> kTile[kInFlight + 1] = {nullptr, tile<1, SW>, tile<2, SW>, tile<3, SW>, tile<4, SW>};

void run(const DepthwiseGeometry& g, const float* x, const float* w, const float* scale, const float* bias, bool relu,
         int64_t c0, int64_t c1, float* y, float* scratch) {
  // The output vectors of a plane, the same for every channel.
  thread_local std::vector<Vector> vectors;
  vectors.clear();
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ow += kLanes) {
      const int64_t n = std::min(kLanes, g.OW - ow);
      // Input samples a vector reads per tap: n (stride 1) or 2n - 1 (stride 2), never past its row's end.
      const int64_t span = g.sw == 1 ? n : 2 * n - 1;
      vectors.push_back({oh * g.sh * g.Wp + ow * g.sw, oh * g.OW + ow, firstLanes(n), firstLanes(span),
                         firstLanes(span - kLanes)});
    }
  const int64_t count = static_cast<int64_t>(vectors.size()), taps = g.kh * g.kw;
  std::vector<float> scaled(static_cast<size_t>(taps));
  for (int64_t c = c0; c < c1; ++c) {
    // A folded BatchNormalization's scale goes into the channel's weights.
    const float* wc = w + c * taps;
    if (scale) {
      for (int64_t t = 0; t < taps; ++t) scaled[t] = wc[t] * scale[c];
      wc = scaled.data();
    }
    copyIntoBordered(x + c * g.H * g.W, 1, g.H, g.W, g.pt, g.pl, g.Hp, g.Wp, scratch);
    const __m512 b = _mm512_set1_ps(bias ? bias[c] : 0.0f);
    float* yc = y + c * g.OH * g.OW;
    for (int64_t p = 0; p < count; p += kInFlight) {
      const int64_t U = std::min<int64_t>(kInFlight, count - p);
      if (g.sw == 1) kTile<1>[U](scratch, g.Wp, wc, g.kh, g.kw, vectors.data() + p, yc, b, relu);
      else kTile<2>[U](scratch, g.Wp, wc, g.kh, g.kw, vectors.data() + p, yc, b, relu);
    }
  }
}

}  // namespace

namespace detail {
DepthwiseFn depthwiseAvx512() { return run; }
}  // namespace detail
}  // namespace dnnc::gemm

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86

namespace dnnc::gemm::detail {
DepthwiseFn depthwiseAvx512() { return nullptr; }
}  // namespace dnnc::gemm::detail

#endif
