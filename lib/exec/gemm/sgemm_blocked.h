// The blocked GEMM's driver, shared by the instruction-set paths (sgemm_avx2.cpp, sgemm_avx512.cpp):
// packing and cache blocking in the style of BLIS/GotoBLAS around a register-blocked micro-kernel that
// each path supplies. Loop nest for C = A * B (Goto & van de Geijn, "Anatomy of high-performance
// matrix multiplication"):
//   for jc in N by NC:  for pc in K by KC:  [pack B block kc x nc]
//     for ic in M by MC:  [A block mc x kc]  for jr in nc by NR:  for ir in mc by MR:  micro-kernel
//
// Include it only inside a path's target region (after `#pragma GCC target`), so that the driver is
// compiled for that path's instructions; it is all templates on the kernel and internal-linkage helpers,
// so the two paths' copies never meet at link time (one with AVX-512 instructions must not stand in for
// the AVX2 one). The standard headers it uses, and <immintrin.h> (it uses AVX intrinsics, which both
// paths have), must be included before the target region.
//
// A kernel type Kern supplies:
//   kMR, kNR, kKC    rows and columns of its C tile, depth of a packed block;
//   tile(kc, a, b, c, ldc, mv, nv, accumulate, row_bias, col_bias, relu)
//                    C tile (mv <= kMR rows, nv <= kNR columns) = or += a packed A panel (kc x kMR)
//                    times a packed B panel (kc x kNR); accumulate: add to C (a later depth block),
//                    else start from the biases; relu on the last depth block;
//   tileRows(kc, a, rows, j, ...)
//                    the same with B read in place: rows[k] + j for depth k (nothing read past nv).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "lib/exec/gemm/sgemm.h"
#include "lib/support/check.h"

namespace dnnc::gemm {
namespace {

// Measured on the development machine (Zen 3, 32 KiB L1, 512 KiB L2): NC = 256 beat 512 and 2048 by
// 5-20 % on ResNet-18's conv shapes. MC is a multiple of both paths' kMR (6 and 12).
constexpr int64_t kMC = 120;  // rows of A per block: 120 x 256 x 4 B = 120 KiB, in L2
constexpr int64_t kNC = 256;  // columns of B per block: 256 x 256 x 4 B = 256 KiB, in L2 with A's block
// The packed-A product reads B in place up to this many rows of C (see there). Measured on ResNet-18's
// and the residual CNN's 3x3 convolutions: 5-15 % faster with 32-128 output channels, no gain past that.
constexpr int64_t kInPlaceMaxRows = 128;
// ... and only while B's rows (K x N floats) fit in L2: past that a tile reads a line from each of up
// to 256 rows far apart in memory, where a packed panel is read from L2. Measured on an Intel Xeon
// (AVX-512, 2 MiB L2) against always reading in place: SqueezeNet at batch 32 (its 3x3 expands, 144 x
// 3135 floats per image, 1.8 MB) 5-30 % faster, ResNet-18 and MnasNet level or faster, the residual
// CNN (14x14 maps, at most 0.5 MB) unchanged; products of 96-576 x 3136 alone 10-30 % faster.
constexpr int64_t kInPlaceMaxBytes = int64_t{1} << 20;
// Depth blocks at most this deep run the row panels outer, the column panels inner. With little depth a
// tile is mostly its write-back, and column panels outer would have it write every row of the block
// (up to 120 rows, each a separate stream of C) 128 bytes at a time; row panels outer write 12 (or 6)
// rows a panel at a time, and the B block they re-read (at most 128 x 256 floats, 128 KiB) stays in L2.
// Measured at batch 32, one thread: 128 against 64 ran MnasNet 5 % faster (its 72-deep layers), ResNet-50
// the same.
constexpr int64_t kShallowDepth = 128;

inline int64_t roundUpTo(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Per-thread packing buffers (pool and OpenMP threads persist, so these are allocated once per thread).
inline float* threadBuffer(int slot, size_t n) {
  thread_local AlignedFloats buf[2];
  thread_local size_t cap[2] = {0, 0};
  if (cap[slot] < n) {
    buf[slot] = allocFloats(n);
    cap[slot] = n;
  }
  return buf[slot].get();
}

inline Epilogue shifted(const Epilogue& ep, int64_t dr, int64_t dc) {
  return {ep.row_bias ? ep.row_bias + dr : nullptr, ep.col_bias ? ep.col_bias + dc : nullptr, ep.relu};
}

// K = 0: C is the bias alone.
inline void biasOnly(int64_t m, int64_t n, float* c, int64_t ldc, const Epilogue& ep) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float v = (ep.row_bias ? ep.row_bias[i] : 0.0f) + (ep.col_bias ? ep.col_bias[j] : 0.0f);
      c[i * ldc + j] = ep.relu ? std::max(v, 0.0f) : v;
    }
}

template <class Kern>
struct Blocked {
  static constexpr int64_t MR = Kern::kMR, NR = Kern::kNR, KC = Kern::kKC;
  static_assert(kMC % MR == 0 && kNC % NR == 0);

  // Rows [i0, i0+mc) x depth [k0, k0+kc) of A into panels of MR rows (zero rows past the end):
  // panel p at dst + p*kc*MR, element (r, k) of a panel at k*MR + r. row_scale (optional, indexed by
  // A's row): each row multiplied by its factor on the way.
  static void packA(MatrixRef a, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst,
                    const float* row_scale = nullptr) {
    for (int64_t p = 0; p < mc; p += MR, dst += kc * MR) {
      const int64_t rows = std::min(MR, mc - p);
      if (a.cs == 1) {
        for (int64_t r = 0; r < rows; ++r) {
          const float* src = a.data + (i0 + p + r) * a.rs + k0;
          const float s = row_scale ? row_scale[i0 + p + r] : 1.0f;
          for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k] * s;
        }
      } else if (a.rs == 1 && !row_scale) {  // A's columns contiguous (transposed): a panel row is a copy
        for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * MR, a.data + i0 + p + (k0 + k) * a.cs, rows * sizeof(float));
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int64_t r = 0; r < rows; ++r)
            dst[k * MR + r] = a.at(i0 + p + r, k0 + k) * (row_scale ? row_scale[i0 + p + r] : 1.0f);
      }
      for (int64_t r = rows; r < MR; ++r)
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = 0.0f;
    }
  }

  // One row of B (nc contiguous floats) into column panels of NR at depth k (a fixed-size copy per
  // panel, which the compiler turns into whole-vector moves).
  static void packRow(const float* src, int64_t k, int64_t kc, int64_t nc, float* dst) {
    int64_t p = 0;
    for (; p + NR <= nc; p += NR) std::memcpy(dst + p * kc + k * NR, src + p, NR * sizeof(float));
    if (p < nc) {
      float* d = dst + p * kc + k * NR;
      const int64_t n = nc - p;
      for (int64_t j = 0; j < n; ++j) d[j] = src[p + j];
      for (int64_t j = n; j < NR; ++j) d[j] = 0.0f;
    }
  }

  // dst[c * ldd + r] = src[r * ld + c] for an 8 x 8 block: eight row loads, three rounds of lane
  // shuffles, eight row stores (packing a transposed operand had been a scalar load and store per float:
  // 12 % of the residual CNN's training step).
  static void transpose8x8(const float* src, int64_t ld, float* dst, int64_t ldd) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ld);
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; ++i) {
      _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
      _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
  }

  // Depth [k0, k0+kc) x columns [j0, j0+nc) of B into panels of NR columns: panel p at dst + p*kc*NR,
  // element (k, j) of a panel at k*NR + j. (p*kc below is the panel's offset since p steps by NR.)
  static void packB(RowsRef b, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
    for (int64_t k = 0; k < kc; ++k) packRow(b.rows[k0 + k] + j0, k, kc, nc, dst);
  }

  static void packB(MatrixRef b, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
    if (b.cs == 1) {
      for (int64_t k = 0; k < kc; ++k) packRow(b.data + (k0 + k) * b.rs + j0, k, kc, nc, dst);
      return;
    }
    for (int64_t p = 0; p < nc; p += NR) {
      float* d = dst + p * kc;
      const int64_t n = std::min(NR, nc - p);
      int64_t j = 0;
      if (b.rs == 1) {  // B's columns contiguous (a transposed operand: dW = dY col^T): 8 x 8 blocks
        const int64_t k8 = kc / 8 * 8;
        for (; j + 8 <= n; j += 8) {
          const float* src = b.data + (j0 + p + j) * b.cs + k0;
          for (int64_t k = 0; k < k8; k += 8) transpose8x8(src + k, b.cs, d + k * NR + j, NR);
          for (int64_t jj = j; jj < j + 8; ++jj)
            for (int64_t k = k8; k < kc; ++k) d[k * NR + jj] = b.data[(j0 + p + jj) * b.cs + k0 + k];
        }
      }
      for (; j < n; ++j) {
        const float* src = b.data + (j0 + p + j) * b.cs + k0 * b.rs;
        for (int64_t k = 0; k < kc; ++k) d[k * NR + j] = src[k * b.rs];
      }
      for (int64_t j = n; j < NR; ++j)
        for (int64_t k = 0; k < kc; ++k) d[k * NR + j] = 0.0f;
    }
  }

  // A packed A block (mrows rows from its first panel) times a packed B block (ncols columns), depth
  // kc, into C. first: the first depth block (biases); last: the last one (ReLU).
  static void macroKernel(int64_t kc, const float* ablock, int64_t mrows, const float* bblock, int64_t ncols, float* c,
                          int64_t ldc, bool first, bool last, const Epilogue& ep) {
    if (kc <= kShallowDepth) {  // row panels outer: C is written a row panel at a time (see kShallowDepth)
      for (int64_t ir = 0; ir < mrows; ir += MR)
        for (int64_t jr = 0; jr < ncols; jr += NR)
          Kern::tile(kc, ablock + ir * kc, bblock + jr * kc, c + ir * ldc + jr, ldc, std::min(MR, mrows - ir),
                     std::min(NR, ncols - jr), !first, first && ep.row_bias ? ep.row_bias + ir : nullptr,
                     first && ep.col_bias ? ep.col_bias + jr : nullptr, last && ep.relu);
      return;
    }
    for (int64_t jr = 0; jr < ncols; jr += NR) {
      const int64_t nv = std::min(NR, ncols - jr);
      for (int64_t ir = 0; ir < mrows; ir += MR)
        Kern::tile(kc, ablock + ir * kc, bblock + jr * kc, c + ir * ldc + jr, ldc, std::min(MR, mrows - ir), nv, !first,
                   first && ep.row_bias ? ep.row_bias + ir : nullptr, first && ep.col_bias ? ep.col_bias + jr : nullptr,
                   last && ep.relu);
    }
  }

  // The same with B read in place: rows[k] + j for depth k of the block, columns [j0, j0 + ncols).
  static void macroKernelRows(int64_t kc, const float* ablock, int64_t mrows, const float* const* rows, int64_t j0,
                              int64_t ncols, float* c, int64_t ldc, bool first, bool last, const Epilogue& ep) {
    if (kc <= kShallowDepth) {  // row panels outer: C is written a row panel at a time (see kShallowDepth)
      for (int64_t ir = 0; ir < mrows; ir += MR)
        for (int64_t jr = 0; jr < ncols; jr += NR)
          Kern::tileRows(kc, ablock + ir * kc, rows, j0 + jr, c + ir * ldc + jr, ldc, std::min(MR, mrows - ir),
                         std::min(NR, ncols - jr), !first, first && ep.row_bias ? ep.row_bias + ir : nullptr,
                         first && ep.col_bias ? ep.col_bias + jr : nullptr, last && ep.relu);
      return;
    }
    for (int64_t jr = 0; jr < ncols; jr += NR) {
      const int64_t nv = std::min(NR, ncols - jr);
      for (int64_t ir = 0; ir < mrows; ir += MR)
        Kern::tileRows(kc, ablock + ir * kc, rows, j0 + jr, c + ir * ldc + jr, ldc, std::min(MR, mrows - ir), nv,
                       !first, first && ep.row_bias ? ep.row_bias + ir : nullptr,
                       first && ep.col_bias ? ep.col_bias + jr : nullptr, last && ep.relu);
    }
  }

  // The whole of A, depth block by depth block (block k0 at dst + k0 * roundUp(rows, MR)).
  static void packWholeA(MatrixRef a, const float* row_scale, float* dst) {
    const int64_t mp = roundUpTo(a.rows, MR);
    for (int64_t k0 = 0; k0 < a.cols; k0 += KC) packA(a, 0, a.rows, k0, std::min(KC, a.cols - k0), dst + k0 * mp, row_scale);
  }

  // The whole of B, depth block by depth block (block k0 at dst + k0 * roundUp(cols, NR)).
  static void packWholeB(MatrixRef b, float* dst) {
    const int64_t np = roundUpTo(b.cols, NR);
    for (int64_t k0 = 0; k0 < b.rows; k0 += KC) packB(b, k0, std::min(KC, b.rows - k0), 0, b.cols, dst + k0 * np);
  }

  static void multiplyPackedA(const float* ad, int64_t arows, int64_t K, int64_t m0, int64_t m1, RowsRef b, float* c,
                              int64_t ldc, const Epilogue& ep) {
    DNNC_CHECK(m0 % MR == 0 && m0 <= m1 && m1 <= arows && b.depth == K);
    const int64_t N = b.cols, M = m1 - m0, mp = roundUpTo(arows, MR);
    if (M == 0 || N == 0) return;
    if (K == 0) return biasOnly(M, N, c, ldc, ep);
    // With few row panels a packed B panel would be read only M/MR times: reading B's rows in place
    // (L1/L2-resident in the convolutions that pass rows) costs less than packing them.
    const bool in_place =
        b.cached && M <= kInPlaceMaxRows && K * N * static_cast<int64_t>(sizeof(float)) <= kInPlaceMaxBytes;
    float* bbuf = in_place ? nullptr : threadBuffer(0, static_cast<size_t>(KC * std::min(kNC, roundUpTo(N, NR))));
    for (int64_t jc = 0; jc < N; jc += kNC) {
      const int64_t nc = std::min(kNC, N - jc);
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        const float* ablk = ad + k0 * mp + m0 * kc;
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

  static void multiplyPackedB(MatrixRef a, const float* bd, int64_t brows, int64_t bcols, int64_t n0, int64_t n1,
                              float* c, int64_t ldc, const Epilogue& ep) {
    DNNC_CHECK(n0 % NR == 0 && n0 <= n1 && n1 <= bcols && a.cols == brows);
    const int64_t K = a.cols, M = a.rows, N = n1 - n0, np = roundUpTo(bcols, NR);
    if (M == 0 || N == 0) return;
    if (K == 0) return biasOnly(M, N, c, ldc, ep);
    float* abuf = threadBuffer(1, static_cast<size_t>(KC * std::min(kMC, roundUpTo(M, MR))));
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      const int64_t kc = std::min(KC, K - k0);
      const float* bblk = bd + k0 * np + n0 * kc;
      for (int64_t ic = 0; ic < M; ic += kMC) {
        const int64_t mc = std::min(kMC, M - ic);
        packA(a, ic, mc, k0, kc, abuf);
        for (int64_t jc = 0; jc < N; jc += kNC)
          macroKernel(kc, abuf, mc, bblk + jc * kc, std::min(kNC, N - jc), c + ic * ldc + jc, ldc, k0 == 0,
                      k0 + kc == K, shifted(ep, ic, jc));
      }
    }
  }

  static void multiply(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep) {
    DNNC_CHECK(a.cols == b.rows);
    const int64_t K = a.cols, M = a.rows, N = b.cols;
    if (M == 0 || N == 0) return;
    if (K == 0) return biasOnly(M, N, c, ldc, ep);
    float* bbuf = threadBuffer(0, static_cast<size_t>(KC * std::min(kNC, roundUpTo(N, NR))));
    float* abuf = threadBuffer(1, static_cast<size_t>(KC * std::min(kMC, roundUpTo(M, MR))));
    for (int64_t jc = 0; jc < N; jc += kNC) {
      const int64_t nc = std::min(kNC, N - jc);
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        packB(b, k0, kc, jc, nc, bbuf);
        for (int64_t ic = 0; ic < M; ic += kMC) {
          const int64_t mc = std::min(kMC, M - ic);
          packA(a, ic, mc, k0, kc, abuf);
          macroKernel(kc, abuf, mc, bbuf, nc, c + ic * ldc + jc, ldc, k0 == 0, k0 + kc == K, shifted(ep, ic, jc));
        }
      }
    }
  }
};

}  // namespace
}  // namespace dnnc::gemm
