// The depthwise convolution's AVX2 path (conv_depthwise.h): 8 outputs of a row per ymm, masked loads and
// stores for a row's tail, stride 2 by a shuffle and a 64-bit permute (the even samples of two loads).
// Compiled for AVX2/FMA in a target region (see sgemm_avx2.cpp for why); conv_depthwise.cpp runs it only
// on CPUs that have both.
#include "lib/exec/gemm/conv_depthwise_backend.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "lib/exec/gemm/conv_depthwise.h"
#include "lib/exec/gemm/conv_direct.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "lib/exec/gemm/conv_depthwise_planes.h"

namespace dnnc::gemm {
namespace {

alignas(32) const int32_t kMaskSource[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i firstLanes(int64_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskSource + 8 - std::clamp<int64_t>(n, 0, 8)));
}

struct Avx2Depthwise {
  static constexpr int64_t kLanes = 8;
  // Vectors per tile: independent FMA chains to cover the latency (4-5 cycles x 2 ports).
  static constexpr int64_t kInFlight = 8;

  struct Vector {
    int64_t x, y;
    __m256i store, lo, hi;  // valid outputs; input lanes of the first and second load (stride 2)
    bool full;              // all 8 outputs valid and, at stride 1, all 8 inputs: plain loads and stores
  };
  static Vector vector(int64_t x, int64_t y, int64_t n, int64_t span) {
    return {x, y, firstLanes(n), firstLanes(span), firstLanes(span - kLanes), n == kLanes};
  }

  template <int U, int SW>
  static void tileOf(const float* xp, int64_t Wp, const float* w, int64_t kh, int64_t kw, const Vector* v, float* y,
                     float bias, bool relu) {
    __m256 acc[kInFlight];
    for (int u = 0; u < U; ++u) acc[u] = _mm256_set1_ps(bias);
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        const __m256 wv = _mm256_set1_ps(w[i * kw + j]);
        const int64_t off = i * Wp + j;
        for (int u = 0; u < U; ++u) {
          const float* src = xp + v[u].x + off;
          __m256 in;
          if constexpr (SW == 1) {
            in = v[u].full ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, v[u].lo);
          } else {
            // [a0 a2 b0 b2 | a4 a6 b4 b6], then 64-bit pairs 0, 2, 1, 3: a0 a2 a4 a6 b0 b2 b4 b6.
            const __m256 t = _mm256_shuffle_ps(_mm256_maskload_ps(src, v[u].lo), _mm256_maskload_ps(src + 8, v[u].hi),
                                               _MM_SHUFFLE(2, 0, 2, 0));
            in = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
          }
          acc[u] = _mm256_fmadd_ps(wv, in, acc[u]);
        }
      }
    const __m256 zero = _mm256_setzero_ps();
    for (int u = 0; u < U; ++u) {
      const __m256 out = relu ? _mm256_max_ps(acc[u], zero) : acc[u];
      if (v[u].full) _mm256_storeu_ps(y + v[u].y, out);
      else _mm256_maskstore_ps(y + v[u].y, v[u].store, out);
    }
  }

  using TileFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, const Vector*, float*, float, bool);
  template <int SW, int... U>
  static constexpr std::array<TileFn, kInFlight + 1> table(std::integer_sequence<int, U...>) {
    return {nullptr, tileOf<U + 1, SW>...};
  }
  static void tile(int64_t U, int64_t sw, const float* xp, int64_t Wp, const float* w, int64_t kh, int64_t kw,
                   const Vector* v, float* y, float bias, bool relu) {
    static constexpr std::array<TileFn, kInFlight + 1> kStride1 = table<1>(std::make_integer_sequence<int, kInFlight>{});
    static constexpr std::array<TileFn, kInFlight + 1> kStride2 = table<2>(std::make_integer_sequence<int, kInFlight>{});
    (sw == 1 ? kStride1 : kStride2)[U](xp, Wp, w, kh, kw, v, y, bias, relu);
  }
};

}  // namespace

namespace detail {
DepthwiseFn depthwiseAvx2() { return depthwisePlanes<Avx2Depthwise>; }
}  // namespace detail
}  // namespace dnnc::gemm

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86

namespace dnnc::gemm::detail {
DepthwiseFn depthwiseAvx2() { return nullptr; }
}  // namespace dnnc::gemm::detail

#endif
