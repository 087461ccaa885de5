// The depthwise convolution's AVX2 path (conv_depthwise.h): 8 outputs of a row per ymm, masked loads and
// stores for a row's tail (stride 2 reads the deinterleaved planes of conv_depthwise_planes.h).
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
    __m256i lanes;  // valid outputs, and the samples each tap reads
    bool full;      // all 8: plain loads and stores
  };
  static Vector vector(int64_t x, int64_t y, int64_t n) { return {x, y, firstLanes(n), n == kLanes}; }
  static void deinterleave(const float* src, int64_t n, float* even, float* odd) {
    deinterleaveScalar(src, n, even, odd);
  }

  template <int U>
  static void tileOf(const float* xp, const int64_t* taps, const float* w, int64_t ntaps, const Vector* v, float* y,
                     float bias, bool relu) {
    __m256 acc[kInFlight];
    for (int u = 0; u < U; ++u) acc[u] = _mm256_set1_ps(bias);
    for (int64_t t = 0; t < ntaps; ++t) {
      const __m256 wv = _mm256_set1_ps(w[t]);
      const int64_t off = taps[t];
      for (int u = 0; u < U; ++u) {
        const float* src = xp + v[u].x + off;
        const __m256 in = v[u].full ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, v[u].lanes);
        acc[u] = _mm256_fmadd_ps(wv, in, acc[u]);
      }
    }
    const __m256 zero = _mm256_setzero_ps();
    for (int u = 0; u < U; ++u) {
      const __m256 out = relu ? _mm256_max_ps(acc[u], zero) : acc[u];
      if (v[u].full) _mm256_storeu_ps(y + v[u].y, out);
      else _mm256_maskstore_ps(y + v[u].y, v[u].lanes, out);
    }
  }

  using TileFn = void (*)(const float*, const int64_t*, const float*, int64_t, const Vector*, float*, float, bool);
  template <int... U>
  static constexpr std::array<TileFn, kInFlight + 1> table(std::integer_sequence<int, U...>) {
    return {nullptr, tileOf<U + 1>...};
  }
  static void tile(int64_t U, const float* xp, const int64_t* taps, const float* w, int64_t ntaps, const Vector* v,
                   float* y, float bias, bool relu) {
    static constexpr std::array<TileFn, kInFlight + 1> kTiles = table(std::make_integer_sequence<int, kInFlight>{});
    kTiles[U](xp, taps, w, ntaps, v, y, bias, relu);
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
