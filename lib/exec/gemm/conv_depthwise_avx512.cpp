// The depthwise convolution's AVX-512 path (conv_depthwise.h): 16 outputs of a row per zmm, masked
// loads and stores for a row's tail (stride 2 reads the deinterleaved planes of
// conv_depthwise_planes.h, so every tap is one load). Compiled for
// AVX-512 in a target region (see sgemm_avx2.cpp for why); conv_depthwise.cpp runs it only on CPUs with
// AVX-512 F/BW/DQ/VL.
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
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#endif

#include "lib/exec/gemm/conv_depthwise_planes.h"

namespace dnnc::gemm {
namespace {

inline __mmask16 firstLanes(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

struct Avx512Depthwise {
  static constexpr int64_t kLanes = 16;
  // Vectors per tile: independent FMA chains to cover the latency (4 cycles x 2 ports), so that a 7-wide
  // map (a vector per row) keeps the FMA units as busy as a 112-wide one.
  static constexpr int64_t kInFlight = 8;

  struct Vector {
    int64_t x, y;
    __mmask16 lanes;  // valid outputs, and the samples each tap reads
  };
  static Vector vector(int64_t x, int64_t y, int64_t n) { return {x, y, firstLanes(n)}; }

  // 32 samples at a time: two loads, two two-source permutes (the even lanes, the odd lanes), two stores.
  // On rows up to 56 wide, where the compiler's vectorisation of the plain loops (two passes of 8-lane
  // permutes) leaves most of a row to its scalar tails: MobileNetV2's stride-2 layers on 14- and 28-wide
  // maps 20-25 % faster. On a 112-wide map it is 15 % slower than those loops, which keep them.
  static void deinterleave(const float* src, int64_t n, float* even, float* odd) {
    if (n > 56) return deinterleaveScalar(src, n, even, odd);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32, src += 32, even += 16, odd += 16) {
      const __m512 lo = _mm512_loadu_ps(src), hi = _mm512_loadu_ps(src + 16);
      _mm512_storeu_ps(even, _mm512_permutex2var_ps(lo, evens, hi));
      _mm512_storeu_ps(odd, _mm512_permutex2var_ps(lo, odds, hi));
    }
    if (i < n) {  // the row's tail, masked
      const int64_t m = n - i;
      const __m512 lo = _mm512_maskz_loadu_ps(firstLanes(m), src);
      const __m512 hi = _mm512_maskz_loadu_ps(firstLanes(m - 16), src + 16);
      _mm512_mask_storeu_ps(even, firstLanes((m + 1) / 2), _mm512_permutex2var_ps(lo, evens, hi));
      _mm512_mask_storeu_ps(odd, firstLanes(m / 2), _mm512_permutex2var_ps(lo, odds, hi));
    }
  }

  template <int U>
  static void tileOf(const float* xp, const int64_t* taps, const float* w, int64_t ntaps, const Vector* v, float* y,
                     float bias, bool relu) {
    // Named accumulators, not an array: GCC kept an indexed array on the stack, a 64-byte store after
    // every FMA (as sgemm_avx512.cpp's micro-kernel found).
    const __m512 b = _mm512_set1_ps(bias);
    __m512 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    static_assert(kInFlight == 8);
#define DNNC_VECTOR(u) \
  if constexpr (U > u) a##u = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(v[u].lanes, xp + v[u].x + off), a##u);
    for (int64_t t = 0; t < ntaps; ++t) {
      const __m512 wv = _mm512_set1_ps(w[t]);
      const int64_t off = taps[t];
      DNNC_VECTOR(0) DNNC_VECTOR(1) DNNC_VECTOR(2) DNNC_VECTOR(3)
      DNNC_VECTOR(4) DNNC_VECTOR(5) DNNC_VECTOR(6) DNNC_VECTOR(7)
    }
#undef DNNC_VECTOR
    const __m512 acc[kInFlight] = {a0, a1, a2, a3, a4, a5, a6, a7};
    const __m512 zero = _mm512_setzero_ps();
    for (int u = 0; u < U; ++u)
      _mm512_mask_storeu_ps(y + v[u].y, v[u].lanes, relu ? _mm512_max_ps(acc[u], zero) : acc[u]);
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
DepthwiseFn depthwiseAvx512() { return depthwisePlanes<Avx512Depthwise>; }
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
