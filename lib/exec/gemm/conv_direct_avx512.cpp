// The direct convolution's AVX-512 path (conv_direct.h): a tile of 8 output positions x 32 channels
// (two of the packing's 16-lane blocks side by side, 16 zmm accumulators), per kernel tap and input
// channel 2 loads of weights, 8 broadcasts of input samples, 16 FMAs: twice the AVX2 tile's work per
// instruction, and the weights (streamed from L2 once per tile) read for 8 positions instead of 6
// (the residual CNN at batch 32: 12 % faster than 6 positions; 8 input pointers still fit the
// registers). A last odd block of 16 lanes runs one block wide. Compiled for AVX-512 in a target region
// (see sgemm_avx2.cpp for why); conv_direct.cpp runs it only on CPUs with AVX-512 F/BW/DQ/VL.
#include "lib/exec/gemm/conv_direct_backend.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#endif

namespace dnnc::gemm {
namespace {

constexpr int64_t kLanes = 2 * kDirectLanes;  // channels per tile
constexpr int64_t kPositions = 8;             // output positions per tile

// R (<= 8) output positions x 32 channels (Two) or 16 over the whole depth (C channels x taps), then
// bias, ReLU and a scatter of the lanes to their planes. wp: the first block's weights, the second's at
// + second; xb[i]: position i's window origin in the padded input; yb[i]: its output for the tile's
// first channel (channel j at + j * P); nv: valid channels.
template <int R, bool Two>
void tile(const float* __restrict wp, int64_t second, int64_t C, int64_t plane, const int32_t* taps, int64_t ntaps,
          const float* const* xb, float* const* yb, int64_t P, int64_t nv, const float* bias, bool relu,
          bool accumulate) {
  // Named accumulators and input pointers: GCC keeps indexed arrays on the stack.
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  const float* x0 = xb[0];
  const float* x1 = R > 1 ? xb[1] : x0;
  const float* x2 = R > 2 ? xb[2] : x0;
  const float* x3 = R > 3 ? xb[3] : x0;
  const float* x4 = R > 4 ? xb[4] : x0;
  const float* x5 = R > 5 ? xb[5] : x0;
  const float* x6 = R > 6 ? xb[6] : x0;
  const float* x7 = R > 7 ? xb[7] : x0;
#define DNNC_POS(r)                                          \
  if constexpr (R > r) {                                     \
    const __m512 xv = _mm512_set1_ps(x##r[off]);             \
    c##r##0 = _mm512_fmadd_ps(xv, w0, c##r##0);              \
    if constexpr (Two) c##r##1 = _mm512_fmadd_ps(xv, w1, c##r##1); \
  }
  for (int64_t c = 0; c < C; ++c) {
#pragma GCC unroll 3
    for (int64_t t = 0; t < ntaps; ++t, wp += kDirectLanes) {
      const int64_t off = taps[t];
      const __m512 w0 = _mm512_loadu_ps(wp);
      [[maybe_unused]] __m512 w1;
      if constexpr (Two) w1 = _mm512_loadu_ps(wp + second);
      DNNC_POS(0) DNNC_POS(1) DNNC_POS(2) DNNC_POS(3) DNNC_POS(4) DNNC_POS(5) DNNC_POS(6) DNNC_POS(7)
    }
    x0 += plane, x1 += plane, x2 += plane, x3 += plane, x4 += plane, x5 += plane, x6 += plane, x7 += plane;
  }
#undef DNNC_POS
  const __m512 acc0[kPositions] = {c00, c10, c20, c30, c40, c50, c60, c70};
  const __m512 acc1[kPositions] = {c01, c11, c21, c31, c41, c51, c61, c71};
  const __m512 zero = _mm512_setzero_ps();
  const __m512 b0 = _mm512_loadu_ps(bias), b1 = Two ? _mm512_loadu_ps(bias + kDirectLanes) : zero;
  alignas(64) float lanes[kLanes];
  for (int r = 0; r < R; ++r) {
    __m512 v0 = _mm512_add_ps(acc0[r], b0), v1 = _mm512_add_ps(acc1[r], b1);
    if (relu) {
      v0 = _mm512_max_ps(v0, zero);
      v1 = _mm512_max_ps(v1, zero);
    }
    _mm512_store_ps(lanes, v0);
    if constexpr (Two) _mm512_store_ps(lanes + kDirectLanes, v1);
    float* out = yb[r];
    if (accumulate)
      for (int64_t j = 0; j < nv; ++j) out[j * P] += lanes[j];
    else
      for (int64_t j = 0; j < nv; ++j) out[j * P] = lanes[j];
  }
}

using TileFn = void (*)(const float*, int64_t, int64_t, int64_t, const int32_t*, int64_t, const float* const*,
                        float* const*, int64_t, int64_t, const float*, bool, bool);
constexpr TileFn kTile[2][kPositions + 1] = {
    {nullptr, tile<1, false>, tile<2, false>, tile<3, false>, tile<4, false>, tile<5, false>, tile<6, false>,
     tile<7, false>, tile<8, false>},
    {nullptr, tile<1, true>, tile<2, true>, tile<3, true>, tile<4, true>, tile<5, true>, tile<6, true>, tile<7, true>,
     tile<8, true>}};

void run(const detail::DirectConvCall& call) {
  const DirectConvGeometry& g = *call.g;
  const int64_t ntaps = static_cast<int64_t>(g.taps.size()), plane = g.Hp * g.Wp;
  const int64_t second = call.w->depth() * kDirectLanes;  // from one block's weights to the next one's
  // The bias of a tile in 32 lanes (zero past M), so the tile loads it whole.
  alignas(64) float tile_bias[kLanes];
  const float* xb[kPositions];
  float* yb[kPositions];
  for (int64_t mb = call.m0; mb < call.m1; mb += kLanes) {
    const int64_t nv = std::min(kLanes, call.m1 - mb);
    for (int64_t j = 0; j < kLanes; ++j) tile_bias[j] = call.bias && j < nv ? call.bias[mb + j] : 0.0f;
    const float* wp = call.w->block(mb / kDirectLanes);
    float* ym = call.y + mb * call.P;
    const bool two = nv > kDirectLanes;
    for (int64_t p = 0; p < call.n; p += kPositions) {
      const int64_t R = std::min(kPositions, call.n - p);
      for (int64_t r = 0; r < R; ++r) {
        xb[r] = call.x + call.xoff[p + r];
        yb[r] = ym + call.yoff[p + r];
      }
      kTile[two][R](wp, second, g.C, plane, g.taps.data(), ntaps, xb, yb, call.P, nv, tile_bias, call.relu,
                    call.accumulate);
    }
  }
}

}  // namespace

namespace detail {
DirectConvFn directConvAvx512() { return run; }
}  // namespace detail
}  // namespace dnnc::gemm

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86

namespace dnnc::gemm::detail {
DirectConvFn directConvAvx512() { return nullptr; }
}  // namespace dnnc::gemm::detail

#endif
