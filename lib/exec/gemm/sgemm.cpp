// The AVX2/FMA GEMM (BLIS-style packing and blocking, 6x16 micro-kernel) and its Eigen fallback.
// Loop nest for C = A * B (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"):
//   for jc in N by NC:  for pc in K by KC:  [pack B block kc x nc]
//     for ic in M by MC:  [A block mc x kc]  for jr in nc by NR:  for ir in mc by MR:  micro-kernel
// The micro-kernel keeps a 6x16 tile of C in 12 ymm registers over the whole depth kc: per step of k it
// loads 16 floats of B (2 loads), broadcasts 6 of A and issues 12 FMAs.
#include "lib/exec/gemm/sgemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "lib/support/check.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#else
#include <Eigen/Core>
#endif

namespace dnnc::gemm {

void AlignedFree::operator()(float* p) const { std::free(p); }

AlignedFloats allocFloats(size_t n) {
  size_t bytes = (std::max<size_t>(n, 16) * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  DNNC_CHECK(p != nullptr, "out of memory allocating ", bytes, " bytes");
  return AlignedFloats(p);
}

#if defined(__AVX2__) && defined(__FMA__)

namespace {

int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Measured on the development machine (Zen 3, 32 KiB L1, 512 KiB L2): NC = 256 beat 512 and 2048 by
// 5-20 % on ResNet-18's conv shapes.
constexpr int64_t kMC = 120;  // 20 panels of A: 120 x 256 x 4 B = 120 KiB, in L2
constexpr int64_t kNC = 256;  // 16 panels of B: 256 x 256 x 4 B = 256 KiB, in L2 with A's block
// multiply(PackedA, RowsRef) reads B in place up to this many rows of C (see there). Measured on
// ResNet-18's and the residual CNN's 3x3 convolutions: 5-15 % faster with 32-128 output channels, no
// gain past that.
constexpr int64_t kInPlaceMaxRows = 128;

// Per-thread packing buffers (OpenMP threads persist, so these are allocated once per thread).
float* threadBuffer(int slot, size_t n) {
  thread_local AlignedFloats buf[2];
  thread_local size_t cap[2] = {0, 0};
  if (cap[slot] < n) {
    buf[slot] = allocFloats(n);
    cap[slot] = n;
  }
  return buf[slot].get();
}

// Rows [i0, i0+mc) x depth [k0, k0+kc) of A into panels of kMR rows (zero rows past the end):
// panel p at dst + p*kc*kMR, element (r, k) of a panel at k*kMR + r. row_scale (optional, indexed by
// A's row): each row multiplied by its factor on the way.
void packA(MatrixRef a, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst, const float* row_scale = nullptr) {
  for (int64_t p = 0; p < mc; p += kMR, dst += kc * kMR) {
    const int64_t rows = std::min(kMR, mc - p);
    if (a.cs == 1) {
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a.data + (i0 + p + r) * a.rs + k0;
        const float s = row_scale ? row_scale[i0 + p + r] : 1.0f;
        for (int64_t k = 0; k < kc; ++k) dst[k * kMR + r] = src[k] * s;
      }
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t r = 0; r < rows; ++r)
          dst[k * kMR + r] = a.at(i0 + p + r, k0 + k) * (row_scale ? row_scale[i0 + p + r] : 1.0f);
    }
    for (int64_t r = rows; r < kMR; ++r)
      for (int64_t k = 0; k < kc; ++k) dst[k * kMR + r] = 0.0f;
  }
}

// One row of B (nc contiguous floats) into column panels of kNR at depth k.
inline void packRow(const float* src, int64_t k, int64_t kc, int64_t nc, float* dst) {
  int64_t p = 0;
  for (; p + kNR <= nc; p += kNR) {
    float* d = dst + p * kc + k * kNR;
    _mm256_store_ps(d, _mm256_loadu_ps(src + p));
    _mm256_store_ps(d + 8, _mm256_loadu_ps(src + p + 8));
  }
  if (p < nc) {
    float* d = dst + p * kc + k * kNR;
    int64_t n = nc - p;
    for (int64_t j = 0; j < n; ++j) d[j] = src[p + j];
    for (int64_t j = n; j < kNR; ++j) d[j] = 0.0f;
  }
}

// Depth [k0, k0+kc) x columns [j0, j0+nc) of B into panels of kNR columns: panel p at dst + p*kc*kNR,
// element (k, j) of a panel at k*kNR + j. (p*kc below is the panel's offset since p steps by kNR.)
void packB(RowsRef b, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t k = 0; k < kc; ++k) packRow(b.rows[k0 + k] + j0, k, kc, nc, dst);
}

void packB(MatrixRef b, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  if (b.cs == 1) {
    for (int64_t k = 0; k < kc; ++k) packRow(b.data + (k0 + k) * b.rs + j0, k, kc, nc, dst);
    return;
  }
  for (int64_t p = 0; p < nc; p += kNR) {
    float* d = dst + p * kc;
    const int64_t n = std::min(kNR, nc - p);
    for (int64_t j = 0; j < n; ++j) {
      const float* src = b.data + (j0 + p + j) * b.cs + k0 * b.rs;
      for (int64_t k = 0; k < kc; ++k) d[k * kNR + j] = src[k * b.rs];
    }
    for (int64_t j = n; j < kNR; ++j)
      for (int64_t k = 0; k < kc; ++k) d[k * kNR + j] = 0.0f;
  }
}

// Where the micro-kernel reads B at depth k: a packed panel (kc x 16, aligned), or B's own rows in place
// (rows[k] + j; masked loads for a tail panel, which never touch memory past the row's nv floats).
struct PackedPanel {
  const float* b;
  __m256 lo(int64_t k) const { return _mm256_load_ps(b + k * kNR); }
  __m256 hi(int64_t k) const { return _mm256_load_ps(b + k * kNR + 8); }
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
// accumulate: add to C (a later depth block); else start from the biases. relu: the last depth block.
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

// A packed A block (mrows rows from its first panel) times a packed B block (ncols columns), depth kc,
// into C. first: the first depth block (biases); last: the last one (ReLU).
void macroKernel(int64_t kc, const float* ablock, int64_t mrows, const float* bblock, int64_t ncols, float* c,
                 int64_t ldc, bool first, bool last, const Epilogue& ep) {
  for (int64_t jr = 0; jr < ncols; jr += kNR) {
    const int64_t nv = std::min(kNR, ncols - jr);
    const PackedPanel bp{bblock + jr * kc};
    for (int64_t ir = 0; ir < mrows; ir += kMR) {
      const int64_t mv = std::min(kMR, mrows - ir);
      kMicro<PackedPanel>[nv <= 8][mv](kc, ablock + ir * kc, bp, c + ir * ldc + jr, ldc, nv, !first,
                                       first && ep.row_bias ? ep.row_bias + ir : nullptr,
                                       first && ep.col_bias ? ep.col_bias + jr : nullptr, last && ep.relu);
    }
  }
}

// The same with B read in place: rows[k] + j for depth k of the block, columns [j0, j0 + ncols).
void macroKernelRows(int64_t kc, const float* ablock, int64_t mrows, const float* const* rows, int64_t j0,
                     int64_t ncols, float* c, int64_t ldc, bool first, bool last, const Epilogue& ep) {
  for (int64_t jr = 0; jr < ncols; jr += kNR) {
    const int64_t nv = std::min(kNR, ncols - jr);
    for (int64_t ir = 0; ir < mrows; ir += kMR) {
      const int64_t mv = std::min(kMR, mrows - ir);
      const float* rb = first && ep.row_bias ? ep.row_bias + ir : nullptr;
      const float* cb = first && ep.col_bias ? ep.col_bias + jr : nullptr;
      float* ct = c + ir * ldc + jr;
      if (nv == kNR)
        kMicro<RowPanel>[0][mv](kc, ablock + ir * kc, RowPanel{rows, j0 + jr}, ct, ldc, nv, !first, rb, cb, last && ep.relu);
      else
        kMicro<MaskedRowPanel>[nv <= 8][mv](kc, ablock + ir * kc, MaskedRowPanel{rows, j0 + jr, maskLo(nv), maskHi(nv)},
                                           ct, ldc, nv, !first, rb, cb, last && ep.relu);
    }
  }
}

Epilogue shifted(const Epilogue& ep, int64_t dr, int64_t dc) {
  return {ep.row_bias ? ep.row_bias + dr : nullptr, ep.col_bias ? ep.col_bias + dc : nullptr, ep.relu};
}

// K = 0: C is the bias alone.
void biasOnly(int64_t m, int64_t n, float* c, int64_t ldc, const Epilogue& ep) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float v = (ep.row_bias ? ep.row_bias[i] : 0.0f) + (ep.col_bias ? ep.col_bias[j] : 0.0f);
      c[i * ldc + j] = ep.relu ? std::max(v, 0.0f) : v;
    }
}

}  // namespace

size_t PackedA::floatsFor(int64_t rows, int64_t cols) { return static_cast<size_t>(roundUp(rows, kMR) * cols); }
size_t PackedB::floatsFor(int64_t rows, int64_t cols) { return static_cast<size_t>(rows * roundUp(cols, kNR)); }

void PackedA::pack(MatrixRef a, const float* row_scale) {
  const int64_t mp = roundUp(a.rows, kMR);
  float* d = const_cast<float*>(data_);
  for (int64_t k0 = 0; k0 < a.cols; k0 += kKC)
    packA(a, 0, a.rows, k0, std::min(kKC, a.cols - k0), d + k0 * mp, row_scale);
}

PackedB::PackedB(MatrixRef b) : data_(allocFloats(floatsFor(b.rows, b.cols))), rows_(b.rows), cols_(b.cols) {
  const int64_t np = roundUp(b.cols, kNR);
  for (int64_t k0 = 0; k0 < b.rows; k0 += kKC)
    packB(b, k0, std::min(kKC, b.rows - k0), 0, b.cols, data_.get() + k0 * np);
}

void multiply(const PackedA& a, int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep) {
  DNNC_CHECK(m0 % kMR == 0 && m0 <= m1 && m1 <= a.rows() && b.depth == a.cols());
  const int64_t K = a.cols(), N = b.cols, M = m1 - m0, mp = roundUp(a.rows(), kMR);
  if (M == 0 || N == 0) return;
  if (K == 0) return biasOnly(M, N, c, ldc, ep);
  // With few row panels a packed B panel would be read only M/6 times: reading B's rows in place
  // (L1/L2-resident in the convolutions that pass rows) costs less than packing them.
  const bool in_place = M <= kInPlaceMaxRows;
  float* bbuf = in_place ? nullptr : threadBuffer(0, static_cast<size_t>(kKC * std::min(kNC, roundUp(N, kNR))));
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    for (int64_t k0 = 0; k0 < K; k0 += kKC) {
      const int64_t kc = std::min(kKC, K - k0);
      const float* ablk = a.data() + k0 * mp + m0 * kc;
      if (in_place) {
        for (int64_t ic = 0; ic < M; ic += kMC)
          macroKernelRows(kc, ablk + ic * kc, std::min(kMC, M - ic), b.rows + k0, jc, nc, c + ic * ldc + jc, ldc,
                          k0 == 0, k0 + kc == K, shifted(ep, ic, jc));
        continue;
      }
      packB(b, k0, kc, jc, nc, bbuf);
      for (int64_t ic = 0; ic < M; ic += kMC)
        macroKernel(kc, ablk + ic * kc, std::min(kMC, M - ic), bbuf, nc, c + ic * ldc + jc, ldc, k0 == 0,
                    k0 + kc == K, shifted(ep, ic, jc));
    }
  }
}

void multiply(MatrixRef a, const PackedB& b, int64_t n0, int64_t n1, float* c, int64_t ldc, const Epilogue& ep) {
  DNNC_CHECK(n0 % kNR == 0 && n0 <= n1 && n1 <= b.cols() && a.cols == b.rows());
  const int64_t K = a.cols, M = a.rows, N = n1 - n0, np = roundUp(b.cols(), kNR);
  if (M == 0 || N == 0) return;
  if (K == 0) return biasOnly(M, N, c, ldc, ep);
  float* abuf = threadBuffer(1, static_cast<size_t>(kKC * std::min(kMC, roundUp(M, kMR))));
  for (int64_t k0 = 0; k0 < K; k0 += kKC) {
    const int64_t kc = std::min(kKC, K - k0);
    const float* bblk = b.data() + k0 * np + n0 * kc;
    for (int64_t ic = 0; ic < M; ic += kMC) {
      const int64_t mc = std::min(kMC, M - ic);
      packA(a, ic, mc, k0, kc, abuf);
      for (int64_t jc = 0; jc < N; jc += kNC)
        macroKernel(kc, abuf, mc, bblk + jc * kc, std::min(kNC, N - jc), c + ic * ldc + jc, ldc, k0 == 0,
                    k0 + kc == K, shifted(ep, ic, jc));
    }
  }
}

void multiply(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep) {
  DNNC_CHECK(a.cols == b.rows);
  const int64_t K = a.cols, M = a.rows, N = b.cols;
  if (M == 0 || N == 0) return;
  if (K == 0) return biasOnly(M, N, c, ldc, ep);
  float* bbuf = threadBuffer(0, static_cast<size_t>(kKC * std::min(kNC, roundUp(N, kNR))));
  float* abuf = threadBuffer(1, static_cast<size_t>(kKC * std::min(kMC, roundUp(M, kMR))));
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    for (int64_t k0 = 0; k0 < K; k0 += kKC) {
      const int64_t kc = std::min(kKC, K - k0);
      packB(b, k0, kc, jc, nc, bbuf);
      for (int64_t ic = 0; ic < M; ic += kMC) {
        const int64_t mc = std::min(kMC, M - ic);
        packA(a, ic, mc, k0, kc, abuf);
        macroKernel(kc, abuf, mc, bbuf, nc, c + ic * ldc + jc, ldc, k0 == 0, k0 + kc == K, shifted(ep, ic, jc));
      }
    }
  }
}

namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

void multiplyRow(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep) {
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

#else  // Eigen fallback: packed operands are plain row-major copies.

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMap = Eigen::Map<const RowMatrixF>;
using StridedMap = Eigen::Map<RowMatrixF, 0, Eigen::OuterStride<>>;

void copyRowMajor(MatrixRef a, float* dst, const float* row_scale = nullptr) {
  for (int64_t r = 0; r < a.rows; ++r)
    for (int64_t k = 0; k < a.cols; ++k) dst[r * a.cols + k] = a.at(r, k) * (row_scale ? row_scale[r] : 1.0f);
}

void applyEpilogue(StridedMap& C, const Epilogue& ep) {
  for (int64_t i = 0; i < C.rows(); ++i)
    for (int64_t j = 0; j < C.cols(); ++j) {
      float v = C(i, j) + (ep.row_bias ? ep.row_bias[i] : 0.0f) + (ep.col_bias ? ep.col_bias[j] : 0.0f);
      C(i, j) = ep.relu ? std::max(v, 0.0f) : v;
    }
}

}  // namespace

size_t PackedA::floatsFor(int64_t rows, int64_t cols) { return static_cast<size_t>(rows * cols); }
size_t PackedB::floatsFor(int64_t rows, int64_t cols) { return static_cast<size_t>(rows * cols); }

void PackedA::pack(MatrixRef a, const float* row_scale) { copyRowMajor(a, const_cast<float*>(data_), row_scale); }

PackedB::PackedB(MatrixRef b) : data_(allocFloats(floatsFor(b.rows, b.cols))), rows_(b.rows), cols_(b.cols) {
  copyRowMajor(b, data_.get());
}

void multiply(const PackedA& a, int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep) {
  const int64_t K = a.cols(), N = b.cols, M = m1 - m0;
  if (M == 0 || N == 0) return;
  std::vector<float> bt(static_cast<size_t>(K * N));
  for (int64_t k = 0; k < K; ++k) std::memcpy(bt.data() + k * N, b.rows[k], N * sizeof(float));
  StridedMap C(c, M, N, Eigen::OuterStride<>(ldc));
  C.noalias() = ConstRowMap(a.data() + m0 * K, M, K) * ConstRowMap(bt.data(), K, N);
  applyEpilogue(C, ep);
}

void multiply(MatrixRef a, const PackedB& b, int64_t n0, int64_t n1, float* c, int64_t ldc, const Epilogue& ep) {
  const int64_t K = a.cols, M = a.rows, N = n1 - n0;
  if (M == 0 || N == 0) return;
  std::vector<float> at(static_cast<size_t>(M * K));
  copyRowMajor(a, at.data());
  StridedMap C(c, M, N, Eigen::OuterStride<>(ldc));
  Eigen::Map<const RowMatrixF, 0, Eigen::OuterStride<>> B(b.data() + n0, K, N, Eigen::OuterStride<>(b.cols()));
  C.noalias() = ConstRowMap(at.data(), M, K) * B;
  applyEpilogue(C, ep);
}

void multiply(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep) {
  const int64_t K = a.cols, M = a.rows, N = b.cols;
  if (M == 0 || N == 0) return;
  std::vector<float> at(static_cast<size_t>(M * K)), bt(static_cast<size_t>(K * N));
  copyRowMajor(a, at.data());
  copyRowMajor(b, bt.data());
  StridedMap C(c, M, N, Eigen::OuterStride<>(ldc));
  C.noalias() = ConstRowMap(at.data(), M, K) * ConstRowMap(bt.data(), K, N);
  applyEpilogue(C, ep);
}

void multiplyRow(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep) {
  for (int64_t j = n0; j < n1; ++j) {
    float s = 0.0f;
    for (int64_t k = 0; k < b.rows; ++k) s += x[k] * b.at(k, j);
    s += ep.col_bias ? ep.col_bias[j - n0] : 0.0f;
    y[j - n0] = ep.relu ? std::max(s, 0.0f) : s;
  }
}

#endif

PackedA::PackedA(MatrixRef a, const float* row_scale)
    : own_(allocFloats(floatsFor(a.rows, a.cols))), rows_(a.rows), cols_(a.cols) {
  data_ = own_.get();
  pack(a, row_scale);
}

PackedA::PackedA(MatrixRef a, float* storage, const float* row_scale) : data_(storage), rows_(a.rows), cols_(a.cols) {
  pack(a, row_scale);
}

}  // namespace dnnc::gemm
