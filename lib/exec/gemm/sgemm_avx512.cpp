// The GEMM's AVX-512 path: a 12x32 micro-kernel (24 zmm accumulators) in the blocked driver of
// sgemm_blocked.h. Per step of depth it loads 32 floats of B (2 loads), broadcasts 12 of A and issues
// 24 FMAs: twice the AVX2 kernel's work per instruction, and enough independent accumulators to cover
// the FMA latency on two 512-bit ports (4 cycles x 2 ports = 8 in flight). Tails use mask registers,
// which never touch memory past the valid columns, so B's rows can be read in place up to their end.
// Compiled for AVX-512 in a target region (see sgemm_avx2.cpp for why not a file-wide flag); sgemm.cpp
// runs it only on CPUs with AVX-512 F/BW/DQ/VL.
#include "lib/exec/gemm/sgemm_backend.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "lib/exec/gemm/sgemm.h"
#include "lib/support/check.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#endif

#include "lib/exec/gemm/sgemm_blocked.h"

namespace dnnc::gemm {
namespace {

constexpr int64_t kMR = 12, kNR = 32;

// Where the micro-kernel reads B at depth k: a packed panel (kc x 32), or B's own rows in place
// (rows[k] + j), masked for a tail panel.
struct PackedPanel {
  const float* b;
  __m512 lo(int64_t k) const { return _mm512_loadu_ps(b + k * kNR); }
  __m512 hi(int64_t k) const { return _mm512_loadu_ps(b + k * kNR + 16); }
};
struct RowPanel {
  const float* const* rows;
  int64_t j;
  __m512 lo(int64_t k) const { return _mm512_loadu_ps(rows[k] + j); }
  __m512 hi(int64_t k) const { return _mm512_loadu_ps(rows[k] + j + 16); }
};
struct MaskedRowPanel {
  const float* const* rows;
  int64_t j;
  __mmask16 m0, m1;
  __m512 lo(int64_t k) const { return _mm512_maskz_loadu_ps(m0, rows[k] + j); }
  __m512 hi(int64_t k) const { return _mm512_maskz_loadu_ps(m1, rows[k] + j + 16); }
};

// Lane masks for the first nv (<= 32) columns of a 32-wide tile: lanes 0-15 and 16-31.
inline __mmask16 maskLo(int64_t nv) { return nv >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nv) - 1); }
inline __mmask16 maskHi(int64_t nv) {
  return nv >= 32 ? __mmask16(0xFFFF) : nv > 16 ? __mmask16((1u << (nv - 16)) - 1) : __mmask16(0);
}

// C tile (R x nv, nv <= 32) += or = the product of an A panel (kc x 12) and a B panel (kc x 32).
// Half = true: a tile at most 16 wide (one zmm): half the FMAs.
template <int R, bool Half, class Panel>
void micro(int64_t kc, const float* __restrict a, Panel b, float* c, int64_t ldc, int64_t nv, bool accumulate,
           const float* row_bias, const float* col_bias, bool relu) {
  // Named accumulators, not an array: GCC keeps an indexed array on the stack (a store per FMA).
  __m512 c0_0 = _mm512_setzero_ps(), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0;
  __m512 c3_0 = c0_0, c3_1 = c0_0, c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0;
  __m512 c6_0 = c0_0, c6_1 = c0_0, c7_0 = c0_0, c7_1 = c0_0, c8_0 = c0_0, c8_1 = c0_0;
  __m512 c9_0 = c0_0, c9_1 = c0_0, c10_0 = c0_0, c10_1 = c0_0, c11_0 = c0_0, c11_1 = c0_0;
#define DNNC_ROW(r)                                                  \
  if constexpr (R > r) {                                             \
    const __m512 av = _mm512_set1_ps(a[r]);                          \
    c##r##_0 = _mm512_fmadd_ps(av, b0, c##r##_0);                    \
    if constexpr (!Half) c##r##_1 = _mm512_fmadd_ps(av, b1, c##r##_1); \
  }
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = b.lo(k);
    [[maybe_unused]] __m512 b1;
    if constexpr (!Half) b1 = b.hi(k);
    DNNC_ROW(0) DNNC_ROW(1) DNNC_ROW(2) DNNC_ROW(3) DNNC_ROW(4) DNNC_ROW(5)
    DNNC_ROW(6) DNNC_ROW(7) DNNC_ROW(8) DNNC_ROW(9) DNNC_ROW(10) DNNC_ROW(11)
    a += kMR;
  }
#undef DNNC_ROW
  const __m512 acc0[kMR] = {c0_0, c1_0, c2_0, c3_0, c4_0, c5_0, c6_0, c7_0, c8_0, c9_0, c10_0, c11_0};
  const __m512 acc1[kMR] = {c0_1, c1_1, c2_1, c3_1, c4_1, c5_1, c6_1, c7_1, c8_1, c9_1, c10_1, c11_1};
  const __m512 zero = _mm512_setzero_ps();
  // Full-width masks cost nothing on AVX-512, so one write-back serves whole and tail tiles.
  const __mmask16 m0 = maskLo(nv), m1 = Half ? __mmask16(0) : maskHi(nv);
  __m512 cb0 = zero, cb1 = zero;
  if (!accumulate && col_bias) {
    cb0 = _mm512_maskz_loadu_ps(m0, col_bias);
    if (!Half) cb1 = _mm512_maskz_loadu_ps(m1, col_bias + 16);
  }
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m512 v0 = acc0[r], v1 = acc1[r];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
      if (!Half) v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
    } else {
      if (row_bias) {
        const __m512 rb = _mm512_set1_ps(row_bias[r]);
        v0 = _mm512_add_ps(v0, rb);
        v1 = _mm512_add_ps(v1, rb);
      }
      v0 = _mm512_add_ps(v0, cb0);
      v1 = _mm512_add_ps(v1, cb1);
    }
    if (relu) {
      v0 = _mm512_max_ps(v0, zero);
      v1 = _mm512_max_ps(v1, zero);
    }
    _mm512_mask_storeu_ps(cr, m0, v0);
    if (!Half) _mm512_mask_storeu_ps(cr + 16, m1, v1);
  }
}

template <class Panel>
using MicroFn = void (*)(int64_t, const float*, Panel, float*, int64_t, int64_t, bool, const float*, const float*, bool);
template <class Panel, bool Half, int... R>
constexpr std::array<MicroFn<Panel>, kMR + 1> microTable(std::integer_sequence<int, R...>) {
  return {nullptr, micro<R + 1, Half, Panel>...};
}
template <class Panel>
constexpr std::array<MicroFn<Panel>, kMR + 1> kMicro[2] = {
    microTable<Panel, false>(std::make_integer_sequence<int, kMR>{}),
    microTable<Panel, true>(std::make_integer_sequence<int, kMR>{})};

struct Avx512Kernel {
  // KC = 256: a packed B panel (256 x 32 floats, 32 KiB) and an A panel (12 KiB) fit a 48 KiB L1.
  static constexpr int64_t kMR = 12, kNR = 32, kKC = 256;
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mv, int64_t nv,
                   bool accumulate, const float* rb, const float* cb, bool relu) {
    kMicro<PackedPanel>[nv <= 16][mv](kc, a, PackedPanel{b}, c, ldc, nv, accumulate, rb, cb, relu);
  }
  static void tileRows(int64_t kc, const float* a, const float* const* rows, int64_t j, float* c, int64_t ldc,
                       int64_t mv, int64_t nv, bool accumulate, const float* rb, const float* cb, bool relu) {
    if (nv == kNR)
      kMicro<RowPanel>[0][mv](kc, a, RowPanel{rows, j}, c, ldc, nv, accumulate, rb, cb, relu);
    else
      kMicro<MaskedRowPanel>[nv <= 16][mv](kc, a, MaskedRowPanel{rows, j, maskLo(nv), maskHi(nv)}, c, ldc, nv,
                                          accumulate, rb, cb, relu);
  }
};

using Avx512 = Blocked<Avx512Kernel>;

void packA(MatrixRef a, const float* row_scale, float* dst) { Avx512::packWholeA(a, row_scale, dst); }
void packB(MatrixRef b, float* dst) { Avx512::packWholeB(b, dst); }

}  // namespace

namespace detail {

const Backend* avx512Backend() {
  // The batch-1 row product streams every weight once: memory-bound, so the AVX2 one serves here too.
  static const Backend backend{Avx512::MR, Avx512::NR, packA, packB, Avx512::multiplyPackedA, Avx512::multiplyPackedB,
                               Avx512::multiply, avx2Backend()->multiply_row};
  return &backend;
}

}  // namespace detail
}  // namespace dnnc::gemm

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86: no AVX-512 path

namespace dnnc::gemm::detail {
const Backend* avx512Backend() { return nullptr; }
}  // namespace dnnc::gemm::detail

#endif
