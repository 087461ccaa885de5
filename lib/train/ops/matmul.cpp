// matmul's thread split and accumulation around gemm::multiply (see matmul.h).
#include "lib/train/ops/matmul.h"

#include <omp.h>

#include <algorithm>
#include <vector>

namespace dnnc::train {
namespace {

using gemm::MatrixRef;

// Columns [c0, c1) of m.
MatrixRef colSlice(MatrixRef m, int64_t c0, int64_t c1) { return {m.data + c0 * m.cs, m.rows, c1 - c0, m.rs, m.cs}; }
// Rows [r0, r1) of m.
MatrixRef rowSlice(MatrixRef m, int64_t r0, int64_t r1) { return {m.data + r0 * m.rs, r1 - r0, m.cols, m.rs, m.cs}; }

// A per-thread scratch of at least n floats (OpenMP threads persist, so it is allocated once per thread
// and size: no page faults per training step).
float* scratch(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// C block (m x n, stride ldc) = or += the product; += goes through a scratch because sgemm overwrites.
void product(MatrixRef a, MatrixRef b, float* c, int64_t ldc, Store store) {
  if (store == Store::Overwrite) return gemm::multiply(a, b, c, ldc, {});
  const int64_t m = a.rows, n = b.cols;
  float* tmp = scratch(static_cast<size_t>(m * n));
  gemm::multiply(a, b, tmp, n, {});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] += tmp[i * n + j];
}

}  // namespace

void matmul(MatrixRef a, MatrixRef b, float* c, int64_t ldc, Store store, int threads) {
  const int64_t M = a.rows, N = b.cols, K = a.cols;
  if (M == 0 || N == 0) return;
  const int64_t panels = (N + gemm::kNR - 1) / gemm::kNR;
  const int64_t work = M * N * K;
  // Below ~1 MFLOP a second thread costs more to wake than it saves.
  const int t = work < (int64_t{1} << 19) ? 1 : std::max(1, threads);
  if (t == 1) return product(a, b, c, ldc, store);
  if (panels >= 2 * t) {
    // Column split in whole panels: every slice but the last is a multiple of kNR wide.
#pragma omp parallel for num_threads(t) schedule(static)
    for (int i = 0; i < t; ++i) {
      const int64_t c0 = std::min(N, panels * i / t * gemm::kNR), c1 = std::min(N, panels * (i + 1) / t * gemm::kNR);
      if (c1 > c0) product(a, colSlice(b, c0, c1), c + c0, ldc, store);
    }
    return;
  }
  // Depth split: thread i multiplies A[:, k0:k1] B[k0:k1, :] into its part of `parts`, then the parts
  // are added in order.
  const int64_t MN = M * N;
  static thread_local std::vector<float> parts;
  parts.resize(static_cast<size_t>(MN * t));
  float* p = parts.data();
#pragma omp parallel for num_threads(t) schedule(static)
  for (int i = 0; i < t; ++i) {
    const int64_t k0 = K * i / t, k1 = K * (i + 1) / t;
    if (k1 > k0) gemm::multiply(colSlice(a, k0, k1), rowSlice(b, k0, k1), p + i * MN, N, {});
    else std::fill(p + i * MN, p + (i + 1) * MN, 0.0f);
  }
  for (int64_t r = 0; r < M; ++r)
    for (int64_t j = 0; j < N; ++j) {
      float s = store == Store::Accumulate ? c[r * ldc + j] : 0.0f;
      for (int i = 0; i < t; ++i) s += p[i * MN + r * N + j];
      c[r * ldc + j] = s;
    }
}

}  // namespace dnnc::train
