// Batched plane transpose (transpose_planes.h).
#include "lib/exec/ops/transpose_planes.h"

#include <algorithm>

#include "lib/exec/gemm/isa.h"
#include "lib/exec/ops/common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DNNC_TRANSPOSE_AVX2 1
#endif

namespace dnnc::ops {
namespace {

constexpr int64_t kTile = 32;

// Rows [r0, r1) x columns [c0, c1) of one plane, element by element.
void tileScalar(const uint32_t* src, int64_t rows, int64_t cols, uint32_t* dst, int64_t r0, int64_t r1, int64_t c0,
                int64_t c1) {
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * cols + c];
}

#ifdef DNNC_TRANSPOSE_AVX2
// The same in 8 x 8 blocks of registers (the element-by-element loop reads with a stride of a row and
// ran at one element per cycle: ConvNeXt-T's Transposes took three times ORT's), the edges as above.
// Shuffles move bits, so any 32-bit type goes through the float registers unchanged.
__attribute__((target("avx2"))) void tileAvx2(const uint32_t* src, int64_t rows, int64_t cols, uint32_t* dst,
                                               int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const int64_t rb = r0 + (r1 - r0) / 8 * 8, cb = c0 + (c1 - c0) / 8 * 8;
  for (int64_t r = r0; r < rb; r += 8)
    for (int64_t c = c0; c < cb; c += 8) {
      const float* s = reinterpret_cast<const float*>(src + r * cols + c);
      __m256 x[8];
      for (int i = 0; i < 8; ++i) x[i] = _mm256_loadu_ps(s + i * cols);
      __m256 t[8], u[8];
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(x[i], x[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(x[i], x[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      float* d = reinterpret_cast<float*>(dst + c * rows + r);
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(d + i * rows, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
        _mm256_storeu_ps(d + (i + 4) * rows, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
      }
    }
  tileScalar(src, rows, cols, dst, rb, r1, c0, c1);  // the rows below the last whole block
  tileScalar(src, rows, cols, dst, r0, rb, cb, c1);  // the columns right of it
}
#endif

}  // namespace

void transposePlanes(const uint32_t* src, int64_t batch, int64_t rows, int64_t cols, uint32_t* dst, int threads) {
#ifdef DNNC_TRANSPOSE_AVX2
  const bool avx2 = gemm::activeIsa() != gemm::Isa::Generic;
#else
  const bool avx2 = false;
#endif
  const int64_t col_tiles = (cols + kTile - 1) / kTile, plane = rows * cols;
  // Tasks: (plane, column tile), each all the rows of its columns.
  parallelFor(batch * col_tiles, threads, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(rows * kTile, 1)),
              [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      const int64_t b = t / col_tiles, c0 = t % col_tiles * kTile, c1 = std::min(cols, c0 + kTile);
      const uint32_t* s = src + b * plane;
      uint32_t* d = dst + b * plane;
      for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
        const int64_t r1 = std::min(rows, r0 + kTile);
#ifdef DNNC_TRANSPOSE_AVX2
        if (avx2) {
          tileAvx2(s, rows, cols, d, r0, r1, c0, c1);
          continue;
        }
#endif
        tileScalar(s, rows, cols, d, r0, r1, c0, c1);
      }
    }
  });
}

}  // namespace dnnc::ops
