// The GEMM's AVX2/FMA path: a 6x16 micro-kernel (12 ymm accumulators) in the blocked driver of
// sgemm_blocked.h, and the batch-1 row product. Per step of depth the micro-kernel loads 16 floats of B
// (2 loads), broadcasts 6 of A and issues 12 FMAs. Compiled for AVX2/FMA whatever the build's baseline
// (a target region, not a file-wide flag, so that no inline function of the standard library is
// compiled with AVX2 and chosen by the linker for a baseline caller); sgemm.cpp runs it only on CPUs
// that have AVX2 and FMA.
#include "lib/exec/gemm/sgemm_backend.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "lib/exec/gemm/sgemm.h"
#include "lib/support/check.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "lib/exec/gemm/sgemm_blocked.h"

namespace dnnc::gemm {
namespace {

constexpr int64_t kMR = 6, kNR = 16;

// Where the micro-kernel reads B at depth k: a packed panel (kc x 16), or B's own rows in place
// (rows[k] + j; masked loads for a tail panel, which never touch memory past the row's nv floats).
struct PackedPanel {
  const float* b;
  __m256 lo(int64_t k) const { return _mm256_loadu_ps(b + k * kNR); }
  __m256 hi(int64_t k) const { return _mm256_loadu_ps(b + k * kNR + 8); }
};
struct RowPanel {
  const float* const* rows;
  int64_t j;
  __m256 lo(int64_t k) const { return _mm256_loadu_ps(rows[k] + j); }
  __m256 hi(int64_t k) const { return _mm256_loadu_ps(rows[k] + j + 8); }
};
struct MaskedRowPanel {
  const float* const* rows;
  int64_t j;
  __m256i m0, m1;
  __m256 lo(int64_t k) const { return _mm256_maskload_ps(rows[k] + j, m0); }
  __m256 hi(int64_t k) const { return _mm256_maskload_ps(rows[k] + j + 8, m1); }
};

alignas(32) const int32_t kMaskSource[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                             0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0};
// Lane masks for the first nv (<= 16) columns of a 16-wide tile: lanes 0-7 and 8-15.
inline __m256i maskLo(int64_t nv) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskSource + 16 - nv)); }
inline __m256i maskHi(int64_t nv) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskSource + 24 - nv)); }

// C tile (R x nv, nv <= 16) += or = the product of an A panel (kc x 6) and a B panel (kc x 16).
// Half = true: a tile at most 8 wide (the last panel of a narrow C, e.g. 49 = 3 x 16 + 1 output
// positions): half the FMAs.
template <int R, bool Half, class Panel>
void micro(int64_t kc, const float* __restrict a, Panel b, float* c, int64_t ldc, int64_t nv, bool accumulate,
           const float* row_bias, const float* col_bias, bool relu) {
  // Named accumulators, not an array: GCC keeps an indexed array on the stack (a store per FMA).
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#define DNNC_ROW(r)                                          \
  if constexpr (R > r) {                                     \
    const __m256 av = _mm256_broadcast_ss(a + r);            \
    c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0);              \
    if constexpr (!Half) c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1); \
  }
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = b.lo(k);
    [[maybe_unused]] __m256 b1;
    if constexpr (!Half) b1 = b.hi(k);
    DNNC_ROW(0) DNNC_ROW(1) DNNC_ROW(2) DNNC_ROW(3) DNNC_ROW(4) DNNC_ROW(5)
    a += kMR;
  }
#undef DNNC_ROW
  const __m256 acc0[kMR] = {c00, c10, c20, c30, c40, c50};
  const __m256 acc1[kMR] = {c01, c11, c21, c31, c41, c51};
  const __m256 zero = _mm256_setzero_ps();
  if (!Half && nv == kNR) {
    __m256 cb0 = zero, cb1 = zero;
    if (!accumulate && col_bias) {
      cb0 = _mm256_loadu_ps(col_bias);
      cb1 = _mm256_loadu_ps(col_bias + 8);
    }
    for (int r = 0; r < R; ++r) {
      float* cr = c + r * ldc;
      __m256 v0 = acc0[r], v1 = acc1[r];
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
      } else {
        if (row_bias) {
          const __m256 rb = _mm256_set1_ps(row_bias[r]);
          v0 = _mm256_add_ps(v0, rb);
          v1 = _mm256_add_ps(v1, rb);
        }
        v0 = _mm256_add_ps(v0, cb0);
        v1 = _mm256_add_ps(v1, cb1);
      }
      if (relu) {
        v0 = _mm256_max_ps(v0, zero);
        v1 = _mm256_max_ps(v1, zero);
      }
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    }
    return;
  }
  const __m256i m0 = maskLo(nv), m1 = maskHi(nv);
  __m256 cb0 = zero, cb1 = zero;
  if (!accumulate && col_bias) {
    cb0 = _mm256_maskload_ps(col_bias, m0);
    cb1 = _mm256_maskload_ps(col_bias + 8, m1);
  }
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m256 v0 = acc0[r], v1 = acc1[r];
    if (accumulate) {
      v0 = _mm256_add_ps(v0, _mm256_maskload_ps(cr, m0));
      v1 = _mm256_add_ps(v1, _mm256_maskload_ps(cr + 8, m1));
    } else {
      if (row_bias) {
        const __m256 rb = _mm256_set1_ps(row_bias[r]);
        v0 = _mm256_add_ps(v0, rb);
        v1 = _mm256_add_ps(v1, rb);
      }
      v0 = _mm256_add_ps(v0, cb0);
      v1 = _mm256_add_ps(v1, cb1);
    }
    if (relu) {
      v0 = _mm256_max_ps(v0, zero);
      v1 = _mm256_max_ps(v1, zero);
    }
    _mm256_maskstore_ps(cr, m0, v0);
    _mm256_maskstore_ps(cr + 8, m1, v1);
  }
}

template <class Panel>
using MicroFn = void (*)(int64_t, const float*, Panel, float*, int64_t, int64_t, bool, const float*, const float*, bool);
template <class Panel>
constexpr MicroFn<Panel> kMicro[2][kMR + 1] = {
    {nullptr, micro<1, false, Panel>, micro<2, false, Panel>, micro<3, false, Panel>, micro<4, false, Panel>,
     micro<5, false, Panel>, micro<6, false, Panel>},
    {nullptr, micro<1, true, Panel>, micro<2, true, Panel>, micro<3, true, Panel>, micro<4, true, Panel>,
     micro<5, true, Panel>, micro<6, true, Panel>}};

struct Avx2Kernel {
  static constexpr int64_t kMR = 6, kNR = 16, kKC = 256;
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mv, int64_t nv,
                   bool accumulate, const float* rb, const float* cb, bool relu) {
    kMicro<PackedPanel>[nv <= 8][mv](kc, a, PackedPanel{b}, c, ldc, nv, accumulate, rb, cb, relu);
  }
  static void tileRows(int64_t kc, const float* a, const float* const* rows, int64_t j, float* c, int64_t ldc,
                       int64_t mv, int64_t nv, bool accumulate, const float* rb, const float* cb, bool relu) {
    if (nv == kNR)
      kMicro<RowPanel>[0][mv](kc, a, RowPanel{rows, j}, c, ldc, nv, accumulate, rb, cb, relu);
    else
      kMicro<MaskedRowPanel>[nv <= 8][mv](kc, a, MaskedRowPanel{rows, j, maskLo(nv), maskHi(nv)}, c, ldc, nv,
                                         accumulate, rb, cb, relu);
  }
};

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// y[n0, n1) of x[1 x K] * B (sgemm.h's multiplyRow). Memory-bound (every weight read once), so the
// AVX-512 path uses it too.
void multiplyRowAvx2(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep) {
  const int64_t K = b.rows;
  auto finish = [&](float v, int64_t j) {
    v += ep.col_bias ? ep.col_bias[j] : 0.0f;
    return ep.relu ? std::max(v, 0.0f) : v;
  };
  if (b.cs == 1) {  // rows of B contiguous: y chunk (64 columns) in registers, axpy over the rows
    int64_t j = n0;
    for (; j + 64 <= n1; j += 64) {
      __m256 acc[8];
      for (int g = 0; g < 8; ++g) acc[g] = _mm256_setzero_ps();
      const float* bp = b.data + j;
      for (int64_t k = 0; k < K; ++k, bp += b.rs) {
        const __m256 xv = _mm256_broadcast_ss(x + k);
        for (int g = 0; g < 8; ++g) acc[g] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(bp + 8 * g), acc[g]);
      }
      alignas(32) float out[64];
      for (int g = 0; g < 8; ++g) _mm256_store_ps(out + 8 * g, acc[g]);
      for (int64_t t = 0; t < 64; ++t) y[j - n0 + t] = finish(out[t], j - n0 + t);
    }
    for (; j < n1; ++j) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k) s += x[k] * b.data[k * b.rs + j];
      y[j - n0] = finish(s, j - n0);
    }
    return;
  }
  // Columns of B contiguous (a transposed weight, [N x K]): four dot products at a time.
  int64_t j = n0;
  for (; j + 4 <= n1; j += 4) {
    const float* w0 = b.data + j * b.cs;
    const float* w1 = w0 + b.cs;
    const float* w2 = w1 + b.cs;
    const float* w3 = w2 + b.cs;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) {
      const __m256 xv = _mm256_loadu_ps(x + k);
      a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w0 + k), a0);
      a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w1 + k), a1);
      a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w2 + k), a2);
      a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w3 + k), a3);
    }
    float s[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
    for (; k < K; ++k) {
      s[0] += x[k] * w0[k];
      s[1] += x[k] * w1[k];
      s[2] += x[k] * w2[k];
      s[3] += x[k] * w3[k];
    }
    for (int t = 0; t < 4; ++t) y[j - n0 + t] = finish(s[t], j - n0 + t);
  }
  for (; j < n1; ++j) {
    float s = 0.0f;
    for (int64_t k = 0; k < K; ++k) s += x[k] * b.at(k, j);
    y[j - n0] = finish(s, j - n0);
  }
}

using Avx2 = Blocked<Avx2Kernel>;

void packA(MatrixRef a, const float* row_scale, float* dst) { Avx2::packWholeA(a, row_scale, dst); }
void packB(MatrixRef b, float* dst) { Avx2::packWholeB(b, dst); }

}  // namespace

namespace detail {

const Backend* avx2Backend() {
  static const Backend backend{Avx2::MR, Avx2::NR, packA, packB, Avx2::multiplyPackedA, Avx2::multiplyPackedB,
                               Avx2::multiply, multiplyRowAvx2};
  return &backend;
}

}  // namespace detail
}  // namespace dnnc::gemm

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86: no AVX2 path

namespace dnnc::gemm::detail {
const Backend* avx2Backend() { return nullptr; }
}  // namespace dnnc::gemm::detail

#endif
