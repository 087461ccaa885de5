// CSR products. C = A_csr * B runs over column chunks of 64 (8 ymm accumulators per row of C), chunk
// outermost so the chunk of B (K x 64 floats) stays in cache while every row of A streams past it; each
// non-zero costs one broadcast and eight FMAs. The vector product gathers x for eight non-zeros at a time.
#include "lib/exec/gemm/csr.h"

#include <algorithm>
#include <cmath>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace dnnc::gemm {

CsrMatrix::CsrMatrix(MatrixRef a) : rows_(a.rows), cols_(a.cols) {
  row_start_.reserve(static_cast<size_t>(rows_ + 1));
  row_start_.push_back(0);
  for (int64_t r = 0; r < rows_; ++r) {
    for (int64_t k = 0; k < cols_; ++k) {
      const float v = a.at(r, k);
      if (v != 0.0f) {
        col_.push_back(static_cast<int32_t>(k));
        values_.push_back(v);
      }
    }
    row_start_.push_back(static_cast<int64_t>(values_.size()));
  }
}

namespace {

inline float finish(float v, int64_t i, const Epilogue& ep) {
  if (ep.row_bias) v += ep.row_bias[i];
  return ep.relu ? std::max(v, 0.0f) : v;
}

}  // namespace

#if defined(__AVX2__) && defined(__FMA__)

// Eight non-zeros per step: their column indices index an AVX2 gather of x.
void CsrMatrix::multiplyVector(int64_t m0, int64_t m1, const float* x, float* y, const Epilogue& ep) const {
  for (int64_t m = m0; m < m1; ++m) {
    const int64_t p0 = row_start_[m], p1 = row_start_[m + 1];
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
    int64_t p = p0;
    for (; p + 16 <= p1; p += 16) {
      const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_.data() + p));
      const __m256i i1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_.data() + p + 8));
      acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(values_.data() + p), _mm256_i32gather_ps(x, i0, 4), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(values_.data() + p + 8), _mm256_i32gather_ps(x, i1, 4), acc1);
    }
    acc0 = _mm256_add_ps(acc0, acc1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    float s = _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
    for (; p < p1; ++p) s += values_[p] * x[col_[p]];
    y[m - m0] = finish(s, m - m0, ep);
  }
}

#else

void CsrMatrix::multiplyVector(int64_t m0, int64_t m1, const float* x, float* y, const Epilogue& ep) const {
  for (int64_t m = m0; m < m1; ++m) {
    const int64_t p0 = row_start_[m], p1 = row_start_[m + 1];
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t p = p0;
    for (; p + 4 <= p1; p += 4) {
      s0 += values_[p] * x[col_[p]];
      s1 += values_[p + 1] * x[col_[p + 1]];
      s2 += values_[p + 2] * x[col_[p + 2]];
      s3 += values_[p + 3] * x[col_[p + 3]];
    }
    for (; p < p1; ++p) s0 += values_[p] * x[col_[p]];
    y[m - m0] = finish((s0 + s1) + (s2 + s3), m - m0, ep);
  }
}

#endif

#if defined(__AVX2__) && defined(__FMA__)

namespace {

alignas(32) const int32_t kMaskSource[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// Row m of C over 8 * G columns from j0: G ymm accumulators.
template <int G>
inline void rowChunk(const float* values, const int32_t* cols, int64_t p0, int64_t p1, const float* const* rows,
                     int64_t j0, float* c, float bias, bool relu) {
  __m256 acc[G];
  for (int g = 0; g < G; ++g) acc[g] = _mm256_set1_ps(bias);
  for (int64_t p = p0; p < p1; ++p) {
    const __m256 v = _mm256_broadcast_ss(values + p);
    const float* br = rows[cols[p]] + j0;
    for (int g = 0; g < G; ++g) acc[g] = _mm256_fmadd_ps(v, _mm256_loadu_ps(br + 8 * g), acc[g]);
  }
  for (int g = 0; g < G; ++g) {
    if (relu) acc[g] = _mm256_max_ps(acc[g], _mm256_setzero_ps());
    _mm256_storeu_ps(c + 8 * g, acc[g]);
  }
}

// Row m of C over n < 8 columns from j0 (masked loads and stores).
inline void rowTail(const float* values, const int32_t* cols, int64_t p0, int64_t p1, const float* const* rows,
                    int64_t j0, int64_t n, float* c, float bias, bool relu) {
  const __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskSource + 8 - n));
  __m256 acc = _mm256_set1_ps(bias);
  for (int64_t p = p0; p < p1; ++p)
    acc = _mm256_fmadd_ps(_mm256_broadcast_ss(values + p), _mm256_maskload_ps(rows[cols[p]] + j0, mask), acc);
  if (relu) acc = _mm256_max_ps(acc, _mm256_setzero_ps());
  _mm256_maskstore_ps(c, mask, acc);
}

}  // namespace

void CsrMatrix::multiply(int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep) const {
  const int64_t N = b.cols;
  const float* vals = values_.data();
  const int32_t* cols = col_.data();
  for (int64_t j0 = 0; j0 < N; j0 += 64) {
    const int64_t nc = std::min<int64_t>(64, N - j0);
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t p0 = row_start_[m], p1 = row_start_[m + 1];
      float* cr = c + (m - m0) * ldc + j0;
      const float bias = ep.row_bias ? ep.row_bias[m - m0] : 0.0f;
      int64_t j = 0;
      if (nc == 64) {
        rowChunk<8>(vals, cols, p0, p1, b.rows, j0, cr, bias, ep.relu);
        continue;
      }
      for (; j + 16 <= nc; j += 16) rowChunk<2>(vals, cols, p0, p1, b.rows, j0 + j, cr + j, bias, ep.relu);
      for (; j + 8 <= nc; j += 8) rowChunk<1>(vals, cols, p0, p1, b.rows, j0 + j, cr + j, bias, ep.relu);
      if (j < nc) rowTail(vals, cols, p0, p1, b.rows, j0 + j, nc - j, cr + j, bias, ep.relu);
    }
  }
}

#else

void CsrMatrix::multiply(int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep) const {
  for (int64_t m = m0; m < m1; ++m) {
    float* cr = c + (m - m0) * ldc;
    const float bias = ep.row_bias ? ep.row_bias[m - m0] : 0.0f;
    for (int64_t j = 0; j < b.cols; ++j) cr[j] = bias;
    for (int64_t p = row_start_[m]; p < row_start_[m + 1]; ++p) {
      const float v = values_[p];
      const float* br = b.rows[col_[p]];
      for (int64_t j = 0; j < b.cols; ++j) cr[j] += v * br[j];
    }
    if (ep.relu)
      for (int64_t j = 0; j < b.cols; ++j) cr[j] = std::max(cr[j], 0.0f);
  }
}

#endif

// The crossover: CSR is faster than the dense GEMM below this weight density. Measured on the development
// machine (AMD EPYC Zen 3, AVX2) through the executor by bench/sparse/bench_crossover (W 1024x1024 at
// product widths 1, 8, 64 and 512: 0.15, 0.19, 0.24, 0.19) and, at width 1, by bench/sparse/run.sh's
// layers (784x300: about 0.10; 9216x4096: CSR still 1.26x faster at 0.20, about 0.27 by the kernel
// timings): a batch-1 product is memory-bound on the dense side once W leaves the caches, so there CSR
// (a fraction of the bytes) wins up to a higher density. Interpolated in between (in log of width and
// size). A table rather than a timing at plan time: the choice is then deterministic (the same kernel,
// hence the same rounding, on every run whatever the machine load) and costs nothing at run time.
double csrCrossoverDensity(int64_t columns, double weight_bytes) {
  struct Point {
    double x, density;
  };
  auto interpolate = [](const Point* table, size_t n, double x) {
    if (x <= table[0].x) return table[0].density;
    for (size_t i = 1; i < n; ++i)
      if (x <= table[i].x) {
        const double t = std::log2(x / table[i - 1].x) / std::log2(table[i].x / table[i - 1].x);
        return table[i - 1].density + t * (table[i].density - table[i - 1].density);
      }
    return table[n - 1].density;
  };
  if (columns <= 1) {
    constexpr double kMiB = 1 << 20;
    static constexpr Point kBySize[] = {{1 * kMiB, 0.10}, {4 * kMiB, 0.15}, {64 * kMiB, 0.27}};
    return interpolate(kBySize, std::size(kBySize), weight_bytes);
  }
  static constexpr Point kByWidth[] = {{1, 0.15}, {8, 0.19}, {64, 0.24}, {512, 0.19}};
  return interpolate(kByWidth, std::size(kByWidth), static_cast<double>(columns));
}

bool csrPays(double density, int64_t columns, double weight_bytes) {
  return density < csrCrossoverDensity(columns, weight_bytes);
}

}  // namespace dnnc::gemm
