// The direct convolution's AVX2 path (conv_direct.h): a tile of 6 output positions x 16 channels
// (12 ymm accumulators), and the copy into zero-bordered planes. Compiled for AVX2/FMA in a target
// region (see sgemm_avx2.cpp for why); conv_direct.cpp runs it only on CPUs that have both.
#include "lib/exec/gemm/conv_direct_backend.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace dnnc::gemm {
namespace {

alignas(32) const int32_t kMaskSource[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i firstLanes(int64_t n) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskSource + 8 - n)); }

// R (<= 6) output positions x 16 channels over the whole depth (C channels x taps), then bias, ReLU and
// a scatter of the lanes to their planes. xb[i]: position i's window origin in the padded input;
// yb[i]: its output for the block's first channel (channel j at + j * P); nv: valid channels.
template <int R>
void tile(const float* __restrict wp, int64_t C, int64_t plane, const int32_t* taps, int64_t ntaps,
          const float* const* xb, float* const* yb, int64_t P, int64_t nv, const float* bias, bool relu, bool accumulate) {
  // Named accumulators and input pointers: GCC keeps indexed arrays on the stack.
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float* x0 = xb[0];
  const float* x1 = R > 1 ? xb[1] : x0;
  const float* x2 = R > 2 ? xb[2] : x0;
  const float* x3 = R > 3 ? xb[3] : x0;
  const float* x4 = R > 4 ? xb[4] : x0;
  const float* x5 = R > 5 ? xb[5] : x0;
#define DNNC_POS(r)                                          \
  if constexpr (R > r) {                                     \
    const __m256 xv = _mm256_broadcast_ss(x##r + off);       \
    c##r##0 = _mm256_fmadd_ps(xv, w0, c##r##0);              \
    c##r##1 = _mm256_fmadd_ps(xv, w1, c##r##1);              \
  }
  for (int64_t c = 0; c < C; ++c) {
#pragma GCC unroll 3
    for (int64_t t = 0; t < ntaps; ++t, wp += kDirectLanes) {
      const int64_t off = taps[t];
      const __m256 w0 = _mm256_load_ps(wp), w1 = _mm256_load_ps(wp + 8);
      DNNC_POS(0) DNNC_POS(1) DNNC_POS(2) DNNC_POS(3) DNNC_POS(4) DNNC_POS(5)
    }
    x0 += plane, x1 += plane, x2 += plane, x3 += plane, x4 += plane, x5 += plane;
  }
#undef DNNC_POS
  const __m256 acc0[kDirectTile] = {c00, c10, c20, c30, c40, c50};
  const __m256 acc1[kDirectTile] = {c01, c11, c21, c31, c41, c51};
  const __m256 zero = _mm256_setzero_ps();
  const __m256 b0 = bias ? _mm256_loadu_ps(bias) : zero, b1 = bias ? _mm256_loadu_ps(bias + 8) : zero;
  alignas(32) float lanes[kDirectLanes];
  for (int r = 0; r < R; ++r) {
    __m256 v0 = _mm256_add_ps(acc0[r], b0), v1 = _mm256_add_ps(acc1[r], b1);
    if (relu) {
      v0 = _mm256_max_ps(v0, zero);
      v1 = _mm256_max_ps(v1, zero);
    }
    _mm256_store_ps(lanes, v0);
    _mm256_store_ps(lanes + 8, v1);
    float* out = yb[r];
    if (accumulate)
      for (int64_t j = 0; j < nv; ++j) out[j * P] += lanes[j];
    else
      for (int64_t j = 0; j < nv; ++j) out[j * P] = lanes[j];
  }
}

using TileFn = void (*)(const float*, int64_t, int64_t, const int32_t*, int64_t, const float* const*, float* const*,
                        int64_t, int64_t, const float*, bool, bool);
constexpr TileFn kTile[kDirectTile + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

// Rows of a few floats (7 to 30 on the maps this serves): whole vectors and a tail loaded masked and
// stored whole, its lanes past W as zeros (AMD's masked stores cost about as much as memcpy's call per
// row, 5 % of the residual CNN). The zeros land in the right border, the next row's left border or its
// interior, written after; past the last row they need 8 floats of slack (kBorderedSlack).
void copyIntoBorderedVec(const float* src, int64_t planes, int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t Hp,
                      int64_t Wp, float* dst) {
  const int64_t full = W / 8 * 8;
  const __m256i tail = firstLanes(W - full);
  for (int64_t c = 0; c < planes; ++c)
    for (int64_t h = 0; h < H; ++h, src += W) {
      float* row = dst + (c * Hp + h + pt) * Wp + pl;
      for (int64_t i = 0; i < full; i += 8) _mm256_storeu_ps(row + i, _mm256_loadu_ps(src + i));
      if (full < W) _mm256_storeu_ps(row + full, _mm256_maskload_ps(src + full, tail));
    }
}

void run(const detail::DirectConvCall& call) {
  const DirectConvGeometry& g = *call.g;
  const int64_t ntaps = static_cast<int64_t>(g.taps.size()), plane = g.Hp * g.Wp;
  // The bias of a block in 16 lanes (zero past M), so the tile loads it whole.
  alignas(32) float block_bias[kDirectLanes];
  const float* xb[kDirectTile];
  float* yb[kDirectTile];
  for (int64_t mb = call.m0; mb < call.m1; mb += kDirectLanes) {
    const int64_t nv = std::min(kDirectLanes, call.m1 - mb);
    for (int64_t j = 0; j < kDirectLanes; ++j) block_bias[j] = call.bias && j < nv ? call.bias[mb + j] : 0.0f;
    const float* wp = call.w->block(mb / kDirectLanes);
    float* ym = call.y + mb * call.P;
    for (int64_t p = 0; p < call.n; p += kDirectTile) {
      const int64_t R = std::min(kDirectTile, call.n - p);
      for (int64_t r = 0; r < R; ++r) {
        xb[r] = call.x + call.xoff[p + r];
        yb[r] = ym + call.yoff[p + r];
      }
      kTile[R](wp, g.C, plane, g.taps.data(), ntaps, xb, yb, call.P, nv, block_bias, call.relu, call.accumulate);
    }
  }
}

}  // namespace

namespace detail {
DirectConvFn directConvAvx2() { return run; }
CopyIntoBorderedFn copyIntoBorderedAvx2() { return copyIntoBorderedVec; }
}  // namespace detail
}  // namespace dnnc::gemm

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86

namespace dnnc::gemm::detail {
DirectConvFn directConvAvx2() { return nullptr; }
CopyIntoBorderedFn copyIntoBorderedAvx2() { return nullptr; }
}  // namespace dnnc::gemm::detail

#endif
